"""SQLite storage: one file, WAL, schema as sqlite-utils migrations.

Every module that persists something reads and writes the tables defined here;
nothing else creates tables. Each acknowledged write happens inside ``write()``
(``BEGIN IMMEDIATE``) with ``synchronous=FULL``, so it survives ``kill -9``. The file is
checked before anything writes to it (``bot.dbfile``), and SQLite errors a person can act
on (busy, damaged, read-only, full) leave ``write()`` as domain errors.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from bot import pseudonyms
from bot.dbfile import (
    MIGRATION_SET,
    DbReport,
    check_at_open,
    db_path,
    describe,
    inspect_db,
    prepare_path,
)
from bot.errors import DamagedDatabase

log = logging.getLogger(__name__)
migrations = Migrations(MIGRATION_SET)
BUSY_TIMEOUT_MS = 5000  # how long a write waits for another process's write lock
_refused: weakref.WeakKeyDictionary[Database, str] = weakref.WeakKeyDictionary()

FTS_TOKENIZE = "unicode61 remove_diacritics 2"  # text is stemmed before indexing (m006)
M001_TOKENIZE = "porter unicode61 remove_diacritics 2"  # the first index, replaced by m006
ENTRY_SEARCH_COLUMNS = ("title", "questions", "aliases", "tags", "answer")


def iso(moment: datetime) -> str:
    """A time as stored: UTC ISO 8601 text with microseconds, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now() -> str:
    """The current time as stored."""
    return iso(datetime.now(UTC))


def dumps(value: Any) -> str:
    """Compact, stable JSON for columns that hold lists or objects."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def open_db(path: str | Path, secret_path: str | Path | None = None) -> Database:
    """Open (creating if needed) the bot database: checked, WAL, every migration applied.

    A path that cannot hold the file raises StorageError; a damaged file DamagedDatabase and
    a newer one NewerDatabase, before anything is written to it. Each message is for people.

    ``secret_path``: the voter key file (``bot.pseudonyms``); by default ``voter.key`` next
    to the database. An in-memory database without one gets a throwaway key.
    """
    target = prepare_path(path)
    try:
        db = Database(target)
    except sqlite3.Error as exc:
        error = describe(exc, target)
        if error is None:
            raise
        raise error from exc
    try:
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        check_at_open(db, target, known_migrations())
        if target == ":memory:" and secret_path is None:
            secret = secrets.token_bytes(pseudonyms.SECRET_BYTES)
        else:
            secret = pseudonyms.load_secret(
                Path(secret_path or pseudonyms.default_secret_path(path)))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (voter ids rewritten as pseudonyms, purged questions) are overwritten
        # with zeros instead of lingering in free space, where anyone with the file could
        # read them.
        db.execute("PRAGMA secure_delete=ON")
        pseudonyms.install(db, secret)
        _migrate(db)
        _check_voter_key(db)
    except BaseException as exc:
        db.close()
        error = describe(exc, target) if isinstance(exc, sqlite3.Error) else None
        if error is None:
            raise
        raise error from exc
    return db


def _migrate(db: Database) -> None:
    """Apply pending migrations. Transactional ones run under the write lock, so two
    processes opening a new file do not race (one migrates, the other then finds nothing
    to do); one that cannot run in a transaction (VACUUM) runs on its own."""
    while pending := migrations.pending(db):
        later = [m.name for m in pending[1:]]
        if not pending[0].transactional:
            migrations.apply(db, stop_before=later)
            continue
        barrier = next((m.name for m in pending if not m.transactional), None)
        with write(db):
            migrations.apply(db, stop_before=barrier)


def known_migrations() -> list[str]:
    """The schema steps this version knows, in order."""
    return [m.name for m in migrations._migrations]  # sqlite-utils has no public list


def inspect(path: str | Path) -> DbReport:
    """``db check``: integrity, schema against this version, row counts; writes nothing."""
    return inspect_db(path, known_migrations())


def refuse_writes(db: Database, message: str) -> None:
    """From now on every ``write()`` on this connection raises DamagedDatabase(message)."""
    _refused[db] = message


def _check_voter_key(db: Database) -> None:
    """Remember the voter key id; warn when it changed (anonymous polls then stop voting)."""
    current, known = pseudonyms.current_key_id(db), get_meta(db, "voter_key_id")
    if current == known:
        return
    stranded = db.execute("SELECT count(*) FROM polls WHERE anonymous AND status = 'open' "
                          "AND voter_key IS NOT ?", [current]).fetchone()[0]
    if known is not None and stranded:
        log.warning("the voter key changed (the key file was lost or replaced): %d open "
                    "anonymous poll(s) keep their votes but take no new ones", stranded)
    with write(db):
        set_meta(db, "voter_key_id", current)


def get_meta(db: Database, key: str) -> str | None:
    """Read one value from the key/value ``meta`` table."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(db: Database, key: str, value: str) -> None:
    """Write one value to the ``meta`` table (caller decides the transaction)."""
    db["meta"].upsert({"key": key, "value": value}, pk="key")


@migrations()
def m001_knowledge(db: Database) -> None:
    """Entries (YAML merged with moderator overrides), their FTS5 index and vocabulary."""
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["entries"].create(
        {
            "id": str,
            "film": str,
            "title": str,
            "questions": str,  # newline-joined, for FTS
            "aliases": str,  # newline-joined, for FTS
            "tags": str,  # space-joined, for FTS
            "answer": str,
            "sources": str,  # JSON list of {title, url} / {scene}
            "related": str,  # JSON list of ids
            "spoiler": int,
            "origin": str,  # "yaml" or "moderator"
            "key_terms": str,  # stemmed terms of title/questions/aliases/tags
            "answer_terms": str,  # stemmed terms of the answer
        },
        pk="id",
    )
    db["entries"].enable_fts(ENTRY_SEARCH_COLUMNS, create_triggers=True, tokenize=M001_TOKENIZE)
    db["vocab"].create({"term": str, "df": int, "key_df": int}, pk="term")
    db["films"].create({"id": str, "data": str}, pk="id")
    db["interpretations"].create(
        {"id": str, "film": str, "position": int, "label": str, "summary": str, "sources": str},
        pk="id",
    )


@migrations()
def m002_questions(db: Database) -> None:
    """Question log, answer feedback and per-guild settings."""
    db["question_log"].create(
        {
            "id": int,
            "asked_at": str,
            "source": str,
            "text": str,
            "entry_id": str,  # NULL when the bot abstained
            "confidence": float,
        },
        pk="id",
    )
    db["question_log"].create_index(["asked_at"])
    db["feedback"].create(
        {"entry_id": str, "user_id": int, "helpful": int, "updated_at": str},
        pk=("entry_id", "user_id"),
    )
    db["guild_settings"].create({"guild_id": int, "show_spoilers": int}, pk="guild_id")


@migrations()
def m003_polls(db: Database) -> None:
    """Polls, their options, current ballots and the append-only vote event log."""
    db["polls"].create(
        {
            "id": int,
            "question": str,
            "film": str,
            "kind": str,  # "interpretations" or "custom"
            "creator_id": int,
            "guild_id": int,
            "channel_id": int,
            "message_id": int,
            "max_choices": int,  # 1 = single choice
            "anonymous": int,
            "allow_change": int,
            "deadline": str,  # ISO UTC or NULL
            "status": str,  # "open" or "closed"
            "created_at": str,
            "closed_at": str,
            "closed_by": int,
        },
        pk="id",
        not_null={"question", "status", "created_at"},
    )
    db["poll_options"].create(
        {"poll_id": int, "option_id": str, "position": int, "label": str, "summary": str},
        pk=("poll_id", "option_id"),
        foreign_keys=[("poll_id", "polls", "id")],
    )
    db["ballots"].create(
        {"poll_id": int, "user_id": int, "choices": str, "cast_at": str},
        pk=("poll_id", "user_id"),  # one ballot per user per poll, enforced here
        foreign_keys=[("poll_id", "polls", "id")],
    )
    db["vote_events"].create(
        {"id": int, "poll_id": int, "user_id": int, "at": str, "old": str, "new": str},
        pk="id",
        foreign_keys=[("poll_id", "polls", "id")],
    )
    db["vote_events"].create_index(["poll_id", "id"])


@migrations()
def m004_curation(db: Database) -> None:
    """Moderator overrides of entries, suggestions and the audit log."""
    db["mod_entries"].create(
        {
            "id": str,
            "data": str,  # JSON entry, or NULL when a moderator removed the entry
            "actor_id": int,
            "updated_at": str,
        },
        pk="id",
    )
    db["audit_log"].create(
        {
            "id": int,
            "at": str,
            "actor_id": int,
            "action": str,
            "entry_id": str,
            "before": str,
            "after": str,
        },
        pk="id",
    )
    db["suggestions"].create(
        {
            "id": int,
            "created_at": str,
            "guild_id": int,
            "channel_id": int,
            "author_id": int,
            "entry_id": str,  # set for corrections, and once approved
            "title": str,
            "text": str,
            "status": str,  # "pending", "approved" or "rejected"
            "reviewer_id": int,
            "reason": str,
            "decided_at": str,
        },
        pk="id",
    )


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """A write transaction taken with BEGIN IMMEDIATE.

    ``db.atomic()`` begins a deferred transaction; when several connections read
    then write the same rows, a deferred upgrade can fail with SQLITE_BUSY at
    once instead of waiting. IMMEDIATE takes the write lock up front, so
    concurrent writers queue on ``busy_timeout``. Nested use becomes a savepoint.

    This is the one place SQLite's errors become domain errors for every write path:
    ``Busy`` when another process kept the lock past the timeout, ``DamagedDatabase``,
    ``StorageError`` (read-only, disk full); the transaction is rolled back first.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    if db in _refused:
        raise DamagedDatabase(_refused[db])
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise _domain_error(db, exc) from exc
    try:
        yield db
        db.execute("COMMIT")
    except BaseException as exc:
        if db.conn.in_transaction:
            db.conn.rollback()
        if isinstance(exc, sqlite3.Error):
            raise _domain_error(db, exc) from exc
        raise


def _domain_error(db: Database, exc: sqlite3.Error) -> BaseException:
    """Busy, damaged, read-only... as a domain error; anything else (a bug) unchanged.

    Once SQLite has reported damage, later writes are refused at once rather than
    written on top of the bad page.
    """
    error = describe(exc, db_path(db))
    if isinstance(error, DamagedDatabase):
        refuse_writes(db, str(error))
    return error or exc


@migrations()
def m005_fts_without_triggers(db: Database) -> None:
    """The index keeps the FTS table in step itself: row-by-row triggers made bulk loads slow."""
    for name in ("entries_ai", "entries_ad", "entries_au"):
        db.execute(f"DROP TRIGGER IF EXISTS [{name}]")


@migrations()
def m006_walls_and_pseudonyms(db: Database) -> None:
    """Anonymous ballots, their vote log and answer feedback keyed by pseudonyms, not user ids;
    the server each question and each suggestion decision came from; no names in the log."""
    db["polls"].add_column("voter_key", str)  # key id of an anonymous poll's pseudonyms
    db.execute("UPDATE polls SET voter_key = voter_key_id() WHERE anonymous")
    anonymous = "poll_id IN (SELECT id FROM polls WHERE anonymous)"
    for table in ("ballots", "vote_events"):
        db[table].add_column("voter", str)  # the user id as text, or the pseudonym
        db.execute(f"UPDATE {table} SET voter = CASE WHEN {anonymous} "
                   "THEN voter_pseudonym('poll:' || poll_id, user_id) "
                   "ELSE CAST(user_id AS TEXT) END")
        db.execute(f"UPDATE {table} SET user_id = NULL WHERE {anonymous}")
    db["ballots"].transform(pk=("poll_id", "voter"), not_null={"voter"})
    db["feedback"].add_column("voter", str)
    db.execute("UPDATE feedback SET voter = voter_pseudonym('feedback:' || entry_id, user_id)")
    db["feedback"].transform(pk=("entry_id", "voter"), drop={"user_id"}, not_null={"voter"})
    db["question_log"].add_column("guild_id", int)
    db.execute("UPDATE question_log SET guild_id = CAST(substr(source, 9, instr(source, '/') - 9)"
               " AS INTEGER) WHERE source GLOB 'discord:[0-9]*/*'")
    db.execute("UPDATE question_log SET source = 'console' WHERE source LIKE 'console:%'")
    db["question_log"].create_index(["guild_id", "asked_at"])
    db["audit_log"].add_column("guild_id", int)
    db.execute("UPDATE audit_log SET guild_id = json_extract(after, '$.guild_id') "
               "WHERE action IN ('approve', 'reject')")


@migrations(transactional=False)
def m007_forget_rewritten_ids(db: Database) -> None:
    """Rewrite the whole file (VACUUM) and empty the write-ahead log: free pages left by
    older versions, and the log's older frames, still held the user ids m006 replaced.

    VACUUM may renumber the rowids of tables without an INTEGER PRIMARY KEY, which the
    search index refers to, so the index is marked for a rebuild at the next start.
    """
    with db.atomic():
        db.execute("DELETE FROM meta WHERE key = 'knowledge_hash'")
    db.execute("VACUUM")
    busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        log.warning("another connection kept the write-ahead log busy: it still holds the "
                    "voter ids the migration removed until the next checkpoint")


@migrations()
def m008_file_hashes(db: Database) -> None:
    """The knowledge files as last loaded, and the files ``kb export`` last wrote: what
    export may replace without asking (any other version is someone else's change)."""
    db["loaded_files"].create({"path": str, "sha256": str}, pk="path", if_not_exists=True)
    db["exported_files"].create({"path": str, "sha256": str, "at": str}, pk="path",
                                if_not_exists=True)


@migrations()
def m009_stemmed_index(db: Database) -> None:
    """One stemmer: FTS5 indexes the entries' Snowball stems with plain unicode61 (no porter).

    The old index is dropped and the stored knowledge hash forgotten, so the next start
    rebuilds the index (moderator entries included) from the files and the overrides.
    """
    db["entries"].disable_fts()
    db.execute(
        "CREATE VIRTUAL TABLE entries_fts USING fts5("
        f"{', '.join(ENTRY_SEARCH_COLUMNS)}, tokenize='{FTS_TOKENIZE}')")
    db["vocab_words"].create({"word": str, "stem": str}, pk="word")
    # the distinct stems (stopwords included) of the title and of each listed question, one
    # line each: phrasing likeness, worked out once per entry rather than per question
    db["entries"].add_column("phrasings", str)
    db.execute("DELETE FROM meta WHERE key = 'knowledge_hash'")


@migrations()
def m010_poll_message_state(db: Database) -> None:
    """What each poll's messages last showed (``bot.poll_messages``): its discussion thread,
    the state its message was last edited to, and its results post, so every message can
    catch up with the database after a crash, and the results are posted once. And the
    entry forms the core refused (``bot.drafts``), so "Fix and resubmit" survives a restart.

    Polls closed before this version count as shown and posted: an upgrade posts no results
    for old polls.
    """
    db["poll_posts"].create(
        {
            "poll_id": int,
            "thread_id": int,  # the discussion thread on the poll message
            "shown": str,  # what the poll message last showed: 'open', or the closed_at shown
            "results_channel_id": int,  # where the results post is (or is being posted)
            "results_message_id": int,
            "results_nonce": str,  # the Discord nonce of a post that may be in flight
            "results_started_at": str,  # when that post was started, to look for it
            "results_for": str,  # the closed_at of the closing the results post shows
        },
        pk="poll_id",
        foreign_keys=[("poll_id", "polls", "id")],
    )
    db.execute("INSERT INTO poll_posts (poll_id, shown, results_for) "
               "SELECT id, closed_at, closed_at FROM polls WHERE status = 'closed'")
    db["form_drafts"].create(
        {
            "id": int,
            "owner_id": int,  # the moderator who wrote it; nobody else can reopen it
            "guild_id": int,  # where they wrote it
            "target": str,  # JSON: what saving the form does (add, edit, approve...)
            "fields": str,  # JSON: the text of each field as they left it
            "created_at": str,
        },
        pk="id",
    )
