"""Buttons and listings for /kb: remove confirmation, entry pages, the suggestion queue,
unanswered questions.

The queue's Approve / Reject buttons are ``DynamicItem``s (``kbq:<action>:<suggestion>``,
as in ``views.py``): they keep working after a restart, and every click re-checks the
clicking member and the suggestion in the database, so a leaked or forged custom_id
changes nothing. The other views belong to one ephemeral reply: only the member who ran
the command may press them, and they time out.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot import suggestions
from bot.audit import AuditRecord
from bot.cogs.embeds import COLOUR, clip
from bot.cogs.errors import guarded
from bot.cogs.members import actor_of
from bot.cogs.modals import (
    EntryModal,
    EntryTarget,
    OwnedView,
    RejectModal,
)
from bot.curation import (
    EntryRow,
    UnansweredQuestion,
    check_curator,
    list_entries,
    remove_entry,
)
from bot.errors import InvalidInput
from bot.suggestions import Suggestion

if TYPE_CHECKING:
    from bot.cogs.client import BotClient

PER_PAGE = 10
QUEUE_SHOWN = 5  # three buttons each: five action rows
UNANSWERED_BUTTONS = 5
DESCRIPTION_MAX = 4000
FIELD_MAX = 1024
QUEUE_LABELS = {"approve": "Approve", "spoiler": "Approve as spoiler", "reject": "Reject"}


# ---------------------------------------------------------------- rendering


def entry_lines(rows: Iterable[EntryRow]) -> str:
    lines = [f"`{r.id}` {r.title}" + (" · spoiler" if r.spoiler else "")
             + (" · moderator's version" if r.moderator else "") for r in rows]
    return clip("\n".join(lines), DESCRIPTION_MAX) or "No entries."


def list_embed(rows: Sequence[EntryRow], page: int, pages: int) -> discord.Embed:
    embed = discord.Embed(title="Knowledge base entries", description=entry_lines(rows),
                          colour=COLOUR)
    embed.set_footer(text=f"Page {page} of {pages} · /kb show id: for one entry")
    return embed


def _when(iso: str) -> str:
    try:
        return f"<t:{int(datetime.fromisoformat(iso).timestamp())}:R>"
    except ValueError:
        return iso[:19]


def audit_text(records: Iterable[AuditRecord]) -> str:
    lines = []
    for r in records:
        who = f"<@{r.actor_id}>" if r.actor_id else "the command line"
        changed = r.changed_fields() if r.action in ("edit", "import") and r.before else []
        detail = f" ({', '.join(changed)})" if changed else ""
        if r.action in ("approve", "reject") and r.after:
            detail = f" (suggestion #{r.after.get('id')})"
        if r.action == "link" and r.after:
            detail = f" (question “{clip(str(r.after.get('question')), 80)}”)"
        lines.append(f"`#{r.id}` {_when(r.at)} {who} **{r.action}** "
                     f"`{r.entry_id or '-'}`{detail}")
    return clip("\n".join(lines), DESCRIPTION_MAX) or "No changes recorded."


def queue_embed(pending: Sequence[Suggestion], more: int) -> discord.Embed:
    embed = discord.Embed(title="Suggestions waiting for review", colour=COLOUR,
                          description="Oldest first. Approve opens the entry form, pre-filled."
                          if pending else "Nothing is waiting. 🎉")
    for s in pending:
        about = f" · correction of `{s.entry_id}`" if s.entry_id else ""
        where = f" in <#{s.channel_id}>" if s.channel_id else ""
        embed.add_field(name=clip(f"#{s.id} · {s.title}", 256),
                        value=clip(f"by <@{s.author_id}>{where}{about}\n{s.text}", FIELD_MAX),
                        inline=False)
    if more:
        embed.set_footer(text=f"{more} more after these: decide these first.")
    return embed


def unanswered_embed(items: Sequence[UnansweredQuestion], days: int) -> discord.Embed:
    lines = [f"{n}. **{q.count}×** {discord.utils.escape_markdown(clip(q.text, 200))} "
             f"(last {_when(q.last_asked)})" for n, q in enumerate(items, 1)]
    embed = discord.Embed(title=f"Unanswered questions, last {days} days",
                          description=clip("\n".join(lines), DESCRIPTION_MAX)
                          or "The bot answered everything. 🎉", colour=COLOUR)
    if items:
        embed.set_footer(text="Write an entry with the buttons below, or with "
                              "/kb add question: (which also takes spoiler:).")
    return embed


# ---------------------------------------------------------------- views


class ConfirmRemove(OwnedView):
    """``/kb remove``: nothing happens until the member who asked presses Remove."""

    def __init__(self, owner_id: int, entry_id: str):
        super().__init__(owner_id, timeout=300)
        self.entry_id = entry_id

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction,
                      button: discord.ui.Button[ConfirmRemove]) -> None:
        await guarded(interaction, self._remove(interaction))

    async def _remove(self, interaction: discord.Interaction) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        entry = remove_entry(client.app, actor_of(interaction), self.entry_id)
        self.stop()
        await interaction.response.edit_message(
            content=f"Removed `{entry.id}` ({entry.title}). `/kb audit id:{entry.id}` has the "
                    "old text.", view=None, allowed_mentions=discord.AllowedMentions.none())

    @discord.ui.button(label="Keep it", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction,
                     button: discord.ui.Button[ConfirmRemove]) -> None:
        self.stop()
        await interaction.response.edit_message(content=f"Kept `{self.entry_id}`; nothing "
                                                        "changed.", view=None)


class EntryPages(OwnedView):
    """``/kb list``: previous / next page."""

    def __init__(self, owner_id: int, page: int, pages: int):
        super().__init__(owner_id, timeout=600)
        self.page, self.pages = page, pages
        self._update()

    def _update(self) -> None:
        self.previous.disabled = self.page <= 1
        self.next.disabled = self.page >= self.pages

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        page = max(1, self.page + step)
        rows, pages = list_entries(client.app, page, PER_PAGE)
        if page > pages:  # entries were removed meanwhile
            page = pages
            rows, pages = list_entries(client.app, page, PER_PAGE)
        self.page, self.pages = page, pages
        self._update()
        await interaction.response.edit_message(embed=list_embed(rows, page, pages), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction,
                       button: discord.ui.Button[EntryPages]) -> None:
        await guarded(interaction, self._turn(interaction, -1))

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction,
                   button: discord.ui.Button[EntryPages]) -> None:
        await guarded(interaction, self._turn(interaction, +1))


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


class UnansweredButtons(OwnedView):
    """``/kb unanswered``: "Answer 1".."Answer 5" open the entry form for that question."""

    def __init__(self, owner_id: int, items: Sequence[UnansweredQuestion]):
        super().__init__(owner_id)
        for n, question in enumerate(items[:UNANSWERED_BUTTONS], 1):
            button: discord.ui.Button[UnansweredButtons] = discord.ui.Button(
                label=f"Answer {n}", style=discord.ButtonStyle.primary)
            button.callback = self._opener(question.text)  # type: ignore[method-assign]
            self.add_item(button)

    def _opener(self, text: str) -> Callable[[discord.Interaction], Awaitable[None]]:
        async def open_form(interaction: discord.Interaction) -> None:
            await guarded(interaction, self._open(interaction, text))
        return open_form

    async def _open(self, interaction: discord.Interaction, text: str) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        check_curator(client.app, actor_of(interaction), "add entries")
        await interaction.response.send_modal(EntryModal(
            interaction.user.id, EntryTarget("add", question=text),
            {"title": text[:1].upper() + text[1:], "questions": text}))
