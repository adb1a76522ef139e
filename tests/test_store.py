"""The database at open and under contention: clear errors, never a traceback or a bad write.

- Another process holding the write lock: every write path ends in ``Busy`` after the busy
  timeout (lowered here), and the CLI and console print one line.
- A damaged file, or one from a newer schema, is refused before anything is written, with
  the recovery steps.
- A --db path that cannot be used (its parent is a file, a read-only folder) is one line.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import polls, store, suggestions, votes
from bot.answers import ask, record_feedback
from bot.app import App, open_app
from bot.cli import cli
from bot.config import Settings
from bot.console import Console
from bot.curation import add_entry, edit_entry, remove_entry
from bot.errors import Busy, DamagedDatabase, NewerDatabase, StorageError
from bot.exchange import reload_knowledge
from bot.guilds import set_shows_spoilers
from bot.moderators import Actor
from bot.store import open_db
from tests.conftest import REPO
from tests.curation_support import dog_data

MOD = Actor(user_id=42, guild_id=111, is_moderator=True)

HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("LOCKED", flush=True)
sys.stdin.read()  # hold the write lock until the parent closes our stdin
conn.execute("ROLLBACK")
"""


@pytest.fixture
def quick_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 100)


@pytest.fixture
def locked(app: App, quick_busy: None) -> Iterator[App]:
    """The app's database with the write lock held by another process."""
    app.db.execute(f"PRAGMA busy_timeout={store.BUSY_TIMEOUT_MS}")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(app.settings.db_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "LOCKED"
    try:
        yield app
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)


WRITES = {
    "ask (question log)": lambda app: ask(app, "why is misaki in korea"),
    "feedback": lambda app: record_feedback(app.db, "no-kiss", 5, True),
    "add entry": lambda app: add_entry(app, MOD, dog_data()),
    "edit entry": lambda app: edit_entry(app, MOD, "no-kiss", {"title": "Kiss?"}),
    "remove entry": lambda app: remove_entry(app, MOD, "community-view"),
    "reload": lambda app: reload_knowledge(app, MOD),
    "suggest": lambda app: suggestions.suggest(app, MOD, 2, "A title", "Some text"),
    "poll": lambda app: polls.create_ending_poll(app.db, MOD, film="drive-my-car"),
    "spoilers": lambda app: set_shows_spoilers(app.db, MOD, True),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_path_is_busy_not_a_traceback(locked: App, name: str) -> None:
    with pytest.raises(Busy) as info:
        WRITES[name](locked)
    assert str(info.value) == "The database is busy; please try again in a moment."
    assert not locked.db.conn.in_transaction  # nothing left half-open


def test_a_vote_is_busy_and_is_kept_once_the_lock_goes(app: App, quick_busy: None) -> None:
    poll = polls.create_ending_poll(app.db, MOD, film="drive-my-car")
    voter = Actor(user_id=9, guild_id=MOD.guild_id)
    app.db.execute(f"PRAGMA busy_timeout={store.BUSY_TIMEOUT_MS}")
    other = sqlite3.connect(app.settings.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(Busy):
        votes.vote(app.db, voter, poll.id, [poll.options[0].id])
    other.execute("ROLLBACK")
    votes.vote(app.db, voter, poll.id, [poll.options[0].id])
    assert votes.ballot(app.db, voter, poll.id) == (poll.options[0].id,)


def test_cli_prints_one_line_when_busy(settings: Settings, quick_busy: None) -> None:
    open_app(settings).close()
    other = sqlite3.connect(settings.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        result = CliRunner().invoke(cli, ["ask", "why a driver", "--db", str(settings.db_path),
                                          "--knowledge", str(settings.knowledge_path)])
    finally:
        other.execute("ROLLBACK")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: The database is busy; please try again in a moment."]


def test_console_keeps_running_when_busy(locked: App) -> None:
    out = StringIO()
    Console(locked, interactive=False, stdin=StringIO("why a driver\nspoilers on\n"),
            stdout=out).run()
    assert "! The database is busy; please try again in a moment." in out.getvalue()
    assert "spoilers shown" in out.getvalue()


# ---------------------------------------------------------------- damaged and newer files


def _fill(path: Path) -> None:
    db = open_db(path)
    db["question_log"].insert_all(
        {"asked_at": "2025-01-01", "source": "t", "text": f"question {n} " * 20,
         "entry_id": None, "confidence": 0.1} for n in range(3000))
    db.close()  # checkpoints the WAL into the main file


def _corrupt_a_page(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(os.urandom(4096))


def test_damaged_database_is_refused_with_recovery_steps(path: Path) -> None:
    _fill(path)
    _corrupt_a_page(path)
    before = path.read_bytes()
    with pytest.raises(DamagedDatabase) as info:
        open_db(path)
    message = str(info.value)
    assert str(path) in message and "damaged" in message
    assert "backup" in message and "db check" in message and ".recover" in message
    assert path.read_bytes() == before  # nothing was written to it


@pytest.mark.parametrize("garbage", [b"not a database at all\n" * 100, b"\0" * 10])
def test_a_file_that_is_not_a_database(path: Path, garbage: bytes) -> None:
    path.write_bytes(garbage)
    with pytest.raises(DamagedDatabase) as info:
        open_db(path)
    assert "not a SQLite database" in str(info.value) or "damaged" in str(info.value)
    assert path.read_bytes() == garbage


def test_newer_schema_is_refused_and_left_alone(path: Path) -> None:
    db = open_db(path)
    db["_sqlite_migrations"].insert({"migration_set": "bot", "name": "m999_from_the_future",
                                     "applied_at": "2099-01-01"})
    db.close()
    before = path.read_bytes()
    with pytest.raises(NewerDatabase) as info:
        open_db(path)
    assert "m999_from_the_future" in str(info.value) and "newer" in str(info.value)
    assert path.read_bytes() == before


def test_cli_on_a_damaged_database_is_a_message_not_a_traceback(settings: Settings) -> None:
    _fill(settings.db_path)
    _corrupt_a_page(settings.db_path)
    done = subprocess.run([sys.executable, "-m", "bot", "ask", "why a driver", "--db",
                           str(settings.db_path), "--knowledge", str(settings.knowledge_path)],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "damaged" in done.stderr


def test_damage_found_while_running_refuses_later_writes(app: App) -> None:
    """Corruption SQLite reports mid-write turns into DamagedDatabase, then every write is
    refused at once rather than written on top of the bad page."""
    store.refuse_writes(app.db, "The database is damaged (test).")
    with pytest.raises(DamagedDatabase):
        ask(app, "why a driver")
    with pytest.raises(DamagedDatabase):
        add_entry(app, MOD, dog_data())


def test_migrations_are_idempotent_and_recorded(path: Path) -> None:
    open_db(path).close()
    db = open_db(path)
    names = [r[0] for r in db.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = 'bot' ORDER BY id")]
    assert names == [m.name for m in store.migrations._migrations]
    db.close()


# ---------------------------------------------------------------- paths that cannot work


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StorageError) as info:
        open_db(tmp_path / "afile" / "bot.db")
    assert "afile" in str(info.value)


def test_path_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        open_db(tmp_path)
    assert "folder" in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(StorageError) as info:
            open_db(folder / "bot.db")
    finally:
        folder.chmod(0o755)
    assert str(folder) in str(info.value)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_unwritable_place(tmp_path: Path) -> None:
    """/proc refuses new files even to root: the same path as a read-only folder."""
    with pytest.raises(StorageError) as info:
        open_db("/proc/self/bot.db")
    assert "/proc/self" in str(info.value)


@pytest.mark.parametrize("make", ["file parent", "folder", "proc"])
def test_cli_bad_db_is_one_line(tmp_path: Path, pack: Path, make: str) -> None:
    (tmp_path / "afile").write_text("x")
    db = {"file parent": tmp_path / "afile" / "bot.db", "folder": tmp_path,
          "proc": Path("/proc/self/bot.db")}[make]
    done = subprocess.run([sys.executable, "-m", "bot", "kb", "list", "--db", str(db),
                           "--knowledge", str(pack)],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == (2 if make == "folder" else 1), done.stderr  # 2: click's check
    assert "Traceback" not in done.stderr
    assert str(db) in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len([line for line in lines if line.startswith("Error:")]) == 1, done.stderr
    assert make == "folder" or len(lines) == 1  # click adds its usage lines to its own check


def test_migrations_that_cannot_run_in_a_transaction(path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A VACUUM step (transactional=False) runs on its own, between the others."""
    from sqlite_utils import Migrations

    steps = Migrations("bot")
    for step in store.migrations._migrations:
        steps._migrations.append(step)
    ran: list[str] = []

    @steps()
    def m900_before(db) -> None:
        ran.append("before")

    @steps(transactional=False)
    def m901_vacuum(db) -> None:
        db.execute("VACUUM")
        ran.append("vacuum")

    @steps()
    def m902_after(db) -> None:
        ran.append("after")

    monkeypatch.setattr(store, "migrations", steps)
    db = open_db(path)
    try:
        assert ran == ["before", "vacuum", "after"]
        assert store.known_migrations()[-3:] == ["m900_before", "m901_vacuum", "m902_after"]
    finally:
        db.close()
    open_db(path).close()  # nothing left to apply
    assert ran == ["before", "vacuum", "after"]
