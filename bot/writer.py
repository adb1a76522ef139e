"""Durable writes off the event loop: one writer thread, its own connection, group commit.

The Discord event loop must never wait on SQLite. A durable commit costs an fsync, and
while another process holds the write lock a write waits up to the busy timeout; on the
loop, either would stall every other member's interaction. So every write the bot
acknowledges (a vote, a moderator's edit, a poll closing) is a *job* run here:

- jobs queue up; the thread takes every job that is waiting (up to ``max_batch``);
- it runs them in one ``BEGIN IMMEDIATE`` transaction, each job in its own savepoint, so a
  job that raises (a refused vote, say) rolls back only itself;
- it commits once, one fsync for the whole batch, and only then settles each job's
  future. If the transaction cannot begin or commit, every job of the batch fails and
  none of them was acknowledged.

A job is a function of an ``App`` opened in this thread (SQLite connections belong to the
thread that opened them), so it calls the same core functions the CLI and console call.
Jobs nobody waits for (``submit``: the question log) share the batches and never block
the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.errors import BotError, Busy
from bot.store import write

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BATCH = 200  # jobs per transaction: enough for a vote burst, short enough to stay fair


class WriterClosed(BotError):
    """The writer has stopped (the bot is shutting down)."""


@dataclass
class _Job(Generic[T]):
    fn: Callable[[App], T]
    future: asyncio.Future[T] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    result: Any = field(default=None)
    error: BaseException | None = None

    def settle(self) -> None:
        """Hand the outcome to whoever waits (on their event loop), or log a failure."""
        if self.future is None or self.loop is None:
            if self.error is not None:
                log.warning("background write failed: %s", self.error,
                            exc_info=not isinstance(self.error, BotError))
            return
        with contextlib.suppress(RuntimeError):  # the caller's loop closed (shutdown)
            self.loop.call_soon_threadsafe(_resolve, self.future, self.result, self.error)


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


_STOP = object()


class Writer:
    """The one thread that writes to the database for the bot; see the module docstring."""

    def __init__(self, opener: Callable[[], App], *, max_batch: int = MAX_BATCH,
                 name: str = "db-writer"):
        self._opener = opener
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._opened = threading.Event()
        self._open_error: BaseException | None = None
        self._closed = False
        self.batches = 0  # transactions committed or attempted: for tests and benchmarks
        self.jobs = 0

    # ---------------------------------------------------------------- the caller's side

    def start(self) -> None:
        """Start the thread and wait until its App is open (raises what opening raised)."""
        self._thread.start()
        self._opened.wait()
        if self._open_error is not None:
            raise self._open_error

    async def run(self, fn: Callable[[App], T]) -> T:
        """Run ``fn(app)`` durably and return its result once it is committed."""
        loop = asyncio.get_running_loop()
        job: _Job[T] = _Job(fn, loop.create_future(), loop)
        self._put(job)
        return await job.future  # type: ignore[misc]

    def submit(self, fn: Callable[[App], Any]) -> None:
        """Queue ``fn(app)`` without waiting for it (failures are logged, not raised)."""
        self._put(_Job(fn))

    def close(self) -> None:
        """Finish every queued job, then stop the thread and close its App."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _put(self, job: _Job[Any]) -> None:
        if self._closed or not self._thread.is_alive():
            raise WriterClosed("The bot is shutting down; please try again in a moment.")
        self._queue.put(job)

    # ---------------------------------------------------------------- the thread

    def _main(self) -> None:
        try:
            app = self._opener()
        except BaseException as exc:  # handed to start(), which raises it in the caller
            self._open_error = exc
            self._opened.set()
            return
        self._opened.set()
        try:
            stopping = False
            while not stopping:
                batch, stopping = self._take()
                if batch:
                    self._commit(app, batch)
        finally:
            app.close()

    def _take(self) -> tuple[list[_Job[Any]], bool]:
        """Block for one job, then take every job already waiting (up to max_batch)."""
        item = self._queue.get()
        if item is _STOP:
            return [], True
        batch = [item]
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _commit(self, app: App, batch: list[_Job[Any]]) -> None:
        self.batches += 1
        self.jobs += len(batch)
        try:
            with write(app.db):
                for job in batch:
                    try:
                        with app.db.atomic():  # a savepoint: a failing job undoes only itself
                            job.result = job.fn(app)
                    except Exception as exc:
                        job.error = exc
                    if not app.db.conn.in_transaction:  # the error ended the transaction
                        raise TransactionLost(job.error)
        except Exception as exc:  # could not begin or commit: nothing of the batch is stored
            failure = busy_error(exc)
            for job in batch:
                job.result, job.error = None, failure
        for job in batch:
            job.settle()


def busy_error(exc: BaseException) -> BaseException:
    """A lock timeout as a message for people; the cause of a lost transaction; else as is."""
    if isinstance(exc, TransactionLost) and exc.cause is not None:
        exc = exc.cause
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return Busy()  # store.write already turns a lock timeout into Busy; this is a backstop
    return exc


class TransactionLost(Exception):
    """A job's error rolled back the whole transaction, so the batch must not be kept."""

    def __init__(self, cause: BaseException | None):
        super().__init__(str(cause))
        self.cause = cause

