"""What a console session sets up around itself: where log lines go, and line history.

The console's screen is stdout and stderr together, so nothing may log onto it: without a
handler, Python's last-resort handler prints every warning (each refusal is one) on stderr,
in the middle of the session. For the session, log records and Python warnings go to a
log file next to the database instead; the console itself says everything a person needs.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "console.log"
HISTORY_NAME = "console_history"
HISTORY_LENGTH = 1000


class _QuietFileHandler(RotatingFileHandler):
    """A log file that never complains on the terminal when it can't be written."""

    def handleError(self, record: logging.LogRecord) -> None:
        return


@contextlib.contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """Send log records (INFO and up) and Python warnings to ``path`` while the block runs."""
    root = logging.getLogger()
    handler = _QuietFileHandler(path, maxBytes=1_000_000, backupCount=1, delay=True,
                                encoding="utf-8", errors="backslashreplace")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level or logging.WARNING, logging.INFO))
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


@contextlib.contextmanager
def line_history(path: Path) -> Iterator[None]:
    """Up and down arrows recall earlier lines, also from earlier sessions (``path``, kept
    private like a shell's history); nothing happens where readline is missing."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline
        yield
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LENGTH)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)
            os.chmod(path, 0o600)
