"""The audit trail: who changed which entry, when, and what it was before and after.

Rows are written in the same transaction as the change they record, so the trail and the
knowledge base never disagree, even after a crash.

Each row remembers the server it was made from. Changes to entries are the shared knowledge
base's history, shown to every curator; rows that carry one server's data (suggestion
decisions with the suggester and their text, question links with what was asked there) are
shown only to that server's moderators, and to the operator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from bot.app import App
from bot.moderators import Actor, require_curator
from bot.store import dumps, now
from bot.usernumbers import count
from bot.usertext import clean

MAX_AUDIT_ROWS = 200
SERVER_ACTIONS = ("approve", "reject", "link")  # rows holding one server's data
_UNSET: Any = object()


@dataclass(frozen=True)
class AuditRecord:
    """One audit row, with before and after decoded from JSON."""

    id: int
    at: str
    actor_id: int
    action: str  # add, edit, remove, import, link, approve, reject
    entry_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def changed_fields(self) -> list[str]:
        """Keys whose value differs between before and after (for one-line summaries)."""
        before, after = self.before or {}, self.after or {}
        return [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]


def record_audit(db: Database, actor: Actor, action: str, entry_id: str | None,
                 before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, *,
                 guild_id: int | None = _UNSET) -> None:
    """One audit row; the caller holds the write transaction of the change it records, and
    has already checked the actor's rights. ``guild_id``: the server whose data the row
    carries (default: the actor's)."""
    db["audit_log"].insert({
        "at": now(), "actor_id": actor.user_id, "action": action, "entry_id": entry_id,
        "guild_id": actor.guild_id if guild_id is _UNSET else guild_id,
        "before": dumps(before) if before is not None else None,
        "after": dumps(after) if after is not None else None,
    })


def audit_log(app: App, actor: Actor, entry_id: str | None = None, limit: int = 20
              ) -> list[AuditRecord]:
    """The newest audit rows first, for one entry or all (curators; see the module doc)."""
    require_curator(actor, app.settings.kb_guilds, "read the audit log")
    limit, entry_id = count(limit, "limit", high=MAX_AUDIT_ROWS), entry_id and clean(entry_id)
    where, params = ("entry_id = ?", [entry_id]) if entry_id else ("1", [])
    if not actor.is_operator:
        where += (f" AND (action NOT IN ({', '.join('?' * len(SERVER_ACTIONS))})"
                  " OR guild_id = ?)")
        params += [*SERVER_ACTIONS, actor.guild_id]
    rows = app.db.execute(
        "SELECT id, at, actor_id, action, entry_id, before, after FROM audit_log "
        f"WHERE {where} ORDER BY id DESC LIMIT ?", [*params, limit])
    return [AuditRecord(r[0], r[1], r[2], r[3], r[4],
                        json.loads(r[5]) if r[5] else None, json.loads(r[6]) if r[6] else None)
            for r in rows]
