"""Suggestions: any member proposes an entry or a correction; a moderator decides.

A suggestion is free text (title + text), not an entry: the moderator turns it into
entry data (usually through the same modal as ``kb add``, pre-filled by
``suggestion_form``) and approves it, which adds the entry (or edits ``entry_id`` for a
correction) in the same transaction as the decision. A decided suggestion stays decided.
The returned ``Suggestion`` carries ``author_id`` and ``channel_id`` so the Discord layer
can tell the suggester what happened.

A suggestion belongs to the server it was made in: only that server's moderators see and
decide it (another server's suggestion is "not found"). Approving changes the shared
knowledge base, so it also takes a curator (``moderators.require_curator``): with
BOT_KB_GUILDS set, suggestions are taken only in those servers, where they can be approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bot.app import App
from bot.audit import record_audit
from bot.curation import add_entry, edit_entry, get_entry
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.forms import form_defaults
from bot.knowledge import Entry
from bot.moderators import Actor, require_curator, require_moderator, require_server
from bot.store import now, write
from bot.usernumbers import count, is_id, require_id
from bot.usertext import clean

TITLE_MAX = 200
TEXT_MAX = 2000
REASON_MAX = 500
MAX_PENDING_PER_USER = 5  # stops one member flooding the queue
STATUSES = ("pending", "approved", "rejected")
_COLS = ("id, created_at, guild_id, channel_id, author_id, entry_id, title, text, status, "
         "reviewer_id, reason, decided_at")


@dataclass(frozen=True)
class Suggestion:
    id: int
    created_at: str
    guild_id: int | None
    channel_id: int | None
    author_id: int
    entry_id: str | None  # the entry to correct; for approved ones, the resulting entry
    title: str
    text: str
    status: str  # pending, approved or rejected
    reviewer_id: int | None
    reason: str | None
    decided_at: str | None

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _text(value: str, what: str, limit: int) -> str:
    value = clean(value or "").strip()
    if not value:
        raise InvalidInput(f"The {what} is empty; please write something.")
    if len(value) > limit:
        raise InvalidInput(f"The {what} is {len(value)} characters; the limit is {limit}. "
                           "Please shorten it.")
    return value


def check_suggestions_here(app: App, actor: Actor) -> None:
    """Refuse where a suggestion could never be approved: a DM, or (with BOT_KB_GUILDS set)
    a server that does not curate the knowledge base. Front ends ask before opening a form."""
    require_server(actor, "suggestions")
    curators = app.settings.kb_guilds
    if curators and not actor.is_operator and actor.guild_id not in curators:
        raise NotAllowed("Suggestions are reviewed by the moderators of the servers that "
                         "curate the shared knowledge base, and this server is not one of "
                         "them, so it takes no suggestions.")


def suggest(app: App, actor: Actor, channel_id: int | None, title: str, text: str,
            entry_id: str | None = None) -> Suggestion:
    """Queue a suggestion from any member (a correction when ``entry_id`` is given)."""
    check_suggestions_here(app, actor)
    author_id, guild_id = actor.user_id, actor.guild_id
    title = _text(title, "title", TITLE_MAX)
    text = _text(text, "suggestion text", TEXT_MAX)
    require_id(channel_id, "channel_id", nullable=True)
    with write(app.db):
        if entry_id:
            entry_id = get_entry(app, entry_id).id
        pending = app.db.execute(
            "SELECT count(*) FROM suggestions WHERE author_id = ? AND status = 'pending'",
            [author_id]).fetchone()[0]
        if pending >= MAX_PENDING_PER_USER:
            raise NotAllowed(f"You already have {pending} suggestions waiting for review; "
                             "please wait until a moderator has looked at them.")
        new_id = app.db["suggestions"].insert({
            "created_at": now(), "guild_id": guild_id, "channel_id": channel_id,
            "author_id": author_id, "entry_id": entry_id or None, "title": title,
            "text": text, "status": "pending",
        }).last_pk
    return _load(app, int(new_id))


def get_suggestion(app: App, actor: Actor, suggestion_id: int) -> Suggestion:
    """One suggestion of the actor's server, for its moderators."""
    require_moderator(actor, "review suggestions")
    found = _load(app, suggestion_id)
    if not actor.sees(found.guild_id):
        raise NotFound(_missing(suggestion_id))
    return found


def _load(app: App, suggestion_id: int) -> Suggestion:
    row = app.db.execute(f"SELECT {_COLS} FROM suggestions WHERE id = ?",
                         [suggestion_id]).fetchone() if is_id(suggestion_id) else None
    if row is None:
        raise NotFound(_missing(suggestion_id))
    return Suggestion(*row)


def _missing(suggestion_id: int) -> str:
    """The same words for unknown ids and other servers' suggestions: they confirm nothing."""
    return f"No suggestion #{suggestion_id} here."


def queue(app: App, actor: Actor, limit: int = 25) -> list[Suggestion]:
    """Pending suggestions of the actor's server (every server's, for the operator), oldest
    first."""
    require_moderator(actor, "review suggestions")
    where, params = ("", []) if actor.is_operator else ("AND guild_id = ?", [actor.guild_id])
    rows = app.db.execute(
        f"SELECT {_COLS} FROM suggestions WHERE status = 'pending' {where} ORDER BY id LIMIT ?",
        [*params, count(limit, "limit", high=100)])
    return [Suggestion(*r) for r in rows]


def suggestion_form(app: App, suggestion: Suggestion) -> dict[str, str]:
    """Form text to pre-fill the moderator's modal when approving."""
    if suggestion.entry_id:
        entry = app.index.get(suggestion.entry_id)
        if entry is not None:
            return form_defaults(entry)
    return {"title": suggestion.title, "questions": suggestion.title,
            "answer": suggestion.text, "sources": "", "tags": ""}


def _pending(app: App, actor: Actor, suggestion_id: int) -> Suggestion:
    current = get_suggestion(app, actor, suggestion_id)
    if not current.is_pending:
        who = f" by user {current.reviewer_id}" if current.reviewer_id is not None else ""
        raise InvalidInput(f"Suggestion #{suggestion_id} was already {current.status}{who}.")
    return current


def approve(app: App, actor: Actor, suggestion_id: int, data: Mapping[str, Any]
            ) -> tuple[Suggestion, Entry]:
    """Turn a pending suggestion into an entry (or an edit of ``entry_id``); audit "approve"."""
    require_curator(actor, app.settings.kb_guilds, "approve suggestions")
    with write(app.db):
        current = _pending(app, actor, suggestion_id)
        if current.entry_id:
            entry = edit_entry(app, actor, current.entry_id, data)
        else:
            entry = add_entry(app, actor, data)
        app.db.execute(
            "UPDATE suggestions SET status = 'approved', reviewer_id = ?, decided_at = ?, "
            "entry_id = ? WHERE id = ?", [actor.user_id, now(), entry.id, suggestion_id])
        decided = _load(app, suggestion_id)
        record_audit(app.db, actor, "approve", entry.id, current.to_dict(),
                     decided.to_dict(), guild_id=current.guild_id)
    app.index.refresh()
    return decided, entry


def reject(app: App, actor: Actor, suggestion_id: int, reason: str) -> Suggestion:
    """Decline a pending suggestion; the reason is required and shown to the suggester."""
    require_moderator(actor, "reject suggestions")
    reason = _text(reason, "reason", REASON_MAX)
    with write(app.db):
        current = _pending(app, actor, suggestion_id)
        app.db.execute(
            "UPDATE suggestions SET status = 'rejected', reviewer_id = ?, decided_at = ?, "
            "reason = ? WHERE id = ?", [actor.user_id, now(), reason, suggestion_id])
        decided = _load(app, suggestion_id)
        record_audit(app.db, actor, "reject", current.entry_id, current.to_dict(),
                     decided.to_dict(), guild_id=current.guild_id)
    return decided
