"""db backup and db check: a consistent copy while the bot writes, and a full diagnosis.

The backup is taken with SQLite's online backup API while another process votes as fast
as it can; every copy must pass integrity_check and be consistent in itself (the tally
equals the replayed vote log). ``db check`` runs the full integrity_check, compares the
schema with this version's and counts rows; it works on damaged and newer files, which
the bot refuses to open. Restoring follows the README's steps.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import poll_results, polls, votes
from bot.backup import backup_db
from bot.cli import cli
from bot.errors import InvalidInput, StorageError
from bot.moderators import Actor
from bot.store import inspect as inspect_db
from bot.store import open_db
from tests.conftest import REPO
from tests.test_store import _corrupt_a_page, _fill

VOTER = """
import random, sys
from bot import polls, votes
from bot.moderators import Actor
from bot.store import open_db
db = open_db(sys.argv[1])
poll_id = int(sys.argv[2])
options = [o.id for o in polls.get_poll(db, Actor(1, 5), poll_id).options]
rng = random.Random(5)
print("READY", flush=True)
while True:
    votes.vote(db, Actor(rng.randrange(1, 300), 5), poll_id, [rng.choice(options)])
"""
MOD = Actor(user_id=1, guild_id=5, is_moderator=True)  # server 5, as the voters


def _poll(path: Path) -> int:
    db = open_db(path)
    poll = polls.create_poll(db, MOD, question="Which reading?",
                             options=[polls.Option(f"r{n}", f"Reading {n}") for n in range(4)])
    db.close()
    return poll.id


def _events(path: Path) -> int:
    db = open_db(path)
    try:
        return db["vote_events"].count
    finally:
        db.close()


def _wait_for_more_votes(path: Path, than: int, timeout: float = 30) -> None:
    """Until the voter has committed more votes than ``than`` (however slow the machine)."""
    deadline = time.monotonic() + timeout
    while _events(path) <= than:
        assert time.monotonic() < deadline, "the voter process stopped voting"
        time.sleep(0.02)


def test_backup_while_another_process_writes(tmp_path: Path) -> None:
    live = tmp_path / "bot.db"
    poll_id = _poll(live)
    voter = subprocess.Popen([sys.executable, "-c", VOTER, str(live), str(poll_id)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=REPO)
    try:
        assert voter.stdout is not None and voter.stdout.readline().strip() == "READY"
        copies = []
        for n in range(5):
            _wait_for_more_votes(live, than=_events(copies[-1].path) if copies else 0)
            copies.append(backup_db(live, tmp_path / f"copy-{n}.db"))
    finally:
        voter.kill()
        voter.wait()
    sizes = []
    for result in copies:
        assert result.integrity == ["ok"]
        assert not Path(f"{result.path}-wal").exists()  # one self-contained file
        db = open_db(result.path)
        try:
            counted = poll_results.tally(db, MOD, poll_id).counts
            assert counted == poll_results.tally_from_events(db, MOD, poll_id)
            sizes.append(db["vote_events"].count)
        finally:
            db.close()
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0] > 0  # taken mid-storm


def test_backup_refuses_to_overwrite_and_takes_a_folder(tmp_path: Path, db) -> None:
    live = tmp_path / "bot.db"
    target = tmp_path / "b.db"
    backup_db(live, target)
    with pytest.raises(InvalidInput, match="already exists"):
        backup_db(live, target)
    backup_db(live, target, force=True)
    folder = tmp_path / "backups"
    folder.mkdir()
    made = backup_db(live, folder)
    assert made.path.parent == folder and made.path.name.startswith("bot-")
    assert made.path.suffix == ".db"
    with pytest.raises(StorageError, match="No database"):
        backup_db(tmp_path / "missing.db", tmp_path / "x.db")
    assert not (tmp_path / "missing.db").exists()  # nothing created while refusing


def test_restore_as_the_readme_says(tmp_path: Path) -> None:
    """Stop the bot, move the live file and its -wal/-shm aside, copy the backup in."""
    live = tmp_path / "bot.db"
    poll_id = _poll(live)
    db = open_db(live)
    votes.vote(db, Actor(7, 5), poll_id, ["r1"])
    db.close()
    backup_db(live, tmp_path / "backup.db")
    db = open_db(live)
    votes.vote(db, Actor(8, 5), poll_id, ["r2"])  # after the backup: not in it
    db.close()
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{live}{suffix}")
        if source.exists():
            source.rename(f"{live}{suffix}.broken")
    shutil.copy(tmp_path / "backup.db", live)
    db = open_db(live)
    try:
        assert votes.ballot(db, Actor(7, 5), poll_id) == ("r1",)
        assert votes.ballot(db, Actor(8, 5), poll_id) == ()
    finally:
        db.close()


# ---------------------------------------------------------------- db check


def test_check_a_healthy_database(path: Path, db) -> None:
    report = inspect_db(path)
    assert report.ok and report.integrity == ["ok"]
    assert report.unknown == [] and report.pending == []
    assert report.counts["entries"] == 0 and "vote_events" in report.counts
    assert "integrity: ok" in report.text() and "schema: up to date" in report.text()


def test_check_a_damaged_database(path: Path) -> None:
    _fill(path)
    _corrupt_a_page(path)
    before = path.read_bytes()
    report = inspect_db(path)
    assert not report.ok and report.integrity != ["ok"]
    assert "integrity: DAMAGED" in report.text() and ".recover" in report.text()
    assert path.read_bytes() == before


def test_check_a_newer_and_an_older_database(path: Path, db) -> None:
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_fts_without_triggers'")
    db["_sqlite_migrations"].insert({"migration_set": "bot", "name": "m999_future",
                                     "applied_at": "2099-01-01"})
    db.conn.commit()
    report = inspect_db(path)
    assert report.unknown == ["m999_future"] and report.pending == ["m005_fts_without_triggers"]
    assert not report.ok and "newer version" in report.text()


def test_check_what_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "x.db").write_text("hello")
    report = inspect_db(tmp_path / "x.db")
    assert not report.ok and "not a SQLite database" in report.text()
    with pytest.raises(StorageError, match="No database"):
        inspect_db(tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()


def test_cli_db_commands(tmp_path: Path, path: Path, db) -> None:
    base = ["--db", str(path)]
    made = CliRunner().invoke(cli, ["db", "backup", str(tmp_path / "b.db"), *base])
    assert made.exit_code == 0, made.output
    assert made.output.startswith(f"backed up {path} to {tmp_path / 'b.db'} (")
    again = CliRunner().invoke(cli, ["db", "backup", str(tmp_path / "b.db"), *base])
    assert again.exit_code == 1 and "already exists" in again.output
    checked = CliRunner().invoke(cli, ["db", "check", *base])
    assert checked.exit_code == 0 and "integrity: ok" in checked.output
    db.close()
    Path(path).write_bytes(b"garbage" * 1000)
    broken = CliRunner().invoke(cli, ["db", "check", *base])
    assert broken.exit_code == 1 and "Traceback" not in broken.output
