"""Vote buttons, the vote select, "My vote" and the retract button of a poll message.

They are ``DynamicItem``s (discord.py ``examples/views/persistent.py``): the poll
and option live in the ``custom_id`` (``poll:<poll id>:<option id>``), parsed by a
pattern and checked against the database on every click, so the buttons survive
restarts and forged or stale ids change nothing. "My vote" shows the clicking member
their own ballot, privately, with a button to retract it: nobody has to keep the
confirmation they got when they voted.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord

from bot import polls, votes
from bot.cogs.errors import guarded
from bot.cogs.members import actor_of
from bot.cogs.respond import reply

if TYPE_CHECKING:
    from bot.cogs.client import BotClient

log = logging.getLogger(__name__)
BUTTON_LIMIT = 5  # above this many options, a select menu


def poll_view(poll: polls.Poll) -> discord.ui.View | None:
    """Buttons for up to five options, else one select; nothing once the poll is closed.

    A multiple-choice poll whose votes are final also gets the select: buttons add one
    option per click, and the first click would already be the final ballot.
    """
    if not poll.is_open:
        return None
    view = discord.ui.View(timeout=None)
    whole_ballot = poll.max_choices > 1 and not poll.allow_change
    if len(poll.options) <= BUTTON_LIMIT and not whole_ballot:
        for option in poll.options:
            view.add_item(VoteButton(poll.id, option.id, option.label))
    else:
        view.add_item(VoteSelect(poll))
    mine = MyVoteButton(poll.id)
    mine.item.row = 1  # under the options (a select fills row 0 on its own)
    view.add_item(mine)
    return view


class VoteButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"poll:(?P<poll>[0-9]{1,18}):(?P<option>[a-z0-9][a-z0-9-]{0,39})"):
    """One option of one poll."""

    def __init__(self, poll_id: int, option_id: str, label: str = "Vote"):
        self.poll_id, self.option_id = poll_id, option_id
        super().__init__(discord.ui.Button(label=label[:80], style=discord.ButtonStyle.primary,
                                           custom_id=f"poll:{poll_id}:{option_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> VoteButton:
        return cls(int(match["poll"]), match["option"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, _cast(interaction, self.poll_id, [self.option_id]))


class VoteSelect(discord.ui.DynamicItem[discord.ui.Select],
                 template=r"pollsel:(?P<poll>[0-9]{1,18})"):
    """All options of a poll with more than five, as one menu."""

    def __init__(self, poll: polls.Poll | int):
        self.poll_id = poll if isinstance(poll, int) else poll.id
        select: discord.ui.Select = discord.ui.Select(custom_id=f"pollsel:{self.poll_id}")
        if isinstance(poll, polls.Poll):
            select.placeholder = ("Pick your reading" if poll.max_choices == 1
                                  else f"Pick up to {poll.max_choices}")
            select.max_values = min(poll.max_choices, len(poll.options))
            for option in poll.options:
                select.add_option(label=option.label[:100], value=option.id,
                                  description=(option.summary[:97] + "…")
                                  if len(option.summary) > 100 else option.summary or None)
        super().__init__(select)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str]) -> VoteSelect:
        return cls(int(match["poll"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values", [])
        await guarded(interaction, _cast(interaction, self.poll_id, list(values)))


class RetractButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=r"pollx:(?P<poll>[0-9]{1,18})"):
    """Shown under the ephemeral vote confirmation."""

    def __init__(self, poll_id: int):
        self.poll_id = poll_id
        super().__init__(discord.ui.Button(label="Retract my vote",
                                           style=discord.ButtonStyle.danger,
                                           custom_id=f"pollx:{poll_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> RetractButton:
        return cls(int(match["poll"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, _retract(interaction, self.poll_id))


class MyVoteButton(discord.ui.DynamicItem[discord.ui.Button],
                   template=r"pollme:(?P<poll>[0-9]{1,18})"):
    """On the poll message: shows the clicking member their ballot, with Retract."""

    def __init__(self, poll_id: int):
        self.poll_id = poll_id
        super().__init__(discord.ui.Button(label="My vote", style=discord.ButtonStyle.secondary,
                                           custom_id=f"pollme:{poll_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> MyVoteButton:
        return cls(int(match["poll"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, _mine(interaction, self.poll_id))


async def _mine(interaction: discord.Interaction, poll_id: int) -> None:
    client: BotClient = interaction.client  # type: ignore[assignment]
    db, actor = client.app.db, actor_of(interaction)
    poll = polls.get_poll(db, actor, poll_id)
    picked = votes.ballot(db, actor, poll_id)
    if not picked:
        what = "pick an option on the poll message" if poll.is_open else "it is closed"
        await reply(interaction, f"You have not voted in poll #{poll.id}; {what}.",
                    ephemeral=True)
        return
    labels = ", ".join(f"**{poll.option(c).label}**" for c in picked)
    text = f"Your vote in poll #{poll.id}: {labels}."
    if not poll.allow_change:
        text += " Votes in this poll are final."
    elif not poll.is_open:
        text += " The poll is closed."
    if poll.allow_change and poll.is_open:
        view = discord.ui.View(timeout=None)
        view.add_item(RetractButton(poll_id))
        await reply(interaction, text, ephemeral=True, view=view)
    else:
        await reply(interaction, text, ephemeral=True)


async def _cast(interaction: discord.Interaction, poll_id: int, choices: list[str]) -> None:
    client: BotClient = interaction.client  # type: ignore[assignment]
    db, actor = client.app.db, actor_of(interaction)
    try:
        if (interaction.data or {}).get("component_type") == 2:  # a button
            result = votes.press(db, actor, poll_id, choices[0])
        else:  # the select menu: the whole ballot at once
            result = votes.vote(db, actor, poll_id, choices)
    except polls.PollError:
        log.warning("refused vote %r on poll %s by user %s", choices, poll_id, interaction.user.id)
        raise
    if result.new:
        labels = ", ".join(f"**{result.poll.option(c).label}**" for c in result.new)
        text = f"You voted for {labels}."
        if not result.poll.allow_change:
            text += " Votes in this poll are final."
    else:
        text = "Your vote was removed."
    if result.poll.allow_change and result.new:
        view = discord.ui.View(timeout=None)
        view.add_item(RetractButton(poll_id))
        await reply(interaction, text, ephemeral=True, view=view)
    else:
        await reply(interaction, text, ephemeral=True)
    _tally_changed(client, poll_id)


async def _retract(interaction: discord.Interaction, poll_id: int) -> None:
    client: BotClient = interaction.client  # type: ignore[assignment]
    actor = actor_of(interaction)
    try:
        result = await client.write(lambda app: votes.retract(app.db, actor, poll_id))
    except polls.PollError:
        log.warning("refused retract on poll %s by user %s", poll_id, interaction.user.id)
        raise
    await reply(interaction, "Your vote was retracted." if result.old
                else "You had no vote in that poll.", ephemeral=True)
    _tally_changed(client, poll_id)


def _tally_changed(client: BotClient, poll_id: int) -> None:
    """Schedule a poll message edit; during shutdown the cog may already be gone."""
    cog = client.get_cog("Polls")
    if cog is not None:
        cog.updater.changed(poll_id)  # type: ignore[attr-defined]
