"""Anonymous means anonymous: no voter id anywhere in the database file, before or after a
migration, and a lost voter key stops new votes instead of letting people vote twice."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from bot import polls, votes
from bot.answers import feedback_counts, record_feedback
from bot.app import open_app
from bot.cli import cli
from bot.config import Settings
from bot.errors import InvalidInput, NotAllowed, VoterKeyLost
from bot.moderators import Actor
from bot.poll_results import tally, tally_from_events, voters
from bot.store import migrations, open_db

GUILD = 1_100_000_000_000_000_001
T = "2026-03-01T12:00:00.000000+00:00"
MOD = Actor(1_200_000_000_000_000_002, GUILD, True)
# Discord-sized ids, so their bytes can't turn up in the file by chance
HIDDEN = [1_300_000_000_000_000_000 + n * 7_919 for n in range(12)]  # only vote anonymously
SHOWN = [1_400_000_000_000_000_000 + n * 7_919 for n in range(3)]  # vote in a public poll
READINGS = (polls.Option("healing", "Both begin to heal"),
            polls.Option("new-life", "Misaki starts over"),
            polls.Option("open", "Deliberately open"))


def encodings(user_id: int) -> list[bytes]:
    """How an id can sit in a SQLite file: a big-endian integer, or decimal text."""
    return [user_id.to_bytes(8, "big"), str(user_id).encode(), str(user_id).encode("utf-16-le")]


def raw_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, byte for byte."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def every_value(db: Database) -> list[tuple[str, str, object]]:
    """(table, column, value) for every cell of every table."""
    cells = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        cursor = db.execute(f"SELECT * FROM [{table}]")
        names = [d[0] for d in cursor.description]
        cells += [(table, column, value) for row in cursor for column, value in zip(names, row,
                                                                                   strict=True)]
    return cells


def leaks(db: Database, path: Path, ids: list[int]) -> list[str]:
    """Where any of ``ids`` appears: as a cell (integer or text) or anywhere in the raw file."""
    found = []
    for table, column, value in every_value(db):
        for user_id in ids:
            if value == user_id or (isinstance(value, str | bytes) and str(user_id) in (
                    value if isinstance(value, str) else value.decode("latin-1"))):
                found.append(f"{table}.{column} holds {user_id}")
    data = raw_bytes(path)
    found += [f"the file holds {user_id} as {pattern!r}" for user_id in ids
              for pattern in encodings(user_id) if pattern in data]
    return found


def busy_anonymous_polls(db: Database) -> tuple[polls.Poll, polls.Poll]:
    """Two anonymous polls with votes, changes and retractions, and a public one beside."""
    single = polls.create_poll(db, MOD, question="How do you read it?", options=READINGS,
                               anonymous=True)
    multi = polls.create_poll(db, MOD, question="Pick two", options=READINGS, anonymous=True,
                              max_choices=2)
    public = polls.create_poll(db, MOD, question="Out loud", options=READINGS)
    for n, user_id in enumerate(HIDDEN):
        voter = Actor(user_id, GUILD)
        votes.vote(db, voter, single.id, [READINGS[n % 3].id])
        votes.press(db, voter, multi.id, READINGS[n % 3].id)
        votes.toggle(db, voter, multi.id, READINGS[(n + 1) % 3].id)
        if n % 3 == 0:
            votes.vote(db, voter, single.id, [READINGS[(n + 2) % 3].id])  # a change
        if n % 4 == 0:
            votes.retract(db, voter, single.id)  # the deleted row must not linger either
        record_feedback(db, "no-kiss", user_id, helpful=n % 2 == 0)
    for user_id in SHOWN:
        votes.vote(db, Actor(user_id, GUILD), public.id, ["open"])
    return single, multi


def test_no_voter_id_is_stored_anywhere_after_anonymous_voting(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = open_db(path)
    single, multi = busy_anonymous_polls(db)
    viewer = Actor(1, GUILD)
    assert tally(db, viewer, single.id).total_voters == len(HIDDEN) - len(HIDDEN[::4])
    assert tally(db, viewer, multi.id).counts == tally_from_events(db, viewer, multi.id)
    assert feedback_counts(db, "no-kiss") == (6, 6)
    assert leaks(db, path, HIDDEN) == []
    # the scan finds ids where they are meant to be: a public poll shows who voted
    assert len(leaks(db, path, SHOWN)) >= len(SHOWN)
    with pytest.raises(NotAllowed, match="anonymous"):
        voters(db, viewer, single.id)
    db.close()
    assert leaks(Database(path), path, HIDDEN) == []  # closed, checkpointed: still nothing


def test_one_ballot_per_person_changing_and_retracting_still_work(db: Database) -> None:
    poll = polls.create_poll(db, MOD, question="Q?", options=READINGS, anonymous=True)
    alice = Actor(HIDDEN[0], GUILD)
    votes.vote(db, alice, poll.id, ["healing"])
    assert votes.vote(db, alice, poll.id, ["open"]).old == ("healing",)
    assert votes.ballot(db, alice, poll.id) == ("open",)
    assert tally(db, MOD, poll.id).total_voters == 1
    assert votes.retract(db, alice, poll.id).old == ("open",)
    assert votes.ballot(db, alice, poll.id) == ()
    other = polls.create_poll(db, MOD, question="Q2?", options=READINGS, anonymous=True)
    votes.vote(db, alice, other.id, ["healing"])
    keys = [r[0] for r in db.execute("SELECT voter FROM vote_events ORDER BY id")]
    assert len(set(keys[:3])) == 1 and keys[3] != keys[0]  # unlinkable across polls


FORGOTTEN = [1_500_000_000_000_000_000 + n for n in range(1500)]  # voters of a deleted poll


def old_database(path: Path) -> None:
    """A database as the bot left it before pseudonyms: ids in ballots, the log and feedback,
    and in free pages (an SQLite built without secure_delete keeps deleted rows there)."""
    db = Database(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA secure_delete=OFF")
    migrations.apply(db, stop_before="m006_walls_and_pseudonyms")
    with db.atomic():
        db["ballots"].insert_all({"poll_id": 9, "user_id": u, "choices": '["x"]', "cast_at": T}
                                 for u in FORGOTTEN)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in the main file...
    with db.atomic():
        db.execute("DELETE FROM ballots WHERE poll_id = 9")  # ...then on the free list
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("INSERT INTO polls (id, question, creator_id, guild_id, max_choices, anonymous,"
               " allow_change, status, created_at) VALUES (1, 'Q?', ?, ?, 1, 1, 1, 'open', ?),"
               " (2, 'Out loud?', ?, ?, 1, 0, 1, 'open', ?)", [MOD.user_id, GUILD, T] * 2)
    db["poll_options"].insert_all({"poll_id": p, "option_id": o.id, "position": n,
                                   "label": o.label, "summary": ""}
                                  for p in (1, 2) for n, o in enumerate(READINGS))
    for n, user_id in enumerate(HIDDEN):
        choice = f'["{READINGS[n % 3].id}"]'
        db.execute("INSERT INTO vote_events (poll_id, user_id, at, old, new) "
                   "VALUES (1, ?, 't', NULL, ?)", [user_id, choice])
        db.execute("INSERT INTO ballots VALUES (1, ?, ?, 't')", [user_id, choice])
        db.execute("INSERT INTO feedback VALUES ('no-kiss', ?, 1, 't')", [user_id])
    db.execute("DELETE FROM ballots WHERE user_id = ?", [HIDDEN[0]])  # retracted, before
    db.execute("INSERT INTO vote_events (poll_id, user_id, at, old, new) VALUES (1, ?, 't', ?,"
               " NULL)", [HIDDEN[0], f'["{READINGS[0].id}"]'])
    for user_id in SHOWN:
        db.execute("INSERT INTO ballots VALUES (2, ?, '[\"open\"]', 't')", [user_id])
    db.execute("INSERT INTO question_log (asked_at, source, text, confidence) VALUES "
               "('2999-01-01', 'console:carol', 'who is carol', 0), "
               "('2999-01-01', 'discord:123/456', 'why the dog', 0)")
    db.conn.commit()
    db.close()


def test_the_migration_rewrites_old_anonymous_ballots_and_leaves_no_trace(
        tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_database(path)
    assert len(leaks(Database(path), path, HIDDEN)) > len(HIDDEN)  # the ids are there now
    data = raw_bytes(path)
    assert sum(u.to_bytes(8, "big") in data for u in FORGOTTEN) > len(FORGOTTEN) // 2
    db = open_db(path)
    assert leaks(db, path, HIDDEN) == []
    data = raw_bytes(path)  # the free pages are gone too
    assert not [u for u in FORGOTTEN if u.to_bytes(8, "big") in data]
    viewer = Actor(1, GUILD)
    assert tally(db, viewer, 1).total_voters == len(HIDDEN) - 1  # every old ballot counts
    assert tally(db, viewer, 1).counts == tally_from_events(db, viewer, 1)
    assert voters(db, viewer, 2)["open"] == tuple(SHOWN)  # public polls keep their ids
    assert feedback_counts(db, "no-kiss") == (len(HIDDEN), 0)
    # old voters are recognised: a change replaces their ballot, it adds no second one
    returning = Actor(HIDDEN[1], GUILD)
    assert votes.ballot(db, returning, 1) == (READINGS[1].id,)
    assert votes.vote(db, returning, 1, ["open"]).old == (READINGS[1].id,)
    assert tally(db, viewer, 1).total_voters == len(HIDDEN) - 1
    changed = record_feedback(db, "no-kiss", HIDDEN[2], False)  # the same person changes it
    assert changed == feedback_counts(db, "no-kiss") == (len(HIDDEN) - 1, 1)
    assert [r[0] for r in db.execute("SELECT source FROM question_log ORDER BY id")] == [
        "console", "discord:123/456"]  # no names in the log
    assert db.execute("SELECT guild_id FROM question_log WHERE source LIKE 'discord:%'"
                      ).fetchone()[0] == 123
    db.close()
    assert b"carol" not in raw_bytes(path).replace(b"who is carol", b"")


def test_the_key_file_is_created_private_next_to_the_database(tmp_path: Path) -> None:
    open_db(tmp_path / "data" / "bot.db").close()
    key = tmp_path / "data" / "voter.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    before = key.read_text()
    open_db(tmp_path / "data" / "bot.db").close()
    assert key.read_text() == before  # made once, then kept


def test_the_key_file_path_comes_from_settings_env_or_flag(tmp_path: Path, pack: Path) -> None:
    elsewhere = tmp_path / "secrets" / "dmc.key"
    app = open_app(Settings(db_path=tmp_path / "bot.db", knowledge_path=pack,
                            secret_path=elsewhere))
    app.close()
    assert elsewhere.exists() and not (tmp_path / "voter.key").exists()
    from_env, flagged = tmp_path / "env.key", tmp_path / "flag.key"
    args = ["poll", "list", "--db", str(tmp_path / "other.db"), "--knowledge", str(pack)]
    result = CliRunner().invoke(cli, args, env={"BOT_SECRET_FILE": str(from_env)})
    assert result.exit_code == 0, result.output
    assert from_env.exists()
    result = CliRunner().invoke(cli, [*args, "--secret-file", str(flagged)],
                                env={"BOT_SECRET_FILE": str(from_env)})  # the flag wins
    assert result.exit_code == 0, result.output
    assert flagged.exists()
    shown = CliRunner().invoke(cli, ["config"], env={"BOT_SECRET_FILE": str(from_env)}).output
    assert f"--secret-file, BOT_SECRET_FILE: {from_env} (from BOT_SECRET_FILE)" in shown


def test_a_lost_key_keeps_the_votes_but_takes_no_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = open_db(path)
    poll = polls.create_poll(db, MOD, question="Q?", options=READINGS, anonymous=True)
    public = polls.create_poll(db, MOD, question="Out loud?", options=READINGS)
    votes.vote(db, Actor(HIDDEN[0], GUILD), poll.id, ["healing"])
    db.close()
    os.remove(tmp_path / "voter.key")  # lost (or replaced by a restore from another machine)

    db = open_db(path)
    before = db.execute("SELECT * FROM ballots").fetchall()
    for action in (lambda: votes.vote(db, Actor(HIDDEN[0], GUILD), poll.id, ["open"]),
                   lambda: votes.retract(db, Actor(HIDDEN[0], GUILD), poll.id),
                   lambda: votes.press(db, Actor(HIDDEN[1], GUILD), poll.id, "open"),
                   lambda: votes.ballot(db, Actor(HIDDEN[0], GUILD), poll.id)):  # My vote
        with pytest.raises(VoterKeyLost, match="can't tell whether you already voted"):
            action()
    assert db.execute("SELECT * FROM ballots").fetchall() == before
    assert tally(db, MOD, poll.id).counts["healing"] == 1  # still counts
    votes.vote(db, Actor(HIDDEN[0], GUILD), public.id, ["open"])  # public polls: unaffected
    fresh = polls.create_poll(db, MOD, question="Again?", options=READINGS, anonymous=True)
    votes.vote(db, Actor(HIDDEN[0], GUILD), fresh.id, ["open"])  # new polls use the new key
    db.close()


def test_a_damaged_key_file_is_one_clear_error(tmp_path: Path, pack: Path) -> None:
    (tmp_path / "voter.key").write_text("not hex at all\n")
    with pytest.raises(InvalidInput, match="voter key file"):
        open_db(tmp_path / "bot.db")
    result = CliRunner().invoke(cli, ["poll", "list", "--db", str(tmp_path / "bot.db"),
                                      "--knowledge", str(pack)])
    assert result.exit_code == 1
    assert "voter key file" in result.output and "Traceback" not in result.output


def test_a_key_file_others_can_read_is_reported(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    key = tmp_path / "voter.key"
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o644)
    open_db(tmp_path / "bot.db").close()
    assert "chmod 600" in caplog.text


def test_settings_default_to_a_key_beside_the_database() -> None:
    assert Settings().secret_path is None  # open_db puts voter.key next to the database
    with sqlite3.connect(":memory:"):
        pass
    memory = open_db(":memory:")  # no file: a throwaway key
    assert memory.execute("SELECT voter_key_id()").fetchone()[0]


def test_upgrading_a_database_with_an_index_keeps_answers_right(tmp_path: Path,
                                                                 pack: Path) -> None:
    """m007's VACUUM may renumber rowids the search index points at: it is rebuilt."""
    from bot.answers import ask
    from bot.app import App, sync_knowledge
    from bot.search import SearchIndex
    from bot.store import m007_forget_rewritten_ids

    settings = Settings(db_path=tmp_path / "old.db", knowledge_path=pack)
    # The index as the current code writes it (m009 replaced the one m001 made), then the
    # VACUUM of m007 run over it, as an upgrade from before m006 does.
    db = open_db(settings.db_path)
    old = App(settings, db, SearchIndex(db))
    sync_knowledge(old)
    db.execute("DELETE FROM entries WHERE id = 'ending-korea'")  # a gap in the rowids
    db.conn.commit()
    m007_forget_rewritten_ids(db)
    db.close()
    app = open_app(settings)
    try:
        assert ask(app, "do they kiss in the snow", log=False).entry.id == "no-kiss"
        assert ask(app, "why is misaki in korea at the end", log=False).entry.id == \
            "ending-korea"
    finally:
        app.close()
