"""A copy of the live database, safe to take while the bot runs (``db backup``).

SQLite's online backup API copies the pages of one consistent snapshot: in WAL mode
writers go on meanwhile, and the copy holds every transaction committed before it began,
and none after. (Copying ``bot.db`` with ``cp`` while the bot runs is not a backup: the
latest commits live in ``bot.db-wal``.) The copy is written to a temporary file, turned
into a single self-contained file (rollback journal, no ``-wal``), checked with
``PRAGMA integrity_check``, and only then renamed into place.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.dbfile import describe
from bot.errors import InvalidInput, StorageError
from bot.yamlout import sync_folder


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int  # bytes
    integrity: list[str]  # ["ok"], or what integrity_check found in the copy


def backup_db(source: Path, target: Path, *, force: bool = False,
              busy_timeout_ms: int = 5000) -> Backup:
    """Copy the database at ``source`` to ``target`` (a file, or a folder to put a dated
    copy in). Refuses to replace an existing file unless ``force``."""
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise StorageError(f"No database at {source}.")
    if target.is_dir():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = target / f"{source.stem}-{stamp}.db"
    if target.exists() and not force:
        raise InvalidInput(f"{target} already exists; choose another name, or use --force to "
                           "replace it.")
    if target.resolve() == source.resolve():
        raise InvalidInput("The backup must go to another file than the database itself.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create the folder {target.parent}: "
                           f"{exc.strerror or exc}.") from None
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        integrity = _copy(source, tmp, busy_timeout_ms)
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise (describe(exc, str(source)) or StorageError(f"The backup failed: {exc}.")) \
            from exc
    except OSError as exc:
        raise StorageError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    finally:
        tmp.unlink(missing_ok=True)
    sync_folder(target.parent)
    return Backup(target, target.stat().st_size, integrity)


def _copy(source: Path, tmp: Path, busy_timeout_ms: int) -> list[str]:
    src = sqlite3.connect(source)  # read and write: a WAL left by a crash may need recovery
    try:
        src.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst)  # all pages in one step: one snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, whatever the source uses
            integrity = [r[0] for r in dst.execute("PRAGMA integrity_check(20)")]
        finally:
            dst.close()
    finally:
        src.close()
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    return integrity
