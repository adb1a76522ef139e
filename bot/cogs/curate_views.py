"""Listings for /kb: entries, the audit log, the suggestion queue, unanswered questions.

The buttons under them are in ``kb_buttons``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import discord

from bot.audit import AuditRecord
from bot.cogs.embeds import COLOUR, clip
from bot.curation import EntryRow, UnansweredQuestion
from bot.suggestions import Suggestion

PER_PAGE = 10
QUEUE_SHOWN = 5  # three buttons each: five action rows
UNANSWERED_BUTTONS = 5
DESCRIPTION_MAX = 4000
FIELD_MAX = 1024


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
