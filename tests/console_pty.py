"""Drive ``python -m bot console`` through a pseudo-terminal, as a person at a keyboard.

The child's stdin is a real terminal, so the console is interactive (prompt, readline,
forms asked field by field), and Ctrl-C is the terminal's own: writing ``\\x03`` makes
the line discipline send SIGINT to the console, exactly as pressing the keys does.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

from tests.conftest import REPO

CTRL_C, CTRL_D, CTRL_P = "\x03", "\x04", "\x10"


class Terminal:
    """One console process on a pseudo-terminal; ``expect`` waits for text to appear."""

    def __init__(self, db: Path, knowledge: Path, *extra: str) -> None:
        env = {**os.environ, "BOT_DB": str(db), "BOT_KNOWLEDGE": str(knowledge),
               "TERM": "xterm", "COLUMNS": "100", "LINES": "40", "HOME": str(db.parent),
               "PYTHONIOENCODING": "utf-8", "INPUTRC": "/dev/null"}
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal
            # a shell starts background jobs with SIGINT ignored, and Python then keeps it
            # ignored: give the console the default, as a terminal session has
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.chdir(REPO)
            os.execve(sys.executable, [sys.executable, "-m", "bot", "console", *extra], env)
        self.pid, self.fd, self.seen = pid, fd, ""
        self.status: int | None = None

    def send(self, text: str) -> None:
        """Type ``text``, at a human pace: CPython misses a SIGINT that arrives in the few
        microseconds between printing a prompt and waiting for the keyboard."""
        time.sleep(0.2)
        os.write(self.fd, text.encode())

    def expect(self, text: str, timeout: float = 30) -> str:
        """Read until ``text`` has appeared after what earlier calls consumed; returns the
        output up to and including it."""
        end = time.monotonic() + timeout
        while text not in self.seen:
            left = end - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError(f"{text!r} never appeared; the screen had:\n{self.seen}")
        before, _, self.seen = self.seen.partition(text)
        return before + text

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the child closed the terminal (it exited)
            return False
        self.seen += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(data)

    def wait(self, timeout: float = 30) -> int:
        """The exit code, once the console has ended (reading what it still prints)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                while self._read(0.1):
                    pass
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            self._read(0.1)
        raise AssertionError(f"the console did not end; the screen had:\n{self.seen}")

    def close(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)
