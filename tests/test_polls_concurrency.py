"""500 voters changing votes at once, from threads that each own a connection.

SQLite connections are not shared across threads, so each worker opens the file itself. Every
write takes ``BEGIN IMMEDIATE`` and waits on ``busy_timeout``; no worker may see SQLITE_BUSY.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

from bot import poll_results, polls, votes
from bot.polls import Option
from bot.store import open_db
from tests.poll_support import (
    HERE,
    member,
    moderator,
)

USERS = range(1, 501)
THREADS = 16
RACED = range(1, 21)  # these users are also voted for by every thread at once
OPTIONS = tuple(Option(f"reading-{n}", f"Reading {n}") for n in range(4))
IDS = [o.id for o in OPTIONS]


def worker(path: Path, poll_id: int, index: int, barrier: threading.Barrier, out: dict) -> None:
    """Vote, change, re-vote and sometimes retract for this thread's share of the users."""
    rng = random.Random(index)
    db = open_db(path)
    expected: dict[int, tuple[str, ...]] = {}
    seen: Counter[int] = Counter()
    changes = calls = 0
    try:
        barrier.wait()
        mine = [u for u in USERS if u % THREADS == index]
        plan = [u for u in mine for _ in range(3)] + list(RACED)
        rng.shuffle(plan)
        for user in plan:
            current, seen[user] = expected.get(user, ()), seen[user] + 1
            if user in RACED:  # other threads race on these: only count what happened
                result = votes.vote(db, member(user), poll_id, [rng.choice(IDS)])
            elif seen[user] <= 2 or rng.random() < 0.5:  # cast, change, then maybe change again
                other = rng.choice([i for i in IDS if (i,) != current])
                result = votes.vote(db, member(user), poll_id, [other])
            else:
                result = votes.vote(db, member(user), poll_id, list(current))  # identical: no event
                assert result.old == result.new == current
            expected[user] = result.new
            changes += result.old != result.new
            calls += 1
        for user in mine:
            if user not in RACED and user % 10 == 0:
                result = votes.retract(db, member(user), poll_id)
                expected[user] = result.new
                changes += result.old != result.new
                calls += 1
        out[index] = (changes, calls, {u: c for u, c in expected.items() if u not in RACED})
    except BaseException as error:  # reported by the main thread
        out[index] = error
    finally:
        db.close()


def test_500_concurrent_voters_keep_tally_log_and_ballots_consistent(tmp_path: Path):
    path = tmp_path / "bot.db"
    db = open_db(path)
    poll = polls.create_poll(db, moderator(1), question="How do you read the ending?",
                             options=OPTIONS)
    barrier = threading.Barrier(THREADS)
    out: dict[int, object] = {}
    threads = [
        threading.Thread(target=worker, args=(path, poll.id, n, barrier, out))
        for n in range(THREADS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.perf_counter() - started

    errors = [r for r in out.values() if isinstance(r, BaseException)]
    assert errors == [] and len(out) == THREADS, errors
    changes = sum(r[0] for r in out.values())
    expected = {u: c for r in out.values() for u, c in r[2].items() if c}

    rows = db.execute("SELECT user_id, choices FROM ballots WHERE poll_id = ?", [poll.id])
    ballots = dict(rows.fetchall())
    per_user = Counter(u for (u,) in db.execute("SELECT user_id FROM ballots"))
    assert max(per_user.values()) == 1
    assert set(ballots) <= set(USERS)
    for user, choices in expected.items():  # users only one thread touched: exact ballot
        assert votes.ballot(db, member(user), poll.id) == choices
    assert set(RACED) <= set(ballots)  # raced users always end with one ballot

    event_count = db.execute("SELECT count(*) FROM vote_events").fetchone()[0]
    assert event_count == changes
    changed_users = {
        u for (u,) in db.execute(
            "SELECT DISTINCT user_id FROM vote_events WHERE old IS NOT NULL AND new IS NOT NULL"
        )
    }  # fmt: skip
    assert changed_users == set(USERS)  # everyone voted and then changed at least once

    result = poll_results.tally(db, HERE, poll.id)
    assert result.counts == poll_results.tally_from_events(db, HERE, poll.id)
    assert result.total_voters == len(ballots)
    assert sum(result.counts.values()) == len(ballots)  # single choice
    db.close()
    assert elapsed < 20, f"took {elapsed:.1f}s"
