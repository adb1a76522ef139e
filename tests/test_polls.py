"""Poll rules against a real SQLite file: creation, closing, reopening, deadlines, lists."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot import poll_results, polls, votes
from bot.errors import (
    InvalidInput,
    NotAllowed,
    PollClosed,
    PollError,
    PollNotFound,
)
from bot.moderators import OPERATOR
from bot.polls import Option
from bot.store import open_db
from tests.poll_support import (
    ALICE,
    BOB,
    CREATOR,
    GUILD,
    HERE,
    ISO,
    MOD,
    OPTIONS,
    OTHER_GUILD,
    T0,
    make,
    member,
    moderator,
    snapshot,
)

# ---- creation -------------------------------------------------------------------------------


def test_create_stores_everything_and_reads_back(db):
    deadline = T0 + timedelta(days=2)
    poll = make(db, channel_id=2, film="drive-my-car", kind="interpretations",
                max_choices=2, anonymous=True, allow_change=False, deadline=deadline)  # fmt: skip
    assert poll == polls.get_poll(db, HERE, poll.id)
    assert [o.id for o in poll.options] == ["healing", "new-life", "acceptance", "open"]
    assert poll.option("open").label == "Deliberately open"
    assert (poll.creator_id, poll.guild_id, poll.channel_id, poll.message_id) == (
        CREATOR,
        GUILD,
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
    poll = polls.create_poll(db, OPERATOR, question="Why?", options=OPTIONS, now=T0)
    assert (poll.guild_id, poll.channel_id, poll.film, poll.kind) == (None, None, None, "custom")
    assert poll.creator_id == OPERATOR.user_id
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


@pytest.mark.parametrize("hours", [0.09, 720.5, -1, 0, float("nan"), float("inf"), "2", True,
                                   10**400])
def test_hours_outside_what_poll_offers_are_refused(db, hours):
    """Every front end gets the range /poll's hours option has (0.1 to 720)."""
    with pytest.raises(InvalidInput, match=r"hours must be a number from 0\.1 to 720 \(got "):
        make(db, hours=hours)
    with pytest.raises(InvalidInput, match="hours must be"):
        polls.deadline_after(hours)
    assert db.execute("SELECT count(*) FROM polls").fetchone()[0] == 0


def test_hours_set_the_deadline(db):
    assert make(db, hours=0.1).deadline == T0 + timedelta(minutes=6)
    assert make(db, hours=720).deadline == T0 + timedelta(days=30)
    assert polls.deadline_after(None) is None
    assert polls.deadline_after(2, T0) == T0 + timedelta(hours=2)
    with pytest.raises(InvalidInput, match="either hours or a deadline"):
        make(db, hours=2, deadline=T0 + timedelta(hours=1))
    poll = make(db)
    polls.close(db, moderator(MOD), poll.id, now=T0)
    reopened = polls.reopen(db, moderator(MOD), poll.id, hours=1.5, now=T0)
    assert reopened.deadline == T0 + timedelta(hours=1.5)


@pytest.mark.parametrize(("text", "labels"), [
    ("Saab | Volvo", ["Saab", "Volvo"]),
    (" a || b |  | c ", ["a", "b", "c"]),  # empty parts are dropped
    ("only one", ["only one"]),
    ("", []),
])
def test_options_from_text(text, labels):
    options = polls.options_from_text(text)
    assert [o.label for o in options] == labels
    assert [o.id for o in options] == [f"o{n}" for n in range(1, len(labels) + 1)]


def test_deadline_in_another_time_zone_is_stored_in_utc(db):
    tokyo = timezone(timedelta(hours=9))
    poll = make(db, deadline=datetime(2026, 3, 2, 9, 0, tzinfo=tokyo))
    assert poll.deadline == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert db.execute("SELECT deadline FROM polls").fetchone()[0].endswith("+00:00")


def test_set_message(db):
    poll = make(db)
    polls.set_message(db, poll.id, 123456789012345678)
    assert polls.get_poll(db, HERE, poll.id).message_id == 123456789012345678
    with pytest.raises(InvalidInput, match="message_id"):
        polls.set_message(db, poll.id, "m")
    with pytest.raises(PollNotFound):
        polls.set_message(db, 999, 1)
    polls.set_message(db, poll.id, None)  # the message was deleted
    assert polls.get_poll(db, HERE, poll.id).message_id is None


def test_options_from_interpretations_keeps_order_and_text():
    assert polls.options_from_interpretations([("a", "A", "why"), ("b", "B", "")]) == (
        Option("a", "A", "why"),
        Option("b", "B", ""),
    )

# ---- closing and reopening ------------------------------------------------------------------


def test_creator_closes_and_votes_are_refused(db):
    poll = make(db)
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    closed = polls.close(db, member(CREATOR), poll.id, now=T0 + timedelta(hours=2))
    assert (closed.status, closed.is_open, closed.closed_by) == ("closed", False, CREATOR)
    assert closed.closed_at == T0 + timedelta(hours=2)
    before = snapshot(db)
    with pytest.raises(PollClosed, match="is closed"):
        votes.vote(db, member(BOB), poll.id, ["open"], now=T0)
    with pytest.raises(PollClosed):
        votes.retract(db, member(ALICE), poll.id, now=T0)
    with pytest.raises(PollClosed, match="already closed"):
        polls.close(db, moderator(MOD), poll.id, now=T0)
    assert snapshot(db) == before
    assert votes.ballot(db, member(ALICE), poll.id) == ("healing",)  # results survive closing


def test_moderator_closes_someone_elses_poll(db):
    poll = make(db)
    assert polls.close(db, moderator(MOD), poll.id, now=T0).closed_by == MOD


def test_others_cannot_close_and_nothing_changes(db):
    poll = make(db)
    before = snapshot(db)
    with pytest.raises(NotAllowed, match="moderator or the poll's creator"):
        polls.close(db, member(ALICE), poll.id, now=T0)
    assert snapshot(db) == before
    assert polls.get_poll(db, HERE, poll.id).is_open


def test_reopen_is_for_moderators_only(db):
    poll = make(db, deadline=T0 + timedelta(hours=1))
    polls.close(db, member(CREATOR), poll.id, now=T0)
    before = snapshot(db)
    with pytest.raises(NotAllowed, match="Only moderators"):
        polls.reopen(db, member(CREATOR), poll.id, now=T0)
    with pytest.raises(InvalidInput, match="in the future"):
        polls.reopen(db, moderator(MOD), poll.id, deadline=T0, now=T0)
    assert snapshot(db) == before
    reopened = polls.reopen(db, moderator(MOD), poll.id, now=T0 + timedelta(minutes=5))
    assert reopened.is_open and reopened.closed_at is None and reopened.closed_by is None
    assert reopened.deadline == T0 + timedelta(hours=1)  # still ahead, so it is kept
    votes.vote(db, member(ALICE), poll.id, ["open"], now=T0 + timedelta(minutes=6))
    with pytest.raises(PollError, match="already open"):
        polls.reopen(db, moderator(MOD), poll.id, now=T0)


def test_reopen_after_deadline_drops_or_replaces_it(db):
    poll = make(db, deadline=T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=2)
    assert polls.close_expired(db, now=later) == [poll.id]
    assert polls.reopen(db, moderator(MOD), poll.id, now=later).deadline is None
    votes.vote(db, member(ALICE), poll.id, ["open"], now=later)
    polls.close(db, moderator(MOD), poll.id, now=later)
    new_deadline = later + timedelta(days=1)
    reopened = polls.reopen(db, moderator(MOD), poll.id, deadline=new_deadline, now=later)
    assert reopened.deadline == new_deadline


def test_close_expired_after_a_restart(path):
    db = open_db(path)
    due = make(db, deadline=T0 + timedelta(hours=1))
    later = make(db, deadline=T0 + timedelta(hours=3))
    endless = make(db)
    manual = make(db, deadline=T0 + timedelta(hours=1))
    polls.close(db, member(CREATOR), manual.id, now=T0)
    votes.vote(db, member(ALICE), due.id, ["healing"], now=T0)
    db.close()  # the bot goes down; the deadline passes meanwhile

    db = open_db(path)
    try:
        assert polls.close_expired(db, now=T0 + timedelta(hours=2)) == [due.id]
        closed = polls.get_poll(db, HERE, due.id)
        assert closed.status == "closed" and closed.closed_by is None
        assert closed.closed_at == closed.deadline  # closed when votes stopped counting
        assert polls.get_poll(db, HERE, later.id).is_open
        assert polls.get_poll(db, HERE, endless.id).is_open
        assert polls.get_poll(db, HERE, manual.id).closed_by == CREATOR  # untouched
        assert polls.close_expired(db, now=T0 + timedelta(hours=2)) == []
        assert poll_results.tally(db, HERE, due.id).counts["healing"] == 1
        assert polls.close_expired(db, now=T0 + timedelta(hours=3)) == [later.id]
    finally:
        db.close()

# ---- listing --------------------------------------------------------------------------------


def test_list_and_latest_show_each_server_its_own_polls(db):
    a = make(db, guild_id=GUILD, film="drive-my-car", kind="interpretations")
    b = make(db, guild_id=OTHER_GUILD, film="drive-my-car", kind="interpretations")
    c = make(db, guild_id=GUILD)
    polls.close(db, member(CREATOR), c.id, now=T0)
    there, elsewhere = member(ALICE), member(ALICE, 3)
    assert [p.id for p in polls.list_polls(db, OPERATOR)] == [b.id, a.id]
    assert [p.id for p in polls.list_polls(db, there)] == [a.id]
    assert [p.id for p in polls.list_polls(db, there, status=None)] == [c.id, a.id]
    assert [p.id for p in polls.list_polls(db, member(ALICE, OTHER_GUILD))] == [b.id]
    assert [p.id for p in polls.list_polls(db, OPERATOR, status="closed")] == [c.id]
    assert polls.list_polls(db, elsewhere, status=None) == []
    assert polls.latest_poll(db, OPERATOR, film="drive-my-car").id == b.id
    assert polls.latest_poll(db, there, film="drive-my-car").id == a.id
    assert polls.latest_poll(db, elsewhere, film="drive-my-car") is None
    assert polls.latest_poll(db, there, film="other") is None


def test_another_servers_poll_reads_exactly_like_a_missing_one(db):
    poll = make(db, guild_id=OTHER_GUILD)
    with pytest.raises(PollNotFound) as theirs:
        polls.get_poll(db, HERE, poll.id)
    with pytest.raises(PollNotFound) as missing:
        polls.get_poll(db, HERE, poll.id + 1)
    assert str(theirs.value) == str(missing.value).replace(f"#{poll.id + 1}", f"#{poll.id}")
    with pytest.raises(NotAllowed, match="direct message"):
        polls.get_poll(db, member(ALICE, None), poll.id)


def test_custom_polls_are_for_moderators_and_ending_polls_for_everyone(app):
    before = snapshot(app.db)
    with pytest.raises(NotAllowed, match="Only moderators can create polls"):
        polls.create_poll(app.db, member(ALICE), question="Why?", options=OPTIONS)
    with pytest.raises(NotAllowed, match="direct message"):
        polls.create_ending_poll(app.db, member(ALICE, None), film="drive-my-car")
    assert snapshot(app.db) == before
    poll = polls.create_ending_poll(app.db, member(ALICE), film="drive-my-car")
    assert (poll.creator_id, poll.guild_id, poll.kind) == (ALICE, GUILD, "interpretations")
