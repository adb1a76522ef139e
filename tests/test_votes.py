"""Ballots against a real SQLite file: vote, toggle, retract, forged ids, the vote log."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import poll_results, polls, votes
from bot.errors import (
    InvalidInput,
    NotAllowed,
    PollClosed,
    PollNotFound,
    UnknownChoice,
    VoteNotChangeable,
)
from bot.moderators import Operator
from bot.polls import Option
from tests.poll_support import (
    ALICE,
    BOB,
    CAROL,
    CREATOR,
    DAN,
    GUILD,
    HERE,
    MOD,
    OPTIONS,
    OTHER_GUILD,
    T0,
    events,
    make,
    member,
    moderator,
    snapshot,
)

# ---- voting ---------------------------------------------------------------------------------


def test_vote_writes_ballot_and_event(db):
    poll = make(db)
    result = votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    assert (result.old, result.new, result.poll.id) == ((), ("healing",), poll.id)
    assert votes.ballot(db, member(ALICE), poll.id) == ("healing",)
    assert votes.ballot(db, member(BOB), poll.id) == ()
    assert events(db, poll.id) == [
        (ALICE, T0.isoformat(timespec="microseconds"), None, '["healing"]')
    ]


def test_change_replaces_the_ballot_and_logs_old_and_new(db):
    poll = make(db)
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    result = votes.vote(db, member(ALICE), poll.id, ["open"], now=T0 + timedelta(minutes=1))
    assert (result.old, result.new) == (("healing",), ("open",))
    assert db.execute("SELECT count(*) FROM ballots").fetchone()[0] == 1
    assert [e[2:] for e in events(db, poll.id)] == [
        (None, '["healing"]'),
        ('["healing"]', '["open"]'),
    ]


def test_identical_revote_is_a_no_op_without_event(db):
    poll = make(db)
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    before = snapshot(db)
    result = votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0 + timedelta(hours=1))
    assert result.old == result.new == ("healing",)
    assert snapshot(db) == before  # not even cast_at moved


def test_retract_removes_ballot_and_logs_it(db):
    poll = make(db)
    votes.vote(db, member(ALICE), poll.id, ["new-life"], now=T0)
    result = votes.retract(db, member(ALICE), poll.id, now=T0)
    assert (result.old, result.new) == (("new-life",), ())
    assert votes.ballot(db, member(ALICE), poll.id) == ()
    assert events(db, poll.id)[-1][2:] == ('["new-life"]', None)
    before = snapshot(db)
    assert votes.retract(db, member(ALICE), poll.id, now=T0).old == ()  # nothing to retract
    assert snapshot(db) == before


def test_single_choice_refuses_two_options_and_empty_votes(db):
    poll = make(db)
    with pytest.raises(InvalidInput, match=r"at most 1 option in this poll\."):
        votes.vote(db, member(ALICE), poll.id, ["healing", "open"], now=T0)
    with pytest.raises(InvalidInput, match="at least one option"):
        votes.vote(db, member(ALICE), poll.id, [], now=T0)
    assert snapshot(db)["ballots"] == [] and snapshot(db)["vote_events"] == []


def test_single_choice_toggle_replaces_then_removes(db):
    poll = make(db)
    assert votes.toggle(db, member(ALICE), poll.id, "healing", now=T0).new == ("healing",)
    assert votes.toggle(db, member(ALICE), poll.id, "open", now=T0).new == ("open",)
    assert votes.toggle(db, member(ALICE), poll.id, "open", now=T0).new == ()
    assert len(events(db, poll.id)) == 3


def test_multiple_choice_toggle_respects_max(db):
    poll = make(db, max_choices=2)
    votes.toggle(db, member(ALICE), poll.id, "open", now=T0)
    result = votes.toggle(db, member(ALICE), poll.id, "healing", now=T0)
    assert result.new == ("healing", "open")  # always stored in poll order
    before = snapshot(db)
    with pytest.raises(InvalidInput, match=r"at most 2 options.*remove one"):
        votes.toggle(db, member(ALICE), poll.id, "new-life", now=T0)
    assert snapshot(db) == before
    assert votes.toggle(db, member(ALICE), poll.id, "open", now=T0).new == ("healing",)
    alice = member(ALICE)
    assert votes.toggle(db, alice, poll.id, "new-life", now=T0).new == ("healing", "new-life")


def test_multiple_choice_vote_is_order_insensitive_and_bounded(db):
    poll = make(db, max_choices=3)
    assert votes.vote(db, member(ALICE), poll.id, ["open", "healing", "open"], now=T0).new == (
        "healing", "open",
    )  # fmt: skip
    count = len(events(db, poll.id))
    again = votes.vote(db, member(ALICE), poll.id, ["healing", "open"], now=T0)
    assert again.old == ("healing", "open")
    assert len(events(db, poll.id)) == count  # same set, other order: no event
    with pytest.raises(InvalidInput, match="at most 3 options"):
        votes.vote(db, member(ALICE), poll.id, [o.id for o in OPTIONS], now=T0)


def test_a_bare_string_counts_as_one_choice(db):
    poll = make(db)
    assert votes.vote(db, member(ALICE), poll.id, "open", now=T0).new == ("open",)


def test_allow_change_false_refuses_change_and_retract(db):
    poll = make(db, allow_change=False, max_choices=2)
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    before = snapshot(db)
    for action in (
        lambda: votes.vote(db, member(ALICE), poll.id, ["open"], now=T0),
        lambda: votes.toggle(db, member(ALICE), poll.id, "open", now=T0),
        lambda: votes.toggle(db, member(ALICE), poll.id, "healing", now=T0),
        lambda: votes.retract(db, member(ALICE), poll.id, now=T0),
    ):
        with pytest.raises(VoteNotChangeable, match=r"can't be (changed|retracted)"):
            action()
    same = votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)  # a no-op is fine
    assert same.new == ("healing",)
    assert snapshot(db) == before
    assert votes.vote(db, member(BOB), poll.id, ["open"], now=T0).new == (
        "open",
    )  # first votes still count


def test_votes_after_the_deadline_are_refused_before_close_expired_runs(db):
    poll = make(db, deadline=T0 + timedelta(hours=1))
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0 + timedelta(minutes=59))
    before = snapshot(db)
    late = T0 + timedelta(hours=1)
    for action in (
        lambda: votes.vote(db, member(BOB), poll.id, ["open"], now=late),
        lambda: votes.toggle(db, member(ALICE), poll.id, "open", now=late),
        lambda: votes.retract(db, member(ALICE), poll.id, now=late + timedelta(days=1)),
    ):
        with pytest.raises(PollClosed, match=r"deadline \(2026-03-01 13:00 UTC\)"):
            action()
    assert snapshot(db) == before
    assert polls.get_poll(db, HERE, poll.id).status == "open"  # close_expired has not run yet


def test_vote_event_and_ballot_share_one_transaction(db):
    poll = make(db)
    db.execute(
        "CREATE TRIGGER no_log BEFORE INSERT ON vote_events BEGIN SELECT RAISE(ABORT, 'x'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    assert snapshot(db)["ballots"] == []
    assert not db.conn.in_transaction


def test_database_enforces_one_ballot_per_user(db):
    poll = make(db)
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO ballots (poll_id, voter, user_id, choices, cast_at) "
                   "VALUES (?, ?, ?, '[\"open\"]', 'x')", [poll.id, str(ALICE), ALICE])

# ---- forged and stale ids -------------------------------------------------------------------


def test_forged_ids_change_nothing(db):
    poll = make(db)
    other = make(db, options=(Option("elsewhere", "Other"), Option("b", "B")))
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    before = snapshot(db)
    for bad_poll in (999, "1", None, True, 1.0):
        for action in (
            lambda p=bad_poll: votes.vote(db, member(BOB), p, ["healing"], now=T0),
            lambda p=bad_poll: votes.toggle(db, member(BOB), p, "healing", now=T0),
            lambda p=bad_poll: votes.retract(db, member(ALICE), p, now=T0),
            lambda p=bad_poll: votes.ballot(db, member(ALICE), p),
            lambda p=bad_poll: polls.close(db, moderator(MOD), p, now=T0),
            lambda p=bad_poll: polls.reopen(db, moderator(MOD), p, now=T0),
            lambda p=bad_poll: poll_results.tally(db, HERE, p),
            lambda p=bad_poll: poll_results.tally_from_events(db, HERE, p),
            lambda p=bad_poll: poll_results.export_ballots(db, HERE, p),
        ):
            with pytest.raises(PollNotFound, match="There is no poll"):
                action()
    for choice in ("nope", "elsewhere", "HEALING", ""):
        with pytest.raises(UnknownChoice, match="is not an option in poll"):
            votes.vote(db, member(BOB), poll.id, [choice], now=T0)
        with pytest.raises(UnknownChoice):
            votes.toggle(db, member(ALICE), poll.id, choice, now=T0)
    with pytest.raises(UnknownChoice):
        votes.vote(db, member(ALICE), poll.id, ["open", "elsewhere"], now=T0)
    with pytest.raises(InvalidInput, match="user id"):
        votes.vote(db, member("alice"), poll.id, ["open"], now=T0)
    assert snapshot(db) == before
    assert votes.ballot(db, member(ALICE), other.id) == ()


def test_closed_poll_refuses_votes_even_for_forged_options(db):
    poll = make(db)
    polls.close(db, member(CREATOR), poll.id, now=T0)
    with pytest.raises(PollClosed):
        votes.vote(db, member(ALICE), poll.id, ["nope"], now=T0)

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
                result = votes.vote(db, member(user), poll.id, choices, now=T0)
            elif action == "toggle":
                result = votes.toggle(db, member(user), poll.id, choices[0], now=T0)
            else:
                result = votes.retract(db, member(user), poll.id, now=T0)
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
    assert (poll_results.tally(db, HERE, poll.id).counts
            == poll_results.tally_from_events(db, HERE, poll.id))


def test_press_picks_in_single_choice_and_toggles_in_multiple_choice(db):
    single = make(db)
    assert votes.press(db, member(ALICE), single.id, "healing", now=T0).new == ("healing",)
    again = votes.press(db, member(ALICE), single.id, "healing", now=T0)  # the same button: kept
    assert again.old == again.new == ("healing",)
    assert votes.press(db, member(ALICE), single.id, "open", now=T0).new == ("open",)
    assert len(events(db, single.id)) == 2
    multi = make(db, max_choices=2)
    assert votes.press(db, member(ALICE), multi.id, "open", now=T0).new == ("open",)
    assert votes.press(db, member(ALICE), multi.id, "healing", now=T0).new == ("healing", "open")
    assert votes.press(db, member(ALICE), multi.id, "open", now=T0).new == ("healing",)


def test_a_vote_from_another_server_or_a_dm_finds_no_poll_and_writes_nothing(db):
    poll = make(db, guild_id=GUILD)
    closed = make(db, guild_id=GUILD)
    polls.close(db, member(CREATOR), closed.id, now=T0)
    before = snapshot(db)
    for cast in (lambda p, a: votes.vote(db, a, p, ["open"], now=T0),
                 lambda p, a: votes.press(db, a, p, "open", now=T0),
                 lambda p, a: votes.toggle(db, a, p, "open", now=T0),
                 lambda p, a: votes.retract(db, a, p, now=T0)):
        for poll_id in (poll.id, closed.id):  # closed or not: nothing about it leaks
            with pytest.raises(PollNotFound, match=f"no poll #{poll_id} here"):
                cast(poll_id, member(BOB, OTHER_GUILD))
            with pytest.raises(NotAllowed, match="direct message"):
                cast(poll_id, member(BOB, None))
    assert snapshot(db) == before
    assert votes.vote(db, member(BOB), poll.id, ["open"], now=T0).new == ("open",)
    console = Operator(CAROL, is_moderator=False)  # the console sees every server's polls
    assert votes.vote(db, console, poll.id, ["open"], now=T0).new == ("open",)
