"""The writer thread: results after commit, one savepoint per job, one commit per batch,
lock timeouts as a clear error while the event loop keeps running, and nothing it
acknowledged lost to kill -9."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.app import App, open_app
from bot.config import Settings
from bot.errors import InvalidInput
from bot.store import get_meta, open_db, set_meta
from bot.writer import Busy, Writer, WriterClosed
from tests.conftest import REPO


@pytest.fixture
def commits() -> list[str]:
    """COMMIT statements the writer's connection ran."""
    return []


@pytest.fixture
def writer(settings: Settings, commits: list[str]) -> Iterator[Writer]:
    def opener() -> App:
        app = open_app(settings)
        app.db.conn.set_trace_callback(
            lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
        return app

    w = Writer(opener)
    w.start()
    yield w
    w.close()


def put(key: str, value: str) -> Callable[[App], str]:
    def job(app: App) -> str:
        set_meta(app.db, key, value)
        return value
    return job


def stored(settings: Settings, key: str) -> str | None:
    """Read with a connection of our own, as another process would."""
    db = open_db(settings.db_path)
    try:
        return get_meta(db, key)
    finally:
        db.close()


def blocked(writer: Writer) -> threading.Event:
    """Hold the writer thread inside a job until the returned event is set, so the jobs
    queued meanwhile form one batch."""
    entered, release = threading.Event(), threading.Event()

    def hold(app: App) -> None:
        entered.set()
        release.wait(10)

    writer.submit(hold)
    assert entered.wait(10)
    return release


async def test_run_returns_after_the_commit(writer: Writer, settings: Settings) -> None:
    assert await writer.run(put("greeting", "hello")) == "hello"
    assert stored(settings, "greeting") == "hello"  # visible to another connection at once


async def test_a_failing_job_undoes_only_itself(writer: Writer, settings: Settings) -> None:
    def refused(app: App) -> None:
        set_meta(app.db, "half", "written")
        raise InvalidInput("You can't do that.")

    release = blocked(writer)
    futures = [asyncio.ensure_future(writer.run(job))
               for job in (put("a", "1"), refused, put("c", "3"))]
    await asyncio.sleep(0.05)  # all three are queued behind the held job
    release.set()
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] == "1" and results[2] == "3"
    assert isinstance(results[1], InvalidInput) and str(results[1]) == "You can't do that."
    assert (stored(settings, "a"), stored(settings, "half"), stored(settings, "c")) \
        == ("1", None, "3")


async def test_jobs_waiting_together_share_one_commit(writer: Writer, commits: list[str],
                                                      settings: Settings) -> None:
    release = blocked(writer)
    futures = [asyncio.ensure_future(writer.run(put(f"k{n}", str(n)))) for n in range(100)]
    await asyncio.sleep(0.05)
    before = len(commits)
    release.set()
    assert await asyncio.gather(*futures) == [str(n) for n in range(100)]
    # the held job's batch, then the hundred in one transaction
    assert len(commits) - before <= 2
    assert all(stored(settings, f"k{n}") == str(n) for n in (0, 50, 99))


async def test_a_failed_commit_fails_the_whole_batch(writer: Writer,
                                                     settings: Settings) -> None:
    def orphan(app: App) -> None:
        # a deferred foreign-key violation passes the statement and fails the COMMIT
        app.db.execute("PRAGMA defer_foreign_keys = ON")
        app.db.execute("INSERT INTO poll_options (poll_id, option_id, position, label, summary)"
                       " VALUES (999999, 'x', 0, 'X', '')")

    release = blocked(writer)
    futures = [asyncio.ensure_future(writer.run(job)) for job in (put("kept", "no"), orphan)]
    await asyncio.sleep(0.05)
    release.set()
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert stored(settings, "kept") is None  # nothing of a failed batch was acknowledged
    assert await writer.run(put("after", "ok")) == "ok"  # and the writer carries on
    assert stored(settings, "after") == "ok"


async def test_a_held_lock_is_a_clear_error_and_the_loop_keeps_running(
        settings: Settings) -> None:
    def opener() -> App:
        app = open_app(settings)
        app.db.execute("PRAGMA busy_timeout = 400")
        return app

    writer = Writer(opener)
    writer.start()
    other = sqlite3.connect(settings.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.ensure_future(ticker())
    try:
        with pytest.raises(Busy, match="busy"):
            await writer.run(put("blocked", "yes"))
        assert ticks >= 10  # the loop ran on while the writer waited 0.4 s for the lock
        other.execute("ROLLBACK")
        assert await writer.run(put("later", "yes")) == "yes"
    finally:
        beat.cancel()
        other.close()
        writer.close()


def test_background_failures_are_logged_not_raised(writer: Writer,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def broken(app: App) -> None:
        raise InvalidInput("the log row was refused")

    with caplog.at_level(logging.WARNING, logger="bot.writer"):
        writer.submit(broken)
        writer.close()  # waits for the queue to drain
    assert "background write failed: the log row was refused" in caplog.text


def test_close_finishes_queued_jobs_and_refuses_new_ones(writer: Writer,
                                                        settings: Settings) -> None:
    release = blocked(writer)
    for n in range(20):
        writer.submit(put(f"q{n}", "done"))
    release.set()
    writer.close()
    assert all(stored(settings, f"q{n}") == "done" for n in range(20))
    with pytest.raises(WriterClosed):
        writer.submit(put("late", "no"))


def test_opening_errors_reach_the_caller(tmp_path: Path) -> None:
    def opener() -> App:
        raise InvalidInput("cannot open the database")

    with pytest.raises(InvalidInput, match="cannot open"):
        Writer(opener).start()


CHILD = """
import asyncio, sys
from bot.app import open_app
from bot.config import Settings
from bot.store import set_meta
from bot.writer import Writer
from pathlib import Path

settings = Settings(db_path=Path(sys.argv[1]), knowledge_path=Path(sys.argv[2]))
writer = Writer(lambda: open_app(settings))
writer.start()

def put(n):
    return lambda app: set_meta(app.db, f"n{n}", str(n))

async def main():
    print("READY", flush=True)
    n = 0
    while True:  # a burst of concurrent writers, acknowledged one by one
        batch = list(range(n, n + 20))
        for done in asyncio.as_completed([writer.run(put(k)) for k in batch]):
            await done
        print("ACK", *batch, flush=True)
        n += 20

asyncio.run(main())
"""


@pytest.mark.parametrize("kill_after", [0.05, 0.3])
def test_acknowledged_writes_survive_sigkill(settings: Settings, kill_after: float) -> None:
    open_app(settings).close()  # the index is built before the storm
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(settings.db_path), str(settings.knowledge_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline().strip() == "READY", child.stderr.read()
    first = child.stdout.readline()
    time.sleep(kill_after)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    out = first + child.stdout.read()  # the same buffered stream (see test_crash.py)
    child.stdout.close()
    child.stderr.close()
    acked = [int(n) for line in out.splitlines() if line.startswith("ACK ")
             and line.endswith(("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
             for n in line.split()[1:]]
    assert acked, "nothing was acknowledged before the kill"
    db = open_db(settings.db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        missing = [n for n in acked if get_meta(db, f"n{n}") != str(n)]
    finally:
        db.close()
    assert missing == []
