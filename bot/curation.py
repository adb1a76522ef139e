"""Moderator curation of the knowledge base: entries and unanswered questions.

Export, import and reload (moving entries between the database and the YAML files)
live in ``bot.exchange``; the audit trail in ``bot.audit``; who is a moderator in
``bot.moderators``.

Plain functions over an ``App``; no Discord. Every write takes an ``Actor`` and raises
``NotAllowed`` (writing nothing) unless the actor may curate the shared knowledge base
(``moderators.require_curator``: a moderator of a BOT_KB_GUILDS server, of any server when
that is unset, or the operator), and every write is one ``BEGIN IMMEDIATE`` transaction
holding the moderator row, the search index row and the audit row together, so an
acknowledged change survives ``kill -9`` whole or not at all. The unanswered questions are
server data: each server's moderators see (and link) what was asked in their server only.

Where moderator entries live, and the conflict rule
---------------------------------------------------
The YAML files in ``knowledge/`` are the reviewed source of truth; moderators change the
running bot without touching them. A moderator's version of an entry is stored in
``mod_entries`` (JSON, or NULL for a removal) and written straight into the search index,
so it is searchable at once. On every reload (``reload_knowledge``, or start-up after the
files changed) ``bot.app.merge_overrides`` layers those rows over the YAML again:

* a moderator's version of an entry wins over the YAML file with the same id, and a
  moderator's removal hides the YAML entry: overrides survive reloads;
* once the YAML says exactly the same thing (the override was exported with
  ``kb export``, reviewed and committed), the override is dropped as redundant;
* a removal (a tombstone: ``data`` is NULL) is never dropped by a reload. A missing file
  is no evidence that its deletion was committed: in a half-finished checkout or a
  branch switch the file is gone for a moment and then back, and dropping the tombstone
  then would bring the removed entry back. A kept tombstone costs one row and hides
  nothing while the file is gone; it hides the file again if it comes back. It ends
  only when a moderator brings the entry back: ``/kb add`` with that id, or ``kb import``
  of its file (the version imported then becomes redundant once the files match it).

The files are read outside any transaction; reading the rows, dropping redundant ones,
rebuilding the index and recording the files' hash then happen in one ``BEGIN IMMEDIATE``
transaction (``bot.app.sync_knowledge``), so a change another process commits meanwhile
is never lost or undone.

So the workflow is: moderators curate in Discord, someone runs ``kb export`` into the
pack, reviews the diff, deletes the files listed as "to delete", commits, reloads.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from bot.answers import unanswered
from bot.app import App
from bot.audit import record_audit
from bot.errors import InvalidInput, NotFound
from bot.knowledge import Entry, parse_entry
from bot.moderators import Actor, require_curator, require_moderator
from bot.store import dumps, iso, now, write
from bot.usernumbers import count
from bot.usertext import clean, clean_data
from bot.yamlin import YamlDoc

log = logging.getLogger(__name__)

MAX_PER_PAGE = 25


# ---------------------------------------------------------------- data shapes


class Problems(InvalidInput):
    """Input broke one or more rules; ``problems`` lists each one, readable on its own."""

    def __init__(self, problems: Iterable[str], head: str = "The entry was not saved"):
        self.problems = list(problems)
        super().__init__(f"{head}:\n" + "\n".join(f"- {p}" for p in self.problems))


@dataclass(frozen=True)
class EntryRow:
    """One line of an entry listing."""

    id: str
    title: str
    film: str
    spoiler: bool
    moderator: bool  # a moderator's version (not, or not yet, in the YAML files)


@dataclass(frozen=True)
class UnansweredQuestion:
    text: str  # normalized (lower-cased, trimmed) as grouped in the question log
    count: int
    last_asked: str


# ---------------------------------------------------------------- validation

_HINTS = (
    ("must be a slug", " (for example why-a-driver)"),
    ("must be a lowercase slug", " of a-z, 0-9 and hyphens (for example new-life)"),
    ("characters; the limit is", " - please shorten it"),
    ("items; the limit is", " - please remove some"),
    ("'questions' is", " - give at least one way people ask this, one per line"),
    ("'sources' is", " - add 'Title | https://link', a bare link, or 'scene: which scene'"),
    ("'tags' is", " - add one or more tags such as ending, misaki"),
)


def _check_fields(data: Any, film: str) -> tuple[Entry, list[str]]:
    """The loader's rules (``parse_entry``), with each problem naming its field."""
    doc = YamlDoc("entry")
    entry = parse_entry(doc, data, film)
    return entry, [_readable(message, path) for path, message in doc.located]


def _readable(message: str, path: tuple[Any, ...]) -> str:
    if message == "expected a mapping of keys to values" and not path:
        message = "the entry must be a mapping of field names to values"
    if len(path) >= 2 and path[0] == "sources" and isinstance(path[1], int):
        message = f"source {path[1] + 1}: {message}"
    for needle, hint in _HINTS:
        if needle in message:
            message += hint
            break
    return message


def film_id(app: App, film: str | None) -> str:
    """The film an entry belongs to: the one named, or the first loaded."""
    films = sorted(app.films())
    if not films:
        raise InvalidInput("No film is loaded, so there is nothing to attach the entry to.")
    if film is None:
        return films[0]
    if film not in films:
        raise InvalidInput(f"Unknown film '{film}' (known: {', '.join(films)}).")
    return film


def _validate(app: App, data: Mapping[str, Any], film: str | None) -> Entry:
    """An Entry from user data, or Problems listing every field to fix."""
    if not isinstance(data, Mapping):
        raise Problems(["the entry must be a mapping of field names to values"])
    data = clean_data(dict(data))
    film = film_id(app, film or data.pop("film", None))
    data.pop("film", None)
    entry, problems = _check_fields(data, film)
    for i, rel in enumerate(entry.related):
        if rel == entry.id:
            problems.append(f"related item {i + 1}: an entry cannot be related to itself")
        elif app.index.get(rel) is None:
            problems.append(f"related item {i + 1}: no entry has the id '{rel}'")
    if problems:
        raise Problems(problems)
    return entry


def _stored(entry: Entry) -> dict[str, Any]:
    """The JSON shape of ``mod_entries.data`` and of audit rows (file shape + film)."""
    return {**entry.as_dict(), "film": entry.film}


def check_curator(app: App, actor: Actor, action: str) -> None:
    """Refuse (and log) unless the actor may curate the shared knowledge base; for front ends
    that open a form first, so nobody types an entry they can't save."""
    require_curator(actor, app.settings.kb_guilds, action)


def save_entry(app: App, actor: Actor, entry: Entry, action: str, before: Entry | None) -> None:
    """Moderator row, index row and audit row; the caller holds the transaction."""
    require_curator(actor, app.settings.kb_guilds, f"{action} entries")
    app.db["mod_entries"].upsert(
        {"id": entry.id, "data": dumps(_stored(entry)), "actor_id": actor.user_id,
         "updated_at": now()}, pk="id")
    app.index.upsert(entry, origin="moderator")
    record_audit(app.db, actor, action, entry.id, _stored(before) if before else None,
           _stored(entry))


# ---------------------------------------------------------------- entries


def add_entry(app: App, actor: Actor, data: Mapping[str, Any], film: str | None = None, *,
              question: str | None = None) -> Entry:
    """Validate and add a new entry (searchable at once); audit "add".

    ``data`` has the YAML file's shape (``entry_data_from_form`` builds it from a form).
    ``question``: an unanswered question this entry answers; its log rows get linked in
    the same transaction.
    """
    require_curator(actor, app.settings.kb_guilds, "add entries")
    try:
        with write(app.db):
            entry = _validate(app, data, film)
            if app.index.get(entry.id) is not None:
                raise InvalidInput(f"An entry with the id '{entry.id}' already exists: edit it, "
                                   "or give this one another id.")
            save_entry(app, actor, entry, "add", None)
            if question is not None:
                _link(app.db, actor, question, entry.id)
    finally:
        app.index.refresh()
    log.info("entry %s added by %s", entry.id, actor.user_id)
    return entry


def edit_entry(app: App, actor: Actor, entry_id: str, data: Mapping[str, Any]) -> Entry:
    """Change an entry (YAML or moderator); keys missing from ``data`` keep their value.

    Audit "edit" with before and after. An edit that changes nothing writes nothing.
    """
    require_curator(actor, app.settings.kb_guilds, "edit entries")
    try:
        with write(app.db):
            current = get_entry(app, entry_id)
            given = {k: v for k, v in dict(data).items() if k != "film"}
            if given.get("id", entry_id) != entry_id:
                raise InvalidInput(f"The id of '{entry_id}' cannot change; add a new entry "
                                   "and remove this one instead.")
            merged = {**current.as_dict(), **given}
            entry = _validate(app, merged, data.get("film") or current.film)
            if entry == current:
                return current
            save_entry(app, actor, entry, "edit", current)
    finally:
        app.index.refresh()
    log.info("entry %s edited by %s", entry_id, actor.user_id)
    return entry


def remove_entry(app: App, actor: Actor, entry_id: str) -> Entry:
    """Hide an entry (a tombstone in ``mod_entries``), drop it from the index; audit "remove".

    Refused while other entries list it under ``related`` (exported files would not load).
    """
    require_curator(actor, app.settings.kb_guilds, "remove entries")
    try:
        with write(app.db):
            current = get_entry(app, entry_id)
            referrers = [r[0] for r in app.db.execute(
                "SELECT DISTINCT e.id FROM entries e, json_each(e.related) j "
                "WHERE j.value = ? AND e.id != ? ORDER BY e.id", [entry_id, entry_id])]
            if referrers:
                raise InvalidInput(
                    f"'{entry_id}' is listed as related by {', '.join(referrers)}; "
                    "edit those entries first.")
            app.db["mod_entries"].upsert(
                {"id": entry_id, "data": None, "actor_id": actor.user_id,
                 "updated_at": now()}, pk="id")
            app.index.delete(entry_id)
            record_audit(app.db, actor, "remove", entry_id, _stored(current), None)
    finally:
        app.index.refresh()
    log.info("entry %s removed by %s", entry_id, actor.user_id)
    return current


def get_entry(app: App, entry_id: str) -> Entry:
    """The entry as the bot answers it now; NotFound suggests close ids."""
    entry_id = clean(entry_id)
    entry = app.index.get(entry_id.strip())
    if entry is None:
        close = [i for i, _ in app.index.ids(entry_id.strip()[:40], limit=3)] if entry_id else []
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        shown = entry_id if len(entry_id) <= 64 else entry_id[:63] + "…"  # ids are at most 64
        raise NotFound(f"No entry has the id '{shown}'.{hint}")
    return entry


def _rows(app: App, where: str = "1", params: list[Any] | None = None,
          tail: str = "") -> list[EntryRow]:
    sql = ("SELECT e.id, e.title, e.film, e.spoiler, m.id IS NOT NULL FROM entries e "
           "LEFT JOIN mod_entries m ON m.id = e.id AND m.data IS NOT NULL "
           f"WHERE {where} ORDER BY e.id {tail}")
    return [EntryRow(r[0], r[1], r[2], bool(r[3]), bool(r[4]))
            for r in app.db.execute(sql, params or [])]


def list_entries(app: App, page: int = 1, per_page: int = 10) -> tuple[list[EntryRow], int]:
    """One page (1-based) of entries by id, and the number of pages (at least 1)."""
    if type(per_page) is not int or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_PER_PAGE}.")
    if type(page) is not int or page < 1:
        raise InvalidInput("Pages start at 1.")
    total = app.db.execute("SELECT count(*) FROM entries").fetchone()[0]
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages + 1)  # past the end: no rows (and no 64-bit overflow)
    rows = _rows(app, tail="LIMIT ? OFFSET ?", params=[per_page, (page - 1) * per_page])
    return rows, pages


def search_entries(app: App, text: str, limit: int = 10) -> list[EntryRow]:
    """Entries whose id or title contains ``text``, then the best word matches."""
    text, limit = clean(text).strip(), count(limit, "limit", high=100)
    if not text:
        return []
    ids = [i for i, _ in app.index.ids(text, limit=limit)]
    ids += [h.id for h in app.index.search(text, limit=limit) if h.id not in ids]
    by_id = {r.id: r for r in _rows(app, f"e.id IN ({','.join('?' * len(ids))})", ids)} \
        if ids else {}
    return [by_id[i] for i in ids[:limit] if i in by_id]


# ---------------------------------------------------------------- unanswered questions


def unanswered_questions(app: App, actor: Actor, days: int = 30, limit: int = 10
                         ) -> list[UnansweredQuestion]:
    """The questions asked in the actor's server that the bot abstained on most in the last
    ``days`` days (every server's, for the operator); for moderators."""
    require_moderator(actor, "see unanswered questions")
    days, limit = count(days, "days", high=36500), count(limit, "limit", high=1000)
    since = iso(datetime.now(UTC) - timedelta(days=days))
    guild = None if actor.is_operator else actor.guild_id
    return [UnansweredQuestion(*row)
            for row in unanswered(app.db, since=since, limit=limit, guild_id=guild)]


def _link(db: Database, actor: Actor, question: str, entry_id: str) -> int:
    server, params = ("", []) if actor.is_operator else ("AND guild_id = ?", [actor.guild_id])
    cursor = db.execute(
        "UPDATE question_log SET entry_id = ? "
        f"WHERE entry_id IS NULL AND lower(trim(text)) = lower(trim(?)) {server}",
        [entry_id, question, *params])
    count = cursor.rowcount
    if count:
        record_audit(db, actor, "link", entry_id, None,
               {"question": question.strip(), "questions_linked": count})
    return count


def link_question(app: App, actor: Actor, question_text: str, entry_id: str) -> int:
    """Mark the logged unanswered question (same text, any case) as answered by an entry.

    It leaves the actor's server's unanswered list; audit "link". Returns how many log rows
    were linked.
    """
    require_curator(actor, app.settings.kb_guilds, "link questions to entries")
    question_text = clean(question_text)
    if not question_text.strip():
        raise InvalidInput("Which question? The text is empty.")
    with write(app.db):
        get_entry(app, entry_id)
        count = _link(app.db, actor, question_text, entry_id)
        if not count:
            raise NotFound("No unanswered question in the log has that text.")
    return count
