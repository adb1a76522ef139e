"""Core functions given huge or odd numbers: a domain error or a sensible answer, never
OverflowError, ValueError or a raw SQLite error, and nothing written.

SQLite integers stop at 2**63 - 1; Python's do not, and ``timedelta`` stops at 999,999,999
days. Front ends parse what people type (the CLI and console engineer's work); this is the
core's own guard, for every number it takes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import polls, suggestions, votes
from bot.answers import feedback_counts, record_feedback
from bot.app import App
from bot.audit import audit_log
from bot.curation import list_entries, search_entries, unanswered_questions
from bot.errors import BotError
from bot.guilds import set_shows_spoilers, shows_spoilers
from bot.moderators import Actor
from bot.poll_results import export_ballots, tally, tally_from_events, voters

MOD = Actor(user_id=42, guild_id=111, is_moderator=True)  # a moderator of server 111
ODD = [0, -1, -(2**63) - 1, 2**63 - 1, 2**63, 10**20, 10**100, True, 1.5, math.inf, math.nan,
       "7", "²", None]
NUMBERS = st.sampled_from(ODD) | st.integers(min_value=-(10**30), max_value=10**30)
HOSTILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])

GUILD = 111


def member(user: object = 5, guild: object = GUILD, mod: bool = False) -> Actor:
    """An actor built from the numbers: Actor itself refuses ids SQLite cannot hold."""
    return Actor(user_id=user, guild_id=guild, is_moderator=mod)  # type: ignore[arg-type]


TWO = [polls.Option("a", "A"), polls.Option("b", "B")]
CALLS: dict[str, Callable[[App, Any], object]] = {
    "actor user": lambda app, n: member(user=n),
    "actor guild": lambda app, n: member(guild=n),
    "get_poll": lambda app, n: polls.get_poll(app.db, MOD, n),
    "load_for_message": lambda app, n: polls.load_for_message(app.db, n),
    "set_message": lambda app, n: polls.set_message(app.db, 1, n),
    "close": lambda app, n: polls.close(app.db, MOD, n),
    "reopen": lambda app, n: polls.reopen(app.db, MOD, n),
    "list_polls": lambda app, n: polls.list_polls(app.db, member(guild=n)),
    "latest_poll": lambda app, n: polls.latest_poll(app.db, member(guild=n),
                                                    film="drive-my-car"),
    "create_poll channel": lambda app, n: polls.create_poll(
        app.db, MOD, question="Q?", options=TWO, channel_id=n),
    "create_poll max_choices": lambda app, n: polls.create_poll(
        app.db, MOD, question="Q?", options=TWO, max_choices=n),
    "create_poll hours": lambda app, n: polls.create_poll(
        app.db, MOD, question="Q?", options=TWO, hours=n),
    "ending poll hours": lambda app, n: polls.create_ending_poll(
        app.db, MOD, film="drive-my-car", hours=n),
    "reopen hours": lambda app, n: polls.reopen(app.db, MOD, 1, hours=n),
    "deadline_after": lambda app, n: polls.deadline_after(n),
    "vote poll": lambda app, n: votes.vote(app.db, member(), n, ["new-life"]),
    "vote user": lambda app, n: votes.vote(app.db, member(user=n), 1, ["new-life"]),
    "retract": lambda app, n: votes.retract(app.db, member(), n),
    "ballot": lambda app, n: votes.ballot(app.db, member(), n),
    "tally": lambda app, n: tally(app.db, MOD, n),
    "tally_from_events": lambda app, n: tally_from_events(app.db, MOD, n),
    "export_ballots": lambda app, n: export_ballots(app.db, MOD, n),
    "voters": lambda app, n: voters(app.db, MOD, n),
    "suggest": lambda app, n: suggestions.suggest(app, MOD, n, "Title", "Text"),
    "get_suggestion": lambda app, n: suggestions.get_suggestion(app, MOD, n),
    "queue": lambda app, n: suggestions.queue(app, MOD, n),
    "reject": lambda app, n: suggestions.reject(app, MOD, n, "no"),
    "list_entries page": lambda app, n: list_entries(app, n),
    "list_entries per_page": lambda app, n: list_entries(app, 1, n),
    "unanswered days": lambda app, n: unanswered_questions(app, MOD, days=n),
    "unanswered limit": lambda app, n: unanswered_questions(app, MOD, limit=n),
    "search limit": lambda app, n: search_entries(app, "driver", n),
    "audit limit": lambda app, n: audit_log(app, MOD, None, n),
    "feedback user": lambda app, n: record_feedback(app.db, "no-kiss", n, True),
    "feedback counts": lambda app, n: feedback_counts(app.db, "no-kiss"),
    "spoilers": lambda app, n: shows_spoilers(app.db, member(guild=n)),
    "set spoilers": lambda app, n: set_shows_spoilers(app.db, member(guild=n, mod=True), True),
}


def _state(app: App) -> list[Any]:
    return [app.db.execute(f"SELECT * FROM {t}").fetchall()
            for t in ("polls", "ballots", "vote_events", "suggestions", "feedback",
                      "guild_settings", "mod_entries", "audit_log")]


@pytest.fixture
def seeded(app: App) -> App:
    polls.create_ending_poll(app.db, MOD, film="drive-my-car")  # poll #1
    return app


def _check(app: App, name: str, number: object) -> None:
    """A domain error with a message and nothing written, or a result; anything else
    (OverflowError, ValueError, TypeError, sqlite3.Error) fails the test."""
    before = _state(app)
    try:
        CALLS[name](app, number)
    except BotError as exc:
        assert str(exc)
        assert _state(app) == before


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("number", ODD, ids=repr)
def test_odd_numbers(seeded: App, name: str, number: object) -> None:
    _check(seeded, name, number)


@HOSTILE
@given(name=st.sampled_from(list(CALLS)), number=NUMBERS)
def test_any_number(seeded: App, name: str, number: object) -> None:
    _check(seeded, name, number)


def test_huge_counts_mean_everything(seeded: App) -> None:
    assert list_entries(seeded, 10**20) == ([], 1)
    assert unanswered_questions(seeded, MOD, days=99_999_999_999) == []
    with pytest.raises(BotError, match="No suggestion"):
        suggestions.get_suggestion(seeded, MOD, 10**20)
