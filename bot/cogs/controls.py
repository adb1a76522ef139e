"""Buttons on private replies that survive a restart, and expire politely.

Every button the bot sends is a ``DynamicItem`` (discord.py ``examples/views/persistent.py``)
whose ``custom_id`` carries all the state it needs: who may press it (the member who ran
the command), what it acts on, and, for confirmations, when it expires. Nothing lives only
in memory, so a button pressed after a restart does what it says, and every press is
checked again against the database and the pressing member's rights.

Ids are written in base 36 to fit Discord's 100 characters. A confirmation that has expired
answers "run the command again" and disables the buttons of its message; while the bot
runs, a timer disables them at the expiry too (Discord lets the bot edit its reply for 15
minutes, so expiries stay shorter than that).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import discord

from bot.errors import NotAllowed

log = logging.getLogger(__name__)
OWNER = r"(?P<owner>[0-9a-z]{1,13})"
EXPIRES = r"(?P<expires>[0-9a-z]{1,8})"
EDIT_WINDOW = 14 * 60  # seconds: the bot may edit its reply for 15 minutes


def b36(number: int) -> str:
    """A non-negative integer in base 36 (lowercase), the shortest way to put ids in a
    custom_id."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def from_b36(text: str) -> int:
    return int(text, 36)


def expiry(seconds: float) -> int:
    """The unix time ``seconds`` from now (at most the edit window)."""
    return int(time.time() + min(seconds, EDIT_WINDOW))


def check_owner(owner_id: int, interaction: discord.Interaction) -> None:
    """Only the member who ran the command may press its buttons."""
    if interaction.user.id != owner_id:
        raise NotAllowed("This was opened by someone else; run the command yourself.")


def disabled_copy(message: discord.Message) -> discord.ui.View:
    """The buttons of a message, all disabled (a short-lived view: nothing to dispatch)."""
    view = discord.ui.View.from_message(message, timeout=1.0)
    for item in view.children:
        if isinstance(item, discord.ui.Button | discord.ui.Select):
            item.disabled = True
    return view


async def expired(interaction: discord.Interaction, text: str) -> None:
    """Answer a press after the expiry: say so, and disable the buttons it came from."""
    if interaction.message is not None:
        await interaction.response.edit_message(content=text, embed=None,
                                                view=disabled_copy(interaction.message),
                                                allowed_mentions=discord.AllowedMentions.none())
    else:
        await interaction.response.send_message(text, ephemeral=True)


def disable_at(interaction: discord.Interaction, until: int, note: str) -> None:
    """While the bot runs, disable the buttons of this interaction's reply at ``until``
    unless they were answered before (a restart loses the timer; the press then finds the
    expiry in its custom_id)."""
    async def later() -> None:
        await asyncio.sleep(max(0.0, until - time.time()))
        with contextlib.suppress(discord.HTTPException):
            message = await interaction.original_response()
            if not any(getattr(c, "disabled", True) is False
                       for row in message.components for c in getattr(row, "children", [])):
                return  # already answered (or nothing to disable)
            content = f"{message.content}\n{note}" if message.content else note
            await interaction.edit_original_response(content=content,
                                                     view=disabled_copy(message))
    task = asyncio.get_running_loop().create_task(later())
    _timers.add(task)
    task.add_done_callback(_timers.discard)


_timers: set[asyncio.Task[None]] = set()  # keep references so timers are not collected
