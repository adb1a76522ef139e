"""Live poll messages without hitting rate limits: coalesced edits that catch up after crashes.

However fast votes arrive, a poll's message is edited at most once every ``interval``
seconds, always showing the latest tally; closing forces a final edit, which carries the
bar chart. After Discord confirms an edit, the bot records what the message now shows
(``bot.poll_messages``), so a message left "open" by a crash between a close and its edit
is found and edited at the next start (``settle``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import discord

from bot import poll_messages, polls
from bot.cogs.embeds import poll_embed, with_chart
from bot.cogs.poll_posts import chart_file
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

    async def final(self, poll_id: int) -> list[str]:
        """Edit now (close, reopen, deadline), dropping any scheduled edit. Returns what the
        person who closed the poll should know (a chart that could not be attached)."""
        task = self._pending.pop(poll_id, None)
        if task is not None:
            task.cancel()
        return await self._edit(poll_id)

    async def settle(self, poll_id: int) -> list[str]:
        """Edit only if the message does not show what the database holds (after a crash)."""
        async with self._locks[poll_id]:
            if not poll_messages.state(self.bot.app.db, poll_id).message_lags:
                return []
            return await self._edit_now(poll_id)

    async def flush(self) -> None:
        """Apply every scheduled edit now (shutdown)."""
        for poll_id in list(self._pending):
            await self.final(poll_id)

    async def _later(self, poll_id: int, wait: float) -> None:
        await asyncio.sleep(wait)
        self._pending.pop(poll_id, None)
        await self._edit(poll_id)

    async def _edit(self, poll_id: int) -> list[str]:
        async with self._locks[poll_id]:
            return await self._edit_now(poll_id)

    async def _edit_now(self, poll_id: int) -> list[str]:
        post, tally = poll_messages.with_tally(self.bot.app.db, poll_id)
        if post.channel_id is None or post.message_id is None:
            return []
        self._last_edit[poll_id] = time.monotonic()
        message = self.bot.get_partial_messageable(post.channel_id).get_partial_message(
            post.message_id)
        embed = poll_embed(tally)
        kwargs: dict[str, Any] = {"view": poll_view(tally.poll), "allowed_mentions": NO_PINGS,
                                  "attachments": []}  # an open poll shows no chart
        chart = None if tally.poll.is_open else await chart_file(tally, timeout=None)
        notes = []
        try:
            try:
                await message.edit(embed=with_chart(embed, tally.poll, chart is not None),
                                   **{**kwargs, "attachments": [chart] if chart else []})
            except discord.Forbidden:
                if chart is None:
                    raise
                await message.edit(embed=with_chart(embed, tally.poll, False), **kwargs)
                notes.append("The poll message shows the final results without the chart: I "
                             f"need the **Attach Files** permission in <#{post.channel_id}>.")
        except discord.NotFound:
            # someone deleted the poll message: stop editing it (votes and results still work)
            log.info("the message of poll %s is gone; its tally is no longer edited", poll_id)
            await self.bot.write(lambda app: polls.set_message(app.db, poll_id, None))
            return notes
        except discord.Forbidden as exc:  # no access to the channel any more: stop trying
            log.warning("may not edit the message of poll %s (%s); leaving it as it is",
                        poll_id, exc)
        except discord.HTTPException:
            log.warning("could not update the message of poll %s", poll_id, exc_info=True)
            return notes  # still lagging: the next catch-up tries again
        if post.shown != post.should_show:
            shown = post.should_show
            await self.bot.write(lambda app: poll_messages.mark_shown(app.db, poll_id, shown))
        return notes
