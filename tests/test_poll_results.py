"""Results against a real SQLite file: tallies, ties, the replayed vote log, exports, voters."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest

from bot import poll_results, votes
from bot.errors import (
    NotAllowed,
    PollError,
    PollNotFound,
)
from tests.poll_support import (
    ALICE,
    BOB,
    CAROL,
    DAN,
    HERE,
    OPTIONS,
    T0,
    make,
    member,
)

# ---- results --------------------------------------------------------------------------------


def test_tally_percentages_and_ties(db):
    poll = make(db)
    empty = poll_results.tally(db, HERE, poll.id)
    assert empty.total_voters == 0 and empty.leaders == ()
    assert all(r.count == 0 and r.percent == 0.0 for r in empty.results)
    for user, choice in ((ALICE, "healing"), (BOB, "open"), (CAROL, "healing"), (DAN, "open")):
        votes.vote(db, member(user), poll.id, [choice], now=T0)
    result = poll_results.tally(db, HERE, poll.id)
    assert result.total_voters == 4
    assert [(r.option.id, r.count, r.percent) for r in result.results] == [
        ("healing", 2, 50.0),
        ("new-life", 0, 0.0),
        ("acceptance", 0, 0.0),
        ("open", 2, 50.0),
    ]
    assert result.leaders == ("healing", "open")  # a tie shows as a tie
    votes.vote(db, member(DAN), poll.id, ["healing"], now=T0)
    assert poll_results.tally(db, HERE, poll.id).leaders == ("healing",)
    assert poll_results.tally(db, HERE, poll.id).results[0].percent == 75.0


def test_multiple_choice_percentages_can_sum_over_100(db):
    poll = make(db, max_choices=2)
    votes.vote(db, member(ALICE), poll.id, ["healing", "open"], now=T0)
    votes.vote(db, member(BOB), poll.id, ["healing"], now=T0)
    votes.vote(db, member(CAROL), poll.id, ["new-life", "open"], now=T0)
    result = poll_results.tally(db, HERE, poll.id)
    assert result.total_voters == 3
    assert result.counts == {"healing": 2, "new-life": 1, "acceptance": 0, "open": 2}
    assert math.isclose(result.results[0].percent, 200 / 3)
    assert sum(r.percent for r in result.results) > 100


def test_tally_equals_tally_from_events(db):
    poll = make(db, max_choices=2)
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    votes.toggle(db, member(ALICE), poll.id, "open", now=T0)
    votes.vote(db, member(BOB), poll.id, ["new-life", "acceptance"], now=T0)
    votes.retract(db, member(BOB), poll.id, now=T0)
    votes.vote(db, member(BOB), poll.id, ["acceptance"], now=T0)
    votes.toggle(db, member(CAROL), poll.id, "open", now=T0)
    assert (poll_results.tally(db, HERE, poll.id).counts
            == poll_results.tally_from_events(db, HERE, poll.id))
    assert poll_results.tally_from_events(db, HERE, poll.id) == {
        "healing": 1, "new-life": 0, "acceptance": 1, "open": 2,
    }  # fmt: skip


def test_tally_from_events_notices_a_broken_log(db):
    poll = make(db)
    votes.vote(db, member(ALICE), poll.id, ["healing"], now=T0)
    db.execute(
        "INSERT INTO vote_events (poll_id, user_id, at, old, new) VALUES (?, ?, 'x', ?, ?)",
        [poll.id, ALICE, '["open"]', '["healing"]'],
    )
    with pytest.raises(PollError, match="inconsistent"):
        poll_results.tally_from_events(db, HERE, poll.id)


def test_export_public_poll_lists_who_voted_what(db):
    poll = make(db, max_choices=2)
    votes.vote(db, member(ALICE), poll.id, ["open", "healing"], now=T0)
    votes.vote(db, member(BOB), poll.id, ["new-life"], now=T0 + timedelta(minutes=1))
    rows = poll_results.export_ballots(db, HERE, poll.id)
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
        votes.vote(db, member(user), poll.id, ["acceptance"], now=T0)
    rows = poll_results.export_ballots(db, HERE, poll.id)
    assert rows == [
        {"option_id": o.id, "label": o.label, "count": 2 if o.id == "acceptance" else 0}
        for o in OPTIONS
    ]
    text = json.dumps(rows)
    assert all(str(user) not in text for user in voters)
    assert "user_id" not in text and "cast_at" not in text


def test_voters_of_a_public_poll_per_option_earliest_first(db):
    poll = make(db, max_choices=2)
    votes.vote(db, member(BOB), poll.id, ["open"], now=T0 + timedelta(minutes=1))
    votes.vote(db, member(ALICE), poll.id, ["open", "healing"], now=T0)
    votes.vote(db, member(CAROL), poll.id, ["healing"], now=T0 + timedelta(minutes=2))
    votes.retract(db, member(CAROL), poll.id, now=T0 + timedelta(minutes=3))
    assert poll_results.voters(db, HERE, poll.id) == {
        "healing": (ALICE,), "new-life": (), "acceptance": (), "open": (ALICE, BOB)}


def test_voters_of_an_anonymous_poll_are_refused_even_to_moderators(db):
    poll = make(db, anonymous=True)
    votes.vote(db, member(ALICE), poll.id, ["open"], now=T0)
    with pytest.raises(NotAllowed, match=f"Poll #{poll.id} is anonymous"):
        poll_results.voters(db, HERE, poll.id)
    with pytest.raises(PollNotFound):
        poll_results.voters(db, HERE, poll.id + 1)


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
