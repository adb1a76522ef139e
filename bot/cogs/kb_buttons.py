"""The buttons of /kb's private replies: remove confirmation, entry pages, the suggestion
queue, unanswered questions.

Every button is a ``DynamicItem`` (``bot.cogs.controls``): its custom_id holds what it acts
on and who may press it, so it keeps working after a restart, and every click re-checks
the clicking member and the data in the database, so a leaked or forged custom_id changes
nothing. The queue's buttons (``kbq:<action>:<suggestion>``) are for any moderator; the
others belong to one private reply and to the member who ran the command. The removal
confirmation expires after five minutes: its buttons are then disabled, and a late press
says to run the command again.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot import suggestions
from bot.cogs.controls import EXPIRES, OWNER, b36, check_owner, expired, expiry, from_b36
from bot.cogs.curate_views import PER_PAGE, QUEUE_SHOWN, UNANSWERED_BUTTONS, list_embed
from bot.cogs.errors import guarded
from bot.cogs.members import actor_of
from bot.cogs.modals import EntryModal, EntryTarget, RejectModal
from bot.curation import (
    UnansweredQuestion,
    check_curator,
    list_entries,
    remove_entry,
    unanswered_questions,
)
from bot.errors import InvalidInput
from bot.suggestions import Suggestion

if TYPE_CHECKING:
    from bot.cogs.client import BotClient

QUEUE_LABELS = {"approve": "Approve", "spoiler": "Approve as spoiler", "reject": "Reject"}
ENTRY_ID = r"(?P<entry>[a-z0-9-]{1,64})"
REMOVE_SECONDS = 300.0
UNANSWERED_LOOKUP = 200  # questions searched for the one a button names


class RemoveButton(discord.ui.DynamicItem[discord.ui.Button],
                   template=rf"kbrm:(?P<action>y|n):{OWNER}:{EXPIRES}:{ENTRY_ID}"):
    """``/kb remove``: Remove or Keep it; nothing happens until the member who asked presses
    one, within five minutes."""

    def __init__(self, remove: bool, owner_id: int, expires: int, entry_id: str):
        self.remove, self.owner_id, self.expires, self.entry_id = (
            remove, owner_id, expires, entry_id)
        super().__init__(discord.ui.Button(
            label="Remove" if remove else "Keep it",
            style=discord.ButtonStyle.danger if remove else discord.ButtonStyle.secondary,
            custom_id=f"kbrm:{'y' if remove else 'n'}:{b36(owner_id)}:{b36(expires)}:"
                      f"{entry_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> RemoveButton:
        return cls(match["action"] == "y", from_b36(match["owner"]),
                   from_b36(match["expires"]), match["entry"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._press(interaction))

    async def _press(self, interaction: discord.Interaction) -> None:
        check_owner(self.owner_id, interaction)
        none = discord.AllowedMentions.none()
        if time.time() >= self.expires:
            await expired(interaction, f"This confirmation expired; `{self.entry_id}` was not "
                                       f"removed. Run `/kb remove id:{self.entry_id}` again.")
            return
        if not self.remove:
            await interaction.response.edit_message(
                content=f"Kept `{self.entry_id}`; nothing changed.", embed=None, view=None,
                allowed_mentions=none)
            return
        client: BotClient = interaction.client  # type: ignore[assignment]
        entry = remove_entry(client.app, actor_of(interaction), self.entry_id)
        await interaction.response.edit_message(
            content=f"Removed `{entry.id}` ({entry.title}). `/kb audit id:{entry.id}` has the "
                    "old text.", view=None, allowed_mentions=none)


def confirm_remove(owner_id: int, entry_id: str) -> tuple[discord.ui.View, int]:
    """The two buttons of a removal confirmation, and when they expire."""
    until = expiry(REMOVE_SECONDS)
    view = discord.ui.View(timeout=None)
    view.add_item(RemoveButton(True, owner_id, until, entry_id))
    view.add_item(RemoveButton(False, owner_id, until, entry_id))
    return view, until


class PageButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=rf"kbpage:{OWNER}:(?P<page>[0-9]{{1,5}}):(?P<step>p|n)"):
    """``/kb list``: the previous or next page, from the page the message shows."""

    def __init__(self, owner_id: int, page: int, step: int, pages: int | None = None):
        self.owner_id, self.page, self.step = owner_id, page, step
        super().__init__(discord.ui.Button(
            label="Previous" if step < 0 else "Next", style=discord.ButtonStyle.secondary,
            custom_id=f"kbpage:{b36(owner_id)}:{page}:{'p' if step < 0 else 'n'}",
            disabled=pages is not None and not 1 <= page + step <= pages))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> PageButton:
        return cls(from_b36(match["owner"]), int(match["page"]),
                   -1 if match["step"] == "p" else 1)

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._turn(interaction))

    async def _turn(self, interaction: discord.Interaction) -> None:
        check_owner(self.owner_id, interaction)
        client: BotClient = interaction.client  # type: ignore[assignment]
        page = max(1, self.page + self.step)
        rows, pages = list_entries(client.app, page, PER_PAGE)
        if page > pages:  # entries were removed meanwhile
            page = pages
            rows, pages = list_entries(client.app, page, PER_PAGE)
        await interaction.response.edit_message(embed=list_embed(rows, page, pages),
                                                view=pages_view(self.owner_id, page, pages))


def pages_view(owner_id: int, page: int, pages: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(owner_id, page, -1, pages))
    view.add_item(PageButton(owner_id, page, +1, pages))
    return view


class QueueButton(discord.ui.DynamicItem[discord.ui.Button],
                  template=r"kbq:(?P<action>approve|spoiler|reject):(?P<sid>[0-9]{1,18})"):
    """Approve (as a spoiler or not) or reject one suggestion."""

    def __init__(self, action: str, suggestion_id: int):
        self.action, self.suggestion_id = action, suggestion_id
        super().__init__(discord.ui.Button(
            label=f"{QUEUE_LABELS[action]} #{suggestion_id}",
            style=discord.ButtonStyle.danger if action == "reject" else discord.ButtonStyle.success,
            custom_id=f"kbq:{action}:{suggestion_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> QueueButton:
        return cls(match["action"], int(match["sid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._open(interaction))

    async def _open(self, interaction: discord.Interaction) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        rejecting = self.action == "reject"
        actor = actor_of(interaction)
        s = suggestions.get_suggestion(client.app, actor, self.suggestion_id)
        if not rejecting:
            check_curator(client.app, actor, "approve suggestions")
        if not s.is_pending:
            by = f" by <@{s.reviewer_id}>" if s.reviewer_id else ""
            raise InvalidInput(f"Suggestion #{s.id} was already {s.status}{by}.")
        if rejecting:
            await interaction.response.send_modal(RejectModal(interaction.user.id, s.id))
            return
        base = client.app.index.get(s.entry_id) if s.entry_id else None
        spoiler = True if self.action == "spoiler" else (base.spoiler if base else False)
        target = EntryTarget("approve", entry_id=base.id if base else None, spoiler=spoiler,
                             suggestion_id=s.id)
        await interaction.response.send_modal(EntryModal(
            interaction.user.id, target, suggestions.suggestion_form(client.app, s)))


def queue_view(pending: Sequence[Suggestion]) -> discord.ui.View | None:
    if not pending:
        return None
    view = discord.ui.View(timeout=None)
    for row, s in enumerate(pending[:QUEUE_SHOWN]):
        for action in ("approve", "spoiler", "reject"):
            button = QueueButton(action, s.id)
            button.item.row = row
            view.add_item(button)
    return view


def question_key(text: str) -> str:
    """A short, stable name for an unanswered question, to fit in a custom_id."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button],
                   template=rf"kbans:{OWNER}:(?P<n>[0-9]{{1,2}}):(?P<days>[0-9a-z]{{1,3}}):"
                            r"(?P<key>[0-9a-f]{16})"):
    """``/kb unanswered``: "Answer n" opens the entry form for that question."""

    def __init__(self, owner_id: int, n: int, days: int, key: str):
        self.owner_id, self.n, self.days, self.key = owner_id, n, days, key
        super().__init__(discord.ui.Button(
            label=f"Answer {n}", style=discord.ButtonStyle.primary,
            custom_id=f"kbans:{b36(owner_id)}:{n}:{b36(days)}:{key}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> AnswerButton:
        return cls(from_b36(match["owner"]), int(match["n"]), from_b36(match["days"]),
                   match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._open(interaction))

    async def _open(self, interaction: discord.Interaction) -> None:
        check_owner(self.owner_id, interaction)
        client: BotClient = interaction.client  # type: ignore[assignment]
        actor = actor_of(interaction)
        check_curator(client.app, actor, "add entries")
        asked = unanswered_questions(client.app, actor, self.days, UNANSWERED_LOOKUP)
        text = next((q.text for q in asked if question_key(q.text) == self.key), None)
        if text is None:
            raise InvalidInput("That question is no longer unanswered (an entry answers it "
                               "now, or it left the list); run `/kb unanswered` again.")
        await interaction.response.send_modal(EntryModal(
            interaction.user.id, EntryTarget("add", question=text),
            {"title": text[:1].upper() + text[1:], "questions": text}))


def unanswered_view(owner_id: int, items: Sequence[UnansweredQuestion],
                    days: int) -> discord.ui.View:
    """"Answer 1".."Answer 5" for the first questions of ``/kb unanswered``."""
    view = discord.ui.View(timeout=None)
    for n, question in enumerate(items[:UNANSWERED_BUTTONS], 1):
        view.add_item(AnswerButton(owner_id, n, days, question_key(question.text)))
    return view
