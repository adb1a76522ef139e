"""Poll rules against a real SQLite file: creation, voting, closing, tallies, audits, exports."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import poll_results, polls, votes
from bot.errors import (
    InvalidInput,
    NotAllowed,
    PollClosed,
    PollError,
    PollNotFound,
    UnknownChoice,
    VoteNotChangeable,
)
from bot.polls import Option
from bot.store import open_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CREATOR, MOD, ALICE, BOB, CAROL, DAN = 100, 200, 301, 302, 303, 304
READINGS = [
    ("healing", "Both begin to heal", "Kafuku and Misaki let themselves grieve."),
    ("new-life", "Misaki starts over in Korea", "The dog, the car: a life of her own."),
    ("acceptance", "Kafuku accepts not knowing", "Oto's secret stays a secret."),
    ("open", "Deliberately open", "Hamaguchi leaves it to the audience."),
]
OPTIONS = polls.options_from_interpretations(READINGS)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
def db(path: Path):
    database = open_db(path)
    yield database
    database.close()


def make(db, **kw) -> polls.Poll:
    args = {"question": "How do you read the ending?", "options": OPTIONS, "creator_id": CREATOR}
    return polls.create_poll(db, **(args | {"now": T0} | kw))


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every poll table, to prove a refused action wrote nothing."""
    tables = ("polls", "poll_options", "ballots", "vote_events")
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def events(db, poll_id: int) -> list[tuple]:
    return db.execute(
        "SELECT user_id, at, old, new FROM vote_events WHERE poll_id = ? ORDER BY id", [poll_id]
    ).fetchall()


# ---- creation -------------------------------------------------------------------------------


def test_create_stores_everything_and_reads_back(db):
    deadline = T0 + timedelta(days=2)
    poll = make(db, guild_id=1, channel_id=2, film="drive-my-car", kind="interpretations",
                max_choices=2, anonymous=True, allow_change=False, deadline=deadline)  # fmt: skip
    assert poll == polls.get_poll(db, poll.id)
    assert [o.id for o in poll.options] == ["healing", "new-life", "acceptance", "open"]
    assert poll.option("open").label == "Deliberately open"
    assert (poll.creator_id, poll.guild_id, poll.channel_id, poll.message_id) == (
        CREATOR,
        1,
        2,
        None,
    )
    assert (poll.film, poll.kind, poll.max_choices) == ("drive-my-car", "interpretations", 2)
    assert poll.anonymous is True and poll.allow_change is False
    assert poll.deadline == deadline and poll.created_at == T0
    assert poll.is_open and poll.status == "open" and poll.closed_at is None
    row = db.execute("SELECT created_at, deadline FROM polls").fetchone()
    assert all(ISO.fullmatch(v) for v in row)  # same text format as store.now()


def test_create_defaults_for_console_use(db):
    poll = make(db)
    assert (poll.guild_id, poll.channel_id, poll.film, poll.kind) == (None, None, None, "custom")
    assert (poll.max_choices, poll.anonymous, poll.allow_change, poll.deadline) == (
        1, False, True, None,
    )  # fmt: skip


def test_create_accepts_the_limits(db):
    many = tuple(Option(f"o{n}", "L" * 80, "S" * 1000) for n in range(25))
    poll = make(db, question="Q" * 300, options=many, max_choices=25)
    assert len(poll.options) == 25
    assert make(db, options=(Option("a" * 40, "x"), Option("0-b", "y"))).options[0].id == "a" * 40


def test_create_strips_whitespace(db):
    poll = make(db, question="  Why the dog?  ", options=(Option("a", " A "), Option("b", "B")))
    assert poll.question == "Why the dog?" and poll.options[0].label == "A"


NAIVE = datetime(2030, 1, 1)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "question"),
        ({"question": "Q" * 301}, "question"),
        ({"question": None}, "question"),
        ({"options": OPTIONS[:1]}, "2 to 25 options"),
        ({"options": ()}, "2 to 25 options"),
        ({"options": tuple(Option(f"o{n}", "L") for n in range(26))}, "2 to 25 options"),
        ({"options": "ab"}, "2 to 25 options"),
        ({"options": (Option("Bad_Id", "x"), Option("b", "y"))}, "the id"),
        ({"options": (Option("-a", "x"), Option("b", "y"))}, "the id"),
        ({"options": (Option("a" * 41, "x"), Option("b", "y"))}, "the id"),
        ({"options": (Option("", "x"), Option("b", "y"))}, "the id"),
        ({"options": (Option("a", "x"), Option("a", "y"))}, "used twice"),
        ({"options": (Option("a", ""), Option("b", "y"))}, "the label"),
        ({"options": (Option("a", "L" * 81), Option("b", "y"))}, "the label"),
        ({"options": (Option("a", "x", "S" * 1001), Option("b", "y"))}, "the summary"),
        ({"options": (("a", "x"), Option("b", "y"))}, "not an Option"),
        ({"max_choices": 0}, "max_choices"),
        ({"max_choices": 5}, "max_choices"),
        ({"max_choices": "2"}, "max_choices"),
        ({"max_choices": True}, "max_choices"),
        ({"deadline": T0 - timedelta(minutes=1)}, "in the future"),
        ({"deadline": T0}, "in the future"),
        ({"deadline": NAIVE}, "time zone"),
        ({"deadline": "tomorrow"}, "time zone"),
        ({"kind": "survey"}, "kind"),
        ({"film": "Drive My Car"}, "film"),
        ({"kind": "interpretations"}, "film"),
        ({"creator_id": "someone"}, "creator_id"),
        ({"creator_id": True}, "creator_id"),
        ({"guild_id": "guild"}, "guild_id"),
        ({"channel_id": 1.5}, "channel_id"),
        ({"anonymous": "yes"}, "anonymous"),
        ({"allow_change": 1}, "allow_change"),
    ],
)
def test_create_refuses_each_broken_rule_with_a_clear_message(db, changes, words):
    with pytest.raises(InvalidInput, match=re.escape(words)) as caught:
        make(db, **changes)
    assert str(caught.value).endswith(".")  # a sentence a person can read
    assert db.execute("SELECT count(*) FROM polls").fetchone()[0] == 0


def test_deadline_in_another_time_zone_is_stored_in_utc(db):
    tokyo = timezone(timedelta(hours=9))
    poll = make(db, deadline=datetime(2026, 3, 2, 9, 0, tzinfo=tokyo))
    assert poll.deadline == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert db.execute("SELECT deadline FROM polls").fetchone()[0].endswith("+00:00")


def test_set_message(db):
    poll = make(db)
    polls.set_message(db, poll.id, 123456789012345678)
    assert polls.get_poll(db, poll.id).message_id == 123456789012345678
    with pytest.raises(InvalidInput, match="message_id"):
        polls.set_message(db, poll.id, "m")
    with pytest.raises(PollNotFound):
        polls.set_message(db, 999, 1)
    polls.set_message(db, poll.id, None)  # the message was deleted
    assert polls.get_poll(db, poll.id).message_id is None


# ---- voting ---------------------------------------------------------------------------------


def test_vote_writes_ballot_and_event(db):
    poll = make(db)
    result = votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    assert (result.old, result.new, result.poll.id) == ((), ("healing",), poll.id)
    assert votes.ballot(db, poll.id, ALICE) == ("healing",)
    assert votes.ballot(db, poll.id, BOB) == ()
    assert events(db, poll.id) == [
        (ALICE, T0.isoformat(timespec="microseconds"), None, '["healing"]')
    ]


def test_change_replaces_the_ballot_and_logs_old_and_new(db):
    poll = make(db)
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    result = votes.vote(db, poll.id, ALICE, ["open"], now=T0 + timedelta(minutes=1))
    assert (result.old, result.new) == (("healing",), ("open",))
    assert db.execute("SELECT count(*) FROM ballots").fetchone()[0] == 1
    assert [e[2:] for e in events(db, poll.id)] == [
        (None, '["healing"]'),
        ('["healing"]', '["open"]'),
    ]


def test_identical_revote_is_a_no_op_without_event(db):
    poll = make(db)
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    before = snapshot(db)
    result = votes.vote(db, poll.id, ALICE, ["healing"], now=T0 + timedelta(hours=1))
    assert result.old == result.new == ("healing",)
    assert snapshot(db) == before  # not even cast_at moved


def test_retract_removes_ballot_and_logs_it(db):
    poll = make(db)
    votes.vote(db, poll.id, ALICE, ["new-life"], now=T0)
    result = votes.retract(db, poll.id, ALICE, now=T0)
    assert (result.old, result.new) == (("new-life",), ())
    assert votes.ballot(db, poll.id, ALICE) == ()
    assert events(db, poll.id)[-1][2:] == ('["new-life"]', None)
    before = snapshot(db)
    assert votes.retract(db, poll.id, ALICE, now=T0).old == ()  # nothing to retract
    assert snapshot(db) == before


def test_single_choice_refuses_two_options_and_empty_votes(db):
    poll = make(db)
    with pytest.raises(InvalidInput, match="at most 1 option"):
        votes.vote(db, poll.id, ALICE, ["healing", "open"], now=T0)
    with pytest.raises(InvalidInput, match="at least one option"):
        votes.vote(db, poll.id, ALICE, [], now=T0)
    assert snapshot(db)["ballots"] == [] and snapshot(db)["vote_events"] == []


def test_single_choice_toggle_replaces_then_removes(db):
    poll = make(db)
    assert votes.toggle(db, poll.id, ALICE, "healing", now=T0).new == ("healing",)
    assert votes.toggle(db, poll.id, ALICE, "open", now=T0).new == ("open",)
    assert votes.toggle(db, poll.id, ALICE, "open", now=T0).new == ()
    assert len(events(db, poll.id)) == 3


def test_multiple_choice_toggle_respects_max(db):
    poll = make(db, max_choices=2)
    votes.toggle(db, poll.id, ALICE, "open", now=T0)
    result = votes.toggle(db, poll.id, ALICE, "healing", now=T0)
    assert result.new == ("healing", "open")  # always stored in poll order
    before = snapshot(db)
    with pytest.raises(InvalidInput, match=r"at most 2 options.*remove one"):
        votes.toggle(db, poll.id, ALICE, "new-life", now=T0)
    assert snapshot(db) == before
    assert votes.toggle(db, poll.id, ALICE, "open", now=T0).new == ("healing",)
    assert votes.toggle(db, poll.id, ALICE, "new-life", now=T0).new == ("healing", "new-life")


def test_multiple_choice_vote_is_order_insensitive_and_bounded(db):
    poll = make(db, max_choices=3)
    assert votes.vote(db, poll.id, ALICE, ["open", "healing", "open"], now=T0).new == (
        "healing", "open",
    )  # fmt: skip
    count = len(events(db, poll.id))
    assert votes.vote(db, poll.id, ALICE, ["healing", "open"], now=T0).old == ("healing", "open")
    assert len(events(db, poll.id)) == count  # same set, other order: no event
    with pytest.raises(InvalidInput, match="at most 3 options"):
        votes.vote(db, poll.id, ALICE, [o.id for o in OPTIONS], now=T0)


def test_a_bare_string_counts_as_one_choice(db):
    poll = make(db)
    assert votes.vote(db, poll.id, ALICE, "open", now=T0).new == ("open",)


def test_allow_change_false_refuses_change_and_retract(db):
    poll = make(db, allow_change=False, max_choices=2)
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    before = snapshot(db)
    for action in (
        lambda: votes.vote(db, poll.id, ALICE, ["open"], now=T0),
        lambda: votes.toggle(db, poll.id, ALICE, "open", now=T0),
        lambda: votes.toggle(db, poll.id, ALICE, "healing", now=T0),
        lambda: votes.retract(db, poll.id, ALICE, now=T0),
    ):
        with pytest.raises(VoteNotChangeable, match=r"can't be (changed|retracted)"):
            action()
    assert votes.vote(db, poll.id, ALICE, ["healing"], now=T0).new == ("healing",)  # no-op is fine
    assert snapshot(db) == before
    assert votes.vote(db, poll.id, BOB, ["open"], now=T0).new == (
        "open",
    )  # first votes still count


def test_votes_after_the_deadline_are_refused_before_close_expired_runs(db):
    poll = make(db, deadline=T0 + timedelta(hours=1))
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0 + timedelta(minutes=59))
    before = snapshot(db)
    late = T0 + timedelta(hours=1)
    for action in (
        lambda: votes.vote(db, poll.id, BOB, ["open"], now=late),
        lambda: votes.toggle(db, poll.id, ALICE, "open", now=late),
        lambda: votes.retract(db, poll.id, ALICE, now=late + timedelta(days=1)),
    ):
        with pytest.raises(PollClosed, match=r"deadline \(2026-03-01 13:00 UTC\)"):
            action()
    assert snapshot(db) == before
    assert polls.get_poll(db, poll.id).status == "open"  # close_expired has not run yet


def test_vote_event_and_ballot_share_one_transaction(db):
    poll = make(db)
    db.execute(
        "CREATE TRIGGER no_log BEFORE INSERT ON vote_events BEGIN SELECT RAISE(ABORT, 'x'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    assert snapshot(db)["ballots"] == []
    assert not db.conn.in_transaction


def test_database_enforces_one_ballot_per_user(db):
    poll = make(db)
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO ballots VALUES (?, ?, '[\"open\"]', 'x')", [poll.id, ALICE])


# ---- forged and stale ids -------------------------------------------------------------------


def test_forged_ids_change_nothing(db):
    poll = make(db)
    other = make(db, options=(Option("elsewhere", "Other"), Option("b", "B")))
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    before = snapshot(db)
    for bad_poll in (999, "1", None, True, 1.0):
        for action in (
            lambda p=bad_poll: votes.vote(db, p, BOB, ["healing"], now=T0),
            lambda p=bad_poll: votes.toggle(db, p, BOB, "healing", now=T0),
            lambda p=bad_poll: votes.retract(db, p, ALICE, now=T0),
            lambda p=bad_poll: votes.ballot(db, p, ALICE),
            lambda p=bad_poll: polls.close(db, p, MOD, is_moderator=True, now=T0),
            lambda p=bad_poll: polls.reopen(db, p, MOD, is_moderator=True, now=T0),
            lambda p=bad_poll: poll_results.tally(db, p),
            lambda p=bad_poll: poll_results.tally_from_events(db, p),
            lambda p=bad_poll: poll_results.export_ballots(db, p),
        ):
            with pytest.raises(PollNotFound, match="There is no poll"):
                action()
    for choice in ("nope", "elsewhere", "HEALING", ""):
        with pytest.raises(UnknownChoice, match="is not an option in poll"):
            votes.vote(db, poll.id, BOB, [choice], now=T0)
        with pytest.raises(UnknownChoice):
            votes.toggle(db, poll.id, ALICE, choice, now=T0)
    with pytest.raises(UnknownChoice):
        votes.vote(db, poll.id, ALICE, ["open", "elsewhere"], now=T0)
    with pytest.raises(InvalidInput, match="user_id"):
        votes.vote(db, poll.id, "alice", ["open"], now=T0)
    assert snapshot(db) == before
    assert votes.ballot(db, other.id, ALICE) == ()


def test_closed_poll_refuses_votes_even_for_forged_options(db):
    poll = make(db)
    polls.close(db, poll.id, CREATOR, is_moderator=False, now=T0)
    with pytest.raises(PollClosed):
        votes.vote(db, poll.id, ALICE, ["nope"], now=T0)


# ---- closing and reopening ------------------------------------------------------------------


def test_creator_closes_and_votes_are_refused(db):
    poll = make(db)
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    closed = polls.close(db, poll.id, CREATOR, is_moderator=False, now=T0 + timedelta(hours=2))
    assert (closed.status, closed.is_open, closed.closed_by) == ("closed", False, CREATOR)
    assert closed.closed_at == T0 + timedelta(hours=2)
    before = snapshot(db)
    with pytest.raises(PollClosed, match="is closed"):
        votes.vote(db, poll.id, BOB, ["open"], now=T0)
    with pytest.raises(PollClosed):
        votes.retract(db, poll.id, ALICE, now=T0)
    with pytest.raises(PollClosed, match="already closed"):
        polls.close(db, poll.id, MOD, is_moderator=True, now=T0)
    assert snapshot(db) == before
    assert votes.ballot(db, poll.id, ALICE) == ("healing",)  # results survive closing


def test_moderator_closes_someone_elses_poll(db):
    poll = make(db)
    assert polls.close(db, poll.id, MOD, is_moderator=True, now=T0).closed_by == MOD


def test_others_cannot_close_and_nothing_changes(db):
    poll = make(db)
    before = snapshot(db)
    with pytest.raises(NotAllowed, match="moderator or the poll's creator"):
        polls.close(db, poll.id, ALICE, is_moderator=False, now=T0)
    assert snapshot(db) == before
    assert polls.get_poll(db, poll.id).is_open


def test_reopen_is_for_moderators_only(db):
    poll = make(db, deadline=T0 + timedelta(hours=1))
    polls.close(db, poll.id, CREATOR, is_moderator=False, now=T0)
    before = snapshot(db)
    with pytest.raises(NotAllowed, match="Only moderators"):
        polls.reopen(db, poll.id, CREATOR, is_moderator=False, now=T0)
    with pytest.raises(InvalidInput, match="in the future"):
        polls.reopen(db, poll.id, MOD, is_moderator=True, deadline=T0, now=T0)
    assert snapshot(db) == before
    reopened = polls.reopen(db, poll.id, MOD, is_moderator=True, now=T0 + timedelta(minutes=5))
    assert reopened.is_open and reopened.closed_at is None and reopened.closed_by is None
    assert reopened.deadline == T0 + timedelta(hours=1)  # still ahead, so it is kept
    votes.vote(db, poll.id, ALICE, ["open"], now=T0 + timedelta(minutes=6))
    with pytest.raises(PollError, match="already open"):
        polls.reopen(db, poll.id, MOD, is_moderator=True, now=T0)


def test_reopen_after_deadline_drops_or_replaces_it(db):
    poll = make(db, deadline=T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=2)
    assert polls.close_expired(db, now=later) == [poll.id]
    assert polls.reopen(db, poll.id, MOD, is_moderator=True, now=later).deadline is None
    votes.vote(db, poll.id, ALICE, ["open"], now=later)
    polls.close(db, poll.id, MOD, is_moderator=True, now=later)
    new_deadline = later + timedelta(days=1)
    reopened = polls.reopen(db, poll.id, MOD, is_moderator=True, deadline=new_deadline, now=later)
    assert reopened.deadline == new_deadline


def test_close_expired_after_a_restart(path):
    db = open_db(path)
    due = make(db, deadline=T0 + timedelta(hours=1))
    later = make(db, deadline=T0 + timedelta(hours=3))
    endless = make(db)
    manual = make(db, deadline=T0 + timedelta(hours=1))
    polls.close(db, manual.id, CREATOR, is_moderator=False, now=T0)
    votes.vote(db, due.id, ALICE, ["healing"], now=T0)
    db.close()  # the bot goes down; the deadline passes meanwhile

    db = open_db(path)
    try:
        assert polls.close_expired(db, now=T0 + timedelta(hours=2)) == [due.id]
        closed = polls.get_poll(db, due.id)
        assert closed.status == "closed" and closed.closed_by is None
        assert closed.closed_at == closed.deadline  # closed when votes stopped counting
        assert polls.get_poll(db, later.id).is_open and polls.get_poll(db, endless.id).is_open
        assert polls.get_poll(db, manual.id).closed_by == CREATOR  # untouched
        assert polls.close_expired(db, now=T0 + timedelta(hours=2)) == []
        assert poll_results.tally(db, due.id).counts["healing"] == 1
        assert polls.close_expired(db, now=T0 + timedelta(hours=3)) == [later.id]
    finally:
        db.close()


# ---- listing --------------------------------------------------------------------------------


def test_list_and_latest(db):
    a = make(db, guild_id=1, film="drive-my-car", kind="interpretations")
    b = make(db, guild_id=2, film="drive-my-car", kind="interpretations")
    c = make(db, guild_id=1)
    polls.close(db, c.id, CREATOR, is_moderator=False, now=T0)
    assert [p.id for p in polls.list_polls(db)] == [b.id, a.id]
    assert [p.id for p in polls.list_polls(db, guild_id=1)] == [a.id]
    assert [p.id for p in polls.list_polls(db, guild_id=1, status=None)] == [c.id, a.id]
    assert [p.id for p in polls.list_polls(db, status="closed")] == [c.id]
    assert polls.latest_poll(db, film="drive-my-car").id == b.id
    assert polls.latest_poll(db, film="drive-my-car", guild_id=1).id == a.id
    assert polls.latest_poll(db, film="drive-my-car", guild_id=3) is None
    assert polls.latest_poll(db, film="other") is None


# ---- results --------------------------------------------------------------------------------


def test_tally_percentages_and_ties(db):
    poll = make(db)
    empty = poll_results.tally(db, poll.id)
    assert empty.total_voters == 0 and empty.leaders == ()
    assert all(r.count == 0 and r.percent == 0.0 for r in empty.results)
    for user, choice in ((ALICE, "healing"), (BOB, "open"), (CAROL, "healing"), (DAN, "open")):
        votes.vote(db, poll.id, user, [choice], now=T0)
    result = poll_results.tally(db, poll.id)
    assert result.total_voters == 4
    assert [(r.option.id, r.count, r.percent) for r in result.results] == [
        ("healing", 2, 50.0),
        ("new-life", 0, 0.0),
        ("acceptance", 0, 0.0),
        ("open", 2, 50.0),
    ]
    assert result.leaders == ("healing", "open")  # a tie shows as a tie
    votes.vote(db, poll.id, DAN, ["healing"], now=T0)
    assert poll_results.tally(db, poll.id).leaders == ("healing",)
    assert poll_results.tally(db, poll.id).results[0].percent == 75.0


def test_multiple_choice_percentages_can_sum_over_100(db):
    poll = make(db, max_choices=2)
    votes.vote(db, poll.id, ALICE, ["healing", "open"], now=T0)
    votes.vote(db, poll.id, BOB, ["healing"], now=T0)
    votes.vote(db, poll.id, CAROL, ["new-life", "open"], now=T0)
    result = poll_results.tally(db, poll.id)
    assert result.total_voters == 3
    assert result.counts == {"healing": 2, "new-life": 1, "acceptance": 0, "open": 2}
    assert math.isclose(result.results[0].percent, 200 / 3)
    assert sum(r.percent for r in result.results) > 100


def test_tally_equals_tally_from_events(db):
    poll = make(db, max_choices=2)
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    votes.toggle(db, poll.id, ALICE, "open", now=T0)
    votes.vote(db, poll.id, BOB, ["new-life", "acceptance"], now=T0)
    votes.retract(db, poll.id, BOB, now=T0)
    votes.vote(db, poll.id, BOB, ["acceptance"], now=T0)
    votes.toggle(db, poll.id, CAROL, "open", now=T0)
    assert poll_results.tally(db, poll.id).counts == poll_results.tally_from_events(db, poll.id)
    assert poll_results.tally_from_events(db, poll.id) == {
        "healing": 1, "new-life": 0, "acceptance": 1, "open": 2,
    }  # fmt: skip


def test_tally_from_events_notices_a_broken_log(db):
    poll = make(db)
    votes.vote(db, poll.id, ALICE, ["healing"], now=T0)
    db.execute(
        "INSERT INTO vote_events (poll_id, user_id, at, old, new) VALUES (?, ?, 'x', ?, ?)",
        [poll.id, ALICE, '["open"]', '["healing"]'],
    )
    with pytest.raises(PollError, match="inconsistent"):
        poll_results.tally_from_events(db, poll.id)


def test_export_public_poll_lists_who_voted_what(db):
    poll = make(db, max_choices=2)
    votes.vote(db, poll.id, ALICE, ["open", "healing"], now=T0)
    votes.vote(db, poll.id, BOB, ["new-life"], now=T0 + timedelta(minutes=1))
    rows = poll_results.export_ballots(db, poll.id)
    first, second = "2026-03-01T12:00:00.000000+00:00", "2026-03-01T12:01:00.000000+00:00"
    assert rows == [
        {"user_id": ALICE, "option_id": "healing", "cast_at": first},
        {"user_id": ALICE, "option_id": "open", "cast_at": first},
        {"user_id": BOB, "option_id": "new-life", "cast_at": second},
    ]


def test_export_anonymous_poll_has_counts_only(db):
    poll = make(db, anonymous=True)
    voters = (987654321012345678, 876543210987654321)
    for user in voters:
        votes.vote(db, poll.id, user, ["acceptance"], now=T0)
    rows = poll_results.export_ballots(db, poll.id)
    assert rows == [
        {"option_id": o.id, "label": o.label, "count": 2 if o.id == "acceptance" else 0}
        for o in OPTIONS
    ]
    text = json.dumps(rows)
    assert all(str(user) not in text for user in voters)
    assert "user_id" not in text and "cast_at" not in text


def test_voters_of_a_public_poll_per_option_earliest_first(db):
    poll = make(db, max_choices=2)
    votes.vote(db, poll.id, BOB, ["open"], now=T0 + timedelta(minutes=1))
    votes.vote(db, poll.id, ALICE, ["open", "healing"], now=T0)
    votes.vote(db, poll.id, CAROL, ["healing"], now=T0 + timedelta(minutes=2))
    votes.retract(db, poll.id, CAROL, now=T0 + timedelta(minutes=3))
    assert poll_results.voters(db, poll.id) == {
        "healing": (ALICE,), "new-life": (), "acceptance": (), "open": (ALICE, BOB)}


def test_voters_of_an_anonymous_poll_are_refused_even_to_moderators(db):
    poll = make(db, anonymous=True)
    votes.vote(db, poll.id, ALICE, ["open"], now=T0)
    with pytest.raises(NotAllowed, match=f"Poll #{poll.id} is anonymous"):
        poll_results.voters(db, poll.id)
    with pytest.raises(PollNotFound):
        poll_results.voters(db, poll.id + 1)


@pytest.mark.parametrize(
    ("percent", "width", "bar"),
    [
        (0, 10, "░" * 10),
        (100, 10, "█" * 10),
        (50, 10, "█████░░░░░"),
        (55, 10, "██████░░░░"),
        (54.9, 10, "█████░░░░░"),
        (200 / 3, 6, "████░░"),
        (150, 4, "████"),
        (-5, 4, "░░░░"),
        (float("nan"), 3, "░░░"),
    ],
)
def test_render_bar(percent, width, bar):
    assert poll_results.render_bar(percent, width) == bar


def test_options_from_interpretations_keeps_order_and_text():
    assert polls.options_from_interpretations([("a", "A", "why"), ("b", "B", "")]) == (
        Option("a", "A", "why"),
        Option("b", "B", ""),
    )


# ---- properties -----------------------------------------------------------------------------

USERS = (ALICE, BOB, CAROL, DAN)
ACTIONS = st.tuples(
    st.sampled_from(["vote", "toggle", "retract"]),
    st.sampled_from(USERS),
    st.lists(st.sampled_from([o.id for o in OPTIONS]), min_size=1, max_size=3),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    max_choices=st.integers(1, 3),
    allow_change=st.booleans(),
    actions=st.lists(ACTIONS, max_size=25),
)
def test_random_operations_keep_log_and_ballots_consistent(db, max_choices, allow_change, actions):
    poll = make(db, max_choices=max_choices, allow_change=allow_change)  # a fresh poll per example
    model: dict[int, tuple[str, ...]] = {}
    changes = 0
    for action, user, choices in actions:
        try:
            if action == "vote":
                result = votes.vote(db, poll.id, user, choices, now=T0)
            elif action == "toggle":
                result = votes.toggle(db, poll.id, user, choices[0], now=T0)
            else:
                result = votes.retract(db, poll.id, user, now=T0)
        except (InvalidInput, VoteNotChangeable):
            continue
        assert result.old == model.get(user, ())
        assert len(result.new) <= max_choices
        model[user] = result.new
        changes += result.old != result.new
    ballots = dict(
        db.execute("SELECT user_id, choices FROM ballots WHERE poll_id = ?", [poll.id]).fetchall()
    )
    assert {u: tuple(json.loads(c)) for u, c in ballots.items()} == {
        u: c for u, c in model.items() if c
    }
    assert (
        db.execute(
            "SELECT count(*) FROM ballots WHERE poll_id = ? GROUP BY user_id HAVING count(*) > 1",
            [poll.id],
        ).fetchall()
        == []
    )
    assert len(events(db, poll.id)) == changes
    assert poll_results.tally(db, poll.id).counts == poll_results.tally_from_events(db, poll.id)
