"""Buttons under an answer: feedback and related entries.

They are ``DynamicItem``s (discord.py ``examples/views/persistent.py``): the state
lives in the ``custom_id``, is parsed by a pattern and checked against the
database, so the buttons keep working after a restart and forged ids do nothing.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord

from bot.answers import ANSWER, CLOSEST, SMALLTALK, Answer, record_feedback
from bot.cogs.embeds import entry_embed
from bot.cogs.errors import guarded
from bot.cogs.respond import reply

if TYPE_CHECKING:
    from bot.cogs.client import BotClient

log = logging.getLogger(__name__)
ENTRY_ID = r"[a-z0-9-]{1,64}"


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button],
                     template=rf"fb:(?P<vote>up|down):(?P<entry>{ENTRY_ID})"):
    """Helpful / Not helpful: one vote per user and entry, changeable."""

    def __init__(self, entry_id: str, helpful: bool, which: str = ""):
        self.entry_id, self.helpful = entry_id, helpful
        super().__init__(discord.ui.Button(
            label=("Helpful" if helpful else "Not helpful") + (f" ({which})" if which else ""),
            emoji="👍" if helpful else "👎",
            style=discord.ButtonStyle.secondary,
            custom_id=f"fb:{'up' if helpful else 'down'}:{entry_id}",
        ))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> FeedbackButton:
        return cls(match["entry"], match["vote"] == "up")

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._vote(interaction))

    async def _vote(self, interaction: discord.Interaction) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        if client.app.index.get(self.entry_id) is None:
            log.warning("feedback for unknown entry %r from user %s", self.entry_id,
                        interaction.user.id)
            await reply(interaction, "That answer no longer exists.", ephemeral=True)
            return
        up, down = record_feedback(client.app.db, self.entry_id, interaction.user.id,
                                   self.helpful)
        await reply(interaction, f"Thanks, noted as {'helpful' if self.helpful else 'not helpful'}"
                                 f". (👍 {up} · 👎 {down}; click the other button to change it.)",
                    ephemeral=True)


class RelatedButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=rf"rel:(?P<entry>{ENTRY_ID})"):
    """Opens a related entry's answer, only for the person who clicked."""

    def __init__(self, entry_id: str, label: str = "Related"):
        self.entry_id = entry_id
        super().__init__(discord.ui.Button(label=label[:80], style=discord.ButtonStyle.primary,
                                           custom_id=f"rel:{entry_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> RelatedButton:
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._open(interaction))

    async def _open(self, interaction: discord.Interaction) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        entry = client.app.index.get(self.entry_id)
        if entry is None:
            log.warning("related button for unknown entry %r from user %s", self.entry_id,
                        interaction.user.id)
            await reply(interaction, "That entry no longer exists.", ephemeral=True)
            return
        film = client.app.films().get(entry.film)
        film_line = f"{film.title} ({film.year})" if film else ""
        await reply(interaction, embed=entry_embed(entry, film_line=film_line,
                                                   show_spoilers=False), ephemeral=True)


def answer_view(answer: Answer, client: BotClient, *,
                show_spoilers: bool) -> discord.ui.View | None:
    """Buttons under a reply: feedback for each answered entry and up to three related
    entries; for a closest match, one button that shows it (None when there is nothing)."""
    view = discord.ui.View(timeout=None)
    if answer.outcome == ANSWER and answer.parts:
        several = len(answer.parts) > 1
        for n, part in enumerate(answer.parts[:2], 1):
            which = f"answer {n}" if several else ""
            view.add_item(FeedbackButton(part.entry.id, True, which))
            view.add_item(FeedbackButton(part.entry.id, False, which))
        shown = {p.entry.id for p in answer.parts}
        wanted = [i for p in answer.parts for i in p.entry.related if i not in shown]
        related = [e for e in (client.app.index.get(i) for i in dict.fromkeys(wanted)) if e][:3]
    elif answer.outcome == CLOSEST and answer.suggested:
        best = answer.suggested
        hide = best.spoiler and not show_spoilers
        view.add_item(RelatedButton(best.id, "Show the closest match (spoiler)" if hide
                                    else f"Show: {best.title}"))
        related = []
    elif answer.outcome == SMALLTALK:
        related = []
    else:
        related = [e for e in (client.app.index.get(a.id) for a in answer.alternatives) if e][:3]
    for n, entry in enumerate(related, 1):
        hide = entry.spoiler and not show_spoilers
        label = f"Related topic {n} (spoiler)" if hide else entry.title
        view.add_item(RelatedButton(entry.id, label))
    return view if view.children else None
