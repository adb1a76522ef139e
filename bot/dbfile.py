"""The database file's health: what SQLite's errors mean for a person, and the open checks.

SQLite reports a locked, damaged, read-only or full database as ``sqlite3.Error`` with a
result code. ``describe`` turns the codes a person can cause or fix into domain errors
whose message says what to do; programming errors (a bad query) are left as they are.
``check_at_open`` runs before anything writes: a damaged file, or one a newer version of
the bot migrated, is refused rather than written on top of.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from bot.errors import BotError, Busy, DamagedDatabase, NewerDatabase, StorageError

MIGRATIONS_TABLE = "_sqlite_migrations"
MIGRATION_SET = "bot"


def recovery(path: str, *, checked: bool = False) -> str:
    """The steps that get a person from a damaged database back to a working bot
    (``checked``: for ``db check``'s own report, which needs no pointer to itself)."""
    salvaged = Path(path).with_name("salvaged.db")
    steps = [] if checked else [f"see what is wrong: python -m bot db check --db {path}"]
    steps += ["restore your latest backup (README, \"Backups\"), or",
              f"salvage what is still readable: sqlite3 {path} .recover | sqlite3 {salvaged}"]
    head = "To recover, stop the bot, then:" if checked else \
        "Nothing was written to it. To recover, stop the bot, then:"
    return "\n".join([head, *(f"  - {step}" for step in steps)])


def db_path(db: Database) -> str:
    """The file behind a connection ("" for an in-memory database)."""
    try:
        row = db.conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return "the database"
    return (row[2] if row else "") or ":memory:"


def _code(exc: sqlite3.Error) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF  # extended codes carry the primary code in the low byte
    text = str(exc).lower()  # pragma: no cover - Python < 3.11 has no error codes
    for needle, primary in (("locked", sqlite3.SQLITE_BUSY), ("malformed", sqlite3.SQLITE_CORRUPT),
                            ("not a database", sqlite3.SQLITE_NOTADB)):
        if needle in text:
            return primary
    return -1


def describe(exc: sqlite3.Error, path: str) -> BotError | None:
    """The domain error for an SQLite error a person can act on, or None (a bug: re-raise)."""
    code = _code(exc)
    parent = Path(path).parent
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return Busy()
    if code == sqlite3.SQLITE_NOTADB:
        return DamagedDatabase(f"{path} is not a SQLite database, or it is damaged beyond "
                               f"reading. {recovery(path)}")
    if code == sqlite3.SQLITE_CORRUPT:
        return DamagedDatabase(f"The database {path} is damaged ({exc}). {recovery(path)}")
    if code == sqlite3.SQLITE_CANTOPEN:
        return StorageError(f"Cannot open or create the database {path}: check that the folder "
                            f"{parent} exists and is writable, or choose another path "
                            "(--db or BOT_DB).")
    if code == sqlite3.SQLITE_READONLY:
        return StorageError(f"The database {path} is read-only: check the permissions of the "
                            f"file and of its folder {parent} (SQLite writes {Path(path).name}"
                            "-wal and -shm files next to it).")
    if code == sqlite3.SQLITE_FULL:
        return StorageError(f"The disk holding {path} is full; free some space and try again.")
    if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH):
        return StorageError(f"SQLite could not read or write {path} ({exc}); check the disk "
                            f"and the file's permissions, then: python -m bot db check --db {path}")
    return None


def prepare_path(path: str | Path) -> str:
    """The database path as SQLite wants it, with its folder created; StorageError when the
    path cannot hold a database file (a folder, or a parent that is a file)."""
    if str(path) == ":memory:":
        return ":memory:"
    target = Path(path)
    if target.is_dir():
        raise StorageError(f"Cannot use {target} as the database: it is a folder. Give a file "
                           f"path such as {target / 'bot.db'}.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (target.parent, *target.parent.parents) if p.is_file()),
                       target.parent)
        raise StorageError(f"Cannot create the database {target}: {blocker} is a file, "
                           "not a folder.") from None
    except OSError as exc:
        raise StorageError(f"Cannot create the folder {target.parent} for the database: "
                           f"{exc.strerror or exc}.") from None
    return str(target)


def applied_migrations(db: Database) -> list[str]:
    """Names of the schema steps applied to this file (read only)."""
    if not db[MIGRATIONS_TABLE].exists():
        return []
    return [r[0] for r in db.execute(
        f"SELECT name FROM [{MIGRATIONS_TABLE}] WHERE migration_set = ? ORDER BY rowid",
        [MIGRATION_SET])]


def check_at_open(db: Database, path: str, known: Iterable[str]) -> None:
    """Refuse a damaged file (``PRAGMA quick_check``) or one from a newer schema.

    quick_check reads every page but skips the index cross-checks of integrity_check: about
    40 ms for a 60 MB database (10,000 entries and 200,000 logged questions), so it runs at
    every open. ``db check`` runs the full integrity_check.
    """
    problems = [r[0] for r in db.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise DamagedDatabase(f"The database {path} is damaged (quick_check: "
                              f"{'; '.join(problems)[:300]}). {recovery(path)}")
    known = set(known)
    unknown = [name for name in applied_migrations(db) if name not in known]
    if unknown:
        raise NewerDatabase(
            f"The database {path} was written by a newer version of the bot (schema steps "
            f"this version does not know: {', '.join(unknown)}). Nothing was written to it. "
            "Run the newer version, or restore a backup made before the upgrade "
            "(README, \"Backups\").")


@dataclass
class DbReport:
    """What ``db check`` found."""

    path: str
    size: int = 0
    journal: str = ""
    integrity: list[str] = field(default_factory=list)  # ["ok"], or the problems
    applied: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # applied by a newer version
    pending: list[str] = field(default_factory=list)  # to be applied at the next start
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""  # the file could not be read as a database at all

    @property
    def ok(self) -> bool:
        return not self.error and self.integrity == ["ok"] and not self.unknown

    def text(self) -> str:
        lines = [f"database: {self.path} ({self.size:,} bytes"
                 + (f", {self.journal} journal)" if self.journal else ")")]
        if self.error:
            return "\n".join([*lines, f"error: {self.error}", recovery(self.path, checked=True)])
        if self.integrity == ["ok"]:
            lines.append("integrity: ok")
        else:
            lines.append("integrity: DAMAGED")
            lines += [f"  {problem}" for problem in self.integrity]
        if self.unknown:
            lines.append(f"schema: written by a newer version of the bot (unknown steps: "
                         f"{', '.join(self.unknown)}); this version will not write to it")
        elif self.pending:
            lines.append(f"schema: older ({len(self.applied)} steps); the next start applies "
                         f"{', '.join(self.pending)}")
        else:
            lines.append(f"schema: up to date ({len(self.applied)} steps)")
        lines.append("rows: " + ", ".join(f"{t} {n:,}" for t, n in self.counts.items()))
        if self.integrity != ["ok"]:
            lines.append(recovery(self.path, checked=True))
        return "\n".join(lines)


def inspect_db(path: str | Path, known: Iterable[str] = ()) -> DbReport:
    """Diagnose the file without migrating or writing anything: the full
    ``PRAGMA integrity_check``, the schema steps against ``known``, and row counts.
    Works on files the bot refuses to open (damaged, newer)."""
    target = Path(path)
    if not target.is_file():
        raise StorageError(f"No database at {target}.")
    report = DbReport(str(target), target.stat().st_size)
    try:
        conn = sqlite3.connect(target)  # read and write: a WAL left by a crash may need it
    except sqlite3.Error as exc:
        report.error = _reason(exc)
        return report
    db = Database(conn)
    try:
        report.journal = db.execute("PRAGMA journal_mode").fetchone()[0]
        tables = db.table_names()
    except sqlite3.DatabaseError as exc:  # not even the schema can be read
        report.error = _reason(exc)
        conn.close()
        return report
    try:
        try:
            report.integrity = [r[0] for r in db.execute("PRAGMA integrity_check(50)")]
        except sqlite3.DatabaseError as exc:
            report.integrity = [f"integrity_check stopped: {exc}"]
        known = list(known)
        report.applied = applied_migrations(db)
        report.unknown = [n for n in report.applied if n not in known]
        report.pending = [n for n in known if n not in report.applied]
        for table in tables:
            if table.startswith(("sqlite_", "_")) or "_fts_" in table:
                continue
            try:
                report.counts[table] = db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                report.counts[table] = -1
                report.integrity = [*(x for x in report.integrity if x != "ok"),
                                    f"{table}: {exc}"]
    except sqlite3.DatabaseError as exc:
        report.error = _reason(exc)
    finally:
        conn.close()
    return report


def _reason(exc: sqlite3.Error) -> str:
    if _code(exc) == sqlite3.SQLITE_NOTADB:
        return "not a SQLite database, or damaged beyond reading"
    return str(exc)
