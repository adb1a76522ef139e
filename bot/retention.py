"""How long the bot keeps what people asked: the question log is purged after BOT_LOG_DAYS.

The log keeps the question, where it was asked (server and channel) and what the bot
answered, never who asked. It exists so moderators can see what the knowledge base lacks;
older rows are deleted at start-up and once a day (``store.open_db`` turns on
``secure_delete``, so they don't linger in the file's free pages either).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlite_utils import Database

from bot.config import MAX_LOG_DAYS
from bot.errors import InvalidInput
from bot.polls import utc
from bot.store import iso, write

log = logging.getLogger(__name__)


def purge_question_log(db: Database, days: int, now: datetime | None = None) -> int:
    """Delete questions asked more than ``days`` days ago; returns how many went.

    Housekeeping for every server at once, run by the bot itself: it takes no actor.
    """
    if type(days) is not int or not 1 <= days <= MAX_LOG_DAYS:
        raise InvalidInput(f"BOT_LOG_DAYS must be a whole number of days from 1 to "
                           f"{MAX_LOG_DAYS} (got {days!r}).")
    cutoff = iso(utc(now) - timedelta(days=days))
    if db.execute("SELECT 1 FROM question_log WHERE asked_at < ? LIMIT 1",
                  [cutoff]).fetchone() is None:
        return 0  # the usual case takes no write lock
    with write(db):
        gone = db.execute("DELETE FROM question_log WHERE asked_at < ?", [cutoff]).rowcount
    log.info("purged %d question(s) asked more than %d days ago", gone, days)
    return gone
