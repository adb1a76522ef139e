"""Live poll messages without hitting rate limits: coalesced edits.

However fast votes arrive, a poll's message is edited at most once every
``interval`` seconds, always showing the latest tally; closing forces a final edit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING

import discord

from bot import poll_results, polls
from bot.cogs.embeds import poll_embed
from bot.cogs.poll_views import poll_view
from bot.cogs.respond import NO_PINGS

if TYPE_CHECKING:
    from bot.cogs.client import BotClient

log = logging.getLogger(__name__)


class TallyUpdater:
    def __init__(self, bot: BotClient, interval: float = 3.0):
        self.bot = bot
        self.interval = interval
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._last_edit: dict[int, float] = {}
        # One edit at a time per poll, each reading the database when its turn comes, so a
        # slow "closed" edit can never land after the "open again" one that followed it.
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def changed(self, poll_id: int) -> None:
        """A vote changed the tally: schedule one edit unless one is already waiting."""
        if poll_id in self._pending:
            return
        wait = self._last_edit.get(poll_id, 0.0) + self.interval - time.monotonic()
        self._pending[poll_id] = asyncio.create_task(self._later(poll_id, max(0.0, wait)))

    async def final(self, poll_id: int) -> None:
        """Edit now (close, reopen, deadline), dropping any scheduled edit."""
        task = self._pending.pop(poll_id, None)
        if task is not None:
            task.cancel()
        await self._edit(poll_id)

    async def flush(self) -> None:
        """Apply every scheduled edit now (shutdown)."""
        for poll_id in list(self._pending):
            await self.final(poll_id)

    async def _later(self, poll_id: int, wait: float) -> None:
        await asyncio.sleep(wait)
        self._pending.pop(poll_id, None)
        await self._edit(poll_id)

    async def _edit(self, poll_id: int) -> None:
        async with self._locks[poll_id]:
            await self._edit_now(poll_id)

    async def _edit_now(self, poll_id: int) -> None:
        db = self.bot.app.db
        tally = poll_results.message_tally(db, poll_id)
        poll = tally.poll
        if poll.channel_id is None or poll.message_id is None:
            return
        self._last_edit[poll_id] = time.monotonic()
        message = self.bot.get_partial_messageable(poll.channel_id).get_partial_message(
            poll.message_id)
        try:
            await message.edit(embed=poll_embed(tally),
                               view=poll_view(poll), allowed_mentions=NO_PINGS)
        except discord.NotFound:
            # someone deleted the poll message: stop editing it (votes and results still work)
            log.info("the message of poll %s is gone; its tally is no longer edited", poll_id)
            polls.set_message(db, poll_id, None)
        except discord.HTTPException:
            log.warning("could not update the message of poll %s", poll_id, exc_info=True)
