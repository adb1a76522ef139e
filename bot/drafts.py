"""Entry forms the core refused, kept so that "Fix and resubmit" can reopen them.

A moderator who typed a long answer and made one mistake (a source line the core can't
read, a missing question) must not lose the text: the front end keeps the form as a draft
and offers a button that reopens it, filled in. Drafts are in the database, not in the
bot's memory, so the button still works after a restart.

A draft belongs to the person who wrote it, in the server where they wrote it: nobody else
can reopen it, and it reads like a missing one to them. Drafts are kept for a day
(``KEEP``); saving one deletes the older ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from bot.errors import InvalidInput, NotFound
from bot.moderators import Actor, require_moderator
from bot.polls import check_id, utc
from bot.store import dumps, iso, write

KEEP = timedelta(days=1)
FIELDS_MAX = 10  # text fields per form
FIELD_MAX = 4000  # characters per field: Discord's text input limit
TARGET_MAX = 2000  # characters of the JSON that says what saving the form does


@dataclass(frozen=True)
class Draft:
    """A form as its writer left it: what saving it does, and the text of each field."""

    id: int
    owner_id: int
    guild_id: int | None
    target: dict[str, Any]
    fields: dict[str, str]
    created_at: str


def save_draft(db: Database, actor: Actor, target: Mapping[str, Any],
               fields: Mapping[str, str], now: datetime | None = None) -> Draft:
    """Keep a refused form for its writer (a moderator of the server they are in)."""
    require_moderator(actor, "keep a refused form")
    at = utc(now)
    if not isinstance(fields, Mapping) or len(fields) > FIELDS_MAX or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) <= FIELD_MAX
            for k, v in fields.items()):
        raise InvalidInput(f"A form has at most {FIELDS_MAX} text fields of at most "
                           f"{FIELD_MAX} characters.")
    try:
        target_json = dumps(dict(target))
    except (TypeError, ValueError):
        raise InvalidInput("A form's target must be plain data.") from None
    if len(target_json) > TARGET_MAX:
        raise InvalidInput("A form's target is too long.")
    with write(db):
        db.execute("DELETE FROM form_drafts WHERE created_at < ?", [iso(at - KEEP)])
        draft_id = db.execute(
            "INSERT INTO form_drafts (owner_id, guild_id, target, fields, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [actor.user_id, actor.guild_id, target_json, dumps(dict(fields)), iso(at)],
        ).lastrowid
    return load_draft(db, actor, draft_id, now=at)


def load_draft(db: Database, actor: Actor, draft_id: int,
               now: datetime | None = None) -> Draft:
    """The actor's own draft, written in the server they are in, less than a day old."""
    check_id(draft_id, "draft_id")
    row = db.execute("SELECT id, owner_id, guild_id, target, fields, created_at "
                     "FROM form_drafts WHERE id = ?", [draft_id]).fetchone()
    if (row is None or row[1] != actor.user_id or row[2] != actor.guild_id
            or row[5] < iso(utc(now) - KEEP)):
        raise NotFound("That form is no longer kept (drafts are kept for a day); please run "
                       "the command again.")
    return Draft(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]), row[5])
