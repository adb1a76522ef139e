"""The bookkeeping of a poll's Discord messages (bot.poll_messages), against real SQLite."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot import poll_messages, polls, pseudonyms
from bot.errors import InvalidInput, PollNotFound
from bot.moderators import OPERATOR
from bot.poll_messages import OPEN
from bot.store import migrations, open_db
from tests.poll_support import MOD, T0, make, moderator


def posted(db, channel_id: int = 10, message_id: int = 20) -> polls.Poll:
    """A poll the bot posted in a channel."""
    poll = make(db, channel_id=channel_id)
    polls.set_message(db, poll.id, message_id)
    return polls.get_poll(db, OPERATOR, poll.id)


def test_a_new_poll_has_no_bookkeeping_yet(db) -> None:
    poll = posted(db)
    post = poll_messages.state(db, poll.id)
    assert (post.thread_id, post.shown, post.results_message_id, post.results_for) == (
        None, None, None, None)
    assert post.should_show == OPEN and post.message_lags  # never confirmed an edit
    assert not post.results_due and poll_messages.lagging(db) == []  # open polls: not here
    poll_messages.mark_shown(db, poll.id, OPEN)
    assert not poll_messages.state(db, poll.id).message_lags


def test_a_closed_poll_lags_until_its_message_and_results_show_the_closing(db) -> None:
    poll = posted(db)
    poll_messages.mark_shown(db, poll.id, OPEN)
    closed = polls.close(db, moderator(MOD), poll.id, now=T0 + timedelta(hours=1))
    closing = poll_messages.state(db, poll.id).closed_at
    assert closing is not None and closing.startswith(str(closed.closed_at.date()))
    post = poll_messages.state(db, poll.id)
    assert post.message_lags and post.results_due and post.should_show == closing
    assert poll_messages.lagging(db) == [poll.id]  # the crash window of issue 12, item 2

    poll_messages.mark_shown(db, poll.id, closing)  # the final edit went through
    assert not poll_messages.state(db, poll.id).message_lags
    assert poll_messages.lagging(db) == [poll.id]  # the results post still lags

    started = poll_messages.begin_results(db, poll.id, 10, "n1", T0)
    assert started.results_in_flight and started.results_nonce == "n1"
    assert started.results_channel_id == 10 and started.results_due
    poll_messages.record_results(db, poll.id, 10, 30, closing)
    post = poll_messages.state(db, poll.id)
    assert not post.results_in_flight and not post.results_due
    assert (post.results_message_id, post.results_nonce, post.results_for) == (30, None, closing)
    assert poll_messages.lagging(db) == []


def test_reopening_and_closing_again_is_a_new_closing(db) -> None:
    poll = posted(db)
    polls.close(db, moderator(MOD), poll.id, now=T0 + timedelta(hours=1))
    first = poll_messages.state(db, poll.id).closed_at
    poll_messages.mark_shown(db, poll.id, first)
    poll_messages.record_results(db, poll.id, 10, 30, first)
    polls.reopen(db, moderator(MOD), poll.id, now=T0 + timedelta(hours=2))
    post = poll_messages.state(db, poll.id)
    assert post.message_lags and post.should_show == OPEN and not post.results_due
    assert poll_messages.lagging(db) == []  # open again: the usual catch-up edits it
    polls.close(db, moderator(MOD), poll.id, now=T0 + timedelta(hours=3))
    post = poll_messages.state(db, poll.id)
    assert post.closed_at != first and post.message_lags and post.results_due
    assert post.results_message_id == 30  # the same post is edited to the new results
    assert poll_messages.lagging(db) == [poll.id]


def test_a_crash_between_marking_and_recording_leaves_the_nonce(db) -> None:
    poll = posted(db)
    polls.close(db, moderator(MOD), poll.id)
    poll_messages.begin_results(db, poll.id, 11, poll_messages.new_nonce(), T0)
    # ... the bot dies here: at the next start the post is "in flight"
    post = poll_messages.state(db, poll.id)
    assert post.results_in_flight and post.results_started_at is not None
    poll_messages.record_results(db, poll.id, 11, 31, None)  # found it again
    post = poll_messages.state(db, poll.id)
    assert post.results_message_id == 31 and not post.results_in_flight
    assert post.results_due  # found, but not yet shown to be this closing's results


def test_skip_and_forget(db) -> None:
    poll = posted(db)
    polls.close(db, moderator(MOD), poll.id)
    closing = poll_messages.state(db, poll.id).closed_at
    poll_messages.skip_results(db, poll.id, closing)
    assert not poll_messages.state(db, poll.id).results_due
    poll_messages.record_results(db, poll.id, 11, 31, closing)
    poll_messages.forget_results_message(db, poll.id)
    assert poll_messages.state(db, poll.id).results_message_id is None


def test_threads_and_targets(db) -> None:
    poll = posted(db, channel_id=10)
    assert poll_messages.state(db, poll.id).results_target == 10
    poll_messages.set_thread(db, poll.id, 20)
    assert poll_messages.state(db, poll.id).results_target == 20
    poll_messages.set_thread(db, poll.id, None)  # the thread was deleted
    assert poll_messages.state(db, poll.id).results_target == 10


def test_polls_without_a_message_or_channel_are_never_due(db) -> None:
    unposted = make(db)  # made in the console: no channel, no message
    polls.close(db, moderator(MOD), unposted.id)
    assert not poll_messages.state(db, unposted.id).results_due
    gone = posted(db)
    polls.set_message(db, gone.id, None)  # a moderator deleted the poll message
    polls.close(db, moderator(MOD), gone.id)
    assert not poll_messages.state(db, gone.id).results_due
    assert poll_messages.lagging(db) == []


@pytest.mark.parametrize("call", [
    lambda db, p: poll_messages.state(db, 999),
    lambda db, p: poll_messages.mark_shown(db, 999, OPEN),
    lambda db, p: poll_messages.set_thread(db, 999, 1),
])
def test_unknown_polls_are_refused_and_write_nothing(db, call) -> None:
    poll = posted(db)
    with pytest.raises(PollNotFound):
        call(db, poll)
    assert db.execute("SELECT count(*) FROM poll_posts").fetchone() == (0,)


@pytest.mark.parametrize("call", [
    lambda db, p: poll_messages.mark_shown(db, p.id, ""),
    lambda db, p: poll_messages.begin_results(db, p.id, 10, "n" * 26, T0),
    lambda db, p: poll_messages.begin_results(db, p.id, 10, "", T0),
    lambda db, p: poll_messages.set_thread(db, p.id, -1),
    lambda db, p: poll_messages.record_results(db, p.id, 10, True, None),
    lambda db, p: poll_messages.state(db, "1"),
])
def test_bad_values_are_refused(db, call) -> None:
    poll = posted(db)
    with pytest.raises(InvalidInput):
        call(db, poll)
    assert db.execute("SELECT count(*) FROM poll_posts").fetchone() == (0,)


def test_new_nonces_fit_discord_and_differ() -> None:
    nonces = {poll_messages.new_nonce() for _ in range(100)}
    assert len(nonces) == 100 and all(0 < len(n) <= 25 for n in nonces)


def test_upgrading_posts_no_results_for_polls_closed_before(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    pseudonyms.install(old, secrets.token_bytes(pseudonyms.SECRET_BYTES))
    migrations.apply(old, stop_before="m010_poll_message_state")
    old.execute("INSERT INTO polls (id, question, creator_id, guild_id, channel_id, message_id,"
                " max_choices, anonymous, allow_change, status, created_at, closed_at) VALUES"
                " (1, 'Old?', 1, 2, 3, 4, 1, 0, 1, 'closed', 't0', 't1'),"
                " (2, 'Open?', 1, 2, 3, 5, 1, 0, 1, 'open', 't0', NULL)")
    old.conn.commit()
    old.close()
    db = open_db(path)
    try:
        assert poll_messages.lagging(db) == []
        closed, still_open = poll_messages.state(db, 1), poll_messages.state(db, 2)
        assert (closed.shown, closed.results_for) == ("t1", "t1") and not closed.results_due
        assert still_open.message_lags  # open polls are edited at start-up anyway
    finally:
        db.close()


def test_with_tally_reads_one_moment(db) -> None:
    poll = posted(db)
    post, tally = poll_messages.with_tally(db, poll.id)
    assert post.status == tally.poll.status == "open" and tally.total_voters == 0
    assert not db.conn.in_transaction  # the read is over
    with pytest.raises(PollNotFound):
        poll_messages.with_tally(db, 999)
    assert not db.conn.in_transaction
