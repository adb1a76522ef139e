"""A poll's results post and discussion thread, and the chart both carry.

When a poll closes (by command, at its deadline, or at start-up for a deadline that passed
while the bot was down), the final results are posted once, with the chart, in the poll's
discussion thread if it has one, else in its channel. The bookkeeping that makes "once"
hold across crashes is ``bot.poll_messages``: the post is marked with a nonce before it is
sent and recorded after; after a crash in between, the bot looks for its post before
sending again with the same nonce (Discord answers a repeated nonce with the first
message). Missing permissions never stop a poll: without Attach Files the post goes
without the chart, without Send Messages in Threads it goes to the channel, and the person
who asked is told privately (a deadline has nobody to tell: it is logged).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot import charts, poll_messages
from bot.cogs.embeds import (
    chart_name,
    clip,
    results_embed,
    results_marker,
    with_chart,
)
from bot.cogs.respond import NO_PINGS
from bot.poll_results import Tally
from bot.polls import Poll

if TYPE_CHECKING:
    from bot.cogs.client import BotClient

log = logging.getLogger(__name__)
CHART_TIMEOUT = 1.5  # seconds: an interaction must be answered within three
THREAD_NAME_MAX = 100
THREAD_ARCHIVE_MINUTES = 10080  # a week: the longest Discord offers
SEARCH_SLACK = timedelta(minutes=5)  # our clock against Discord's, when looking for a post
SEARCH_LIMIT = 50


async def chart_file(tally: Tally, timeout: float | None = CHART_TIMEOUT) -> discord.File | None:
    """The poll's bar chart as an attachment, drawn off the event loop; None if drawing
    fails or takes too long (the results still show as text bars)."""
    try:
        png = await asyncio.wait_for(asyncio.to_thread(charts.tally_png, tally), timeout)
    except TimeoutError:
        log.warning("the chart of poll %s took longer than %ss; sent without it",
                    tally.poll.id, timeout)
        return None
    except Exception:
        log.exception("could not draw the chart of poll %s", tally.poll.id)
        return None
    return discord.File(io.BytesIO(png), chart_name(tally.poll))


def poll_url(post: poll_messages.PollPost) -> str | None:
    """The link to a poll message, for the results post."""
    if post.guild_id is None or post.channel_id is None or post.message_id is None:
        return None
    return f"https://discord.com/channels/{post.guild_id}/{post.channel_id}/{post.message_id}"


# ---------------------------------------------------------------- the discussion thread


async def open_thread(client: BotClient, interaction: discord.Interaction,
                      message: discord.Message, poll: Poll) -> list[str]:
    """Start the discussion thread on a new poll message, named after the poll. Returns
    what the person who asked should know (nothing when all went well)."""
    perms = interaction.app_permissions
    if isinstance(interaction.channel, discord.Thread):
        return ["This poll is already in a thread, so it has no discussion thread of its own."]
    if not perms.create_public_threads:
        return ["I could not open a discussion thread: I need the **Create Public Threads** "
                "permission in this channel. The poll works without one."]
    name = clip(f"Poll #{poll.id}: {poll.question}", THREAD_NAME_MAX)
    try:
        thread = await message.create_thread(name=name,
                                             auto_archive_duration=THREAD_ARCHIVE_MINUTES)
    except discord.Forbidden:
        return ["I could not open a discussion thread: I need the **Create Public Threads** "
                "permission in this channel. The poll works without one."]
    except discord.HTTPException as exc:
        log.warning("could not start the thread of poll %s: %s", poll.id, exc)
        return ["I could not open a discussion thread (Discord refused it). The poll works "
                "without one."]
    await client.write(lambda app: poll_messages.set_thread(app.db, poll.id, thread.id))
    notes = []
    if not perms.send_messages_in_threads:
        notes.append("I can't post in threads here (I need **Send Messages in Threads**), so "
                     "the final results will be posted in this channel instead.")
    if not perms.attach_files:
        notes.append("I can't attach files here (I need **Attach Files**), so the results "
                     "will come without the chart.")
    return notes


# ---------------------------------------------------------------- the results post


class ResultsPoster:
    """Posts each closing's results once; one post at a time per poll."""

    def __init__(self, bot: BotClient):
        self.bot = bot
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def settle(self, poll_id: int) -> list[str]:
        """Make the results post show the poll's closing, if it is due. Returns notes for
        the person who closed the poll (permissions that were missing)."""
        notes: list[str] = []
        async with self._locks[poll_id]:
            for _ in range(3):  # found again → edit it; deleted → post anew
                post, tally = poll_messages.with_tally(self.bot.app.db, poll_id)
                if not post.results_due:
                    return notes
                if post.results_message_id is not None:
                    if await self._edit(post, tally, notes):
                        return notes
                    continue
                if post.results_in_flight:
                    found = await self._find(post)
                    if found is not None:
                        await self._record(post, found, None)
                        continue
                    nonce = post.results_nonce or poll_messages.new_nonce()
                else:
                    post, nonce = await self._begin(post)
                await self._send(post, tally, nonce, notes)
                return notes
        return notes

    async def _begin(self, post: poll_messages.PollPost) -> tuple[poll_messages.PollPost, str]:
        """Mark the post as about to be sent (with a new nonce) before sending it."""
        nonce, target, now = poll_messages.new_nonce(), post.results_target or 0, datetime.now(UTC)
        marked = await self.bot.write(lambda app: poll_messages.begin_results(
            app.db, post.poll_id, target, nonce, now))
        return marked, nonce

    async def _record(self, post: poll_messages.PollPost, message: discord.Message,
                      closing: str | None) -> None:
        channel_id, message_id = message.channel.id, message.id
        await self.bot.write(lambda app: poll_messages.record_results(
            app.db, post.poll_id, channel_id, message_id, closing))

    async def _send(self, post: poll_messages.PollPost, tally: Tally, nonce: str,
                    notes: list[str]) -> None:
        """Post in the thread, else in the channel; with the chart, else without it."""
        targets = [post.results_target] + ([post.channel_id] if post.thread_id else [])
        for target in targets:
            if target is None:
                continue
            channel = self.bot.get_partial_messageable(target, guild_id=post.guild_id)
            try:
                message = await self._post(channel, post, tally, nonce, notes)
            except discord.NotFound:
                if target == post.thread_id:  # someone deleted the thread
                    await self.bot.write(
                        lambda app: poll_messages.set_thread(app.db, post.poll_id, None))
                    continue
                log.warning("the channel of poll %s is gone: no results post", post.poll_id)
                break
            except discord.Forbidden:
                if target == post.thread_id:
                    notes.append("I can't post in the discussion thread (I need **Send "
                                 "Messages in Threads**), so the results are in the channel.")
                    continue
                notes.append(f"I could not post the final results in <#{target}>: I need "
                             "the **Send Messages** permission there.")
                break
            except discord.HTTPException as exc:  # Discord is having trouble: try again later
                log.warning("could not post the results of poll %s (will retry): %s",
                            post.poll_id, exc)
                return
            await self._record(post, message, post.closed_at)
            return
        closing = post.closed_at or ""
        await self.bot.write(lambda app: poll_messages.skip_results(app.db, post.poll_id,
                                                                    closing))

    async def _post(self, channel: discord.PartialMessageable, post: poll_messages.PollPost,
                    tally: Tally, nonce: str, notes: list[str]) -> discord.Message:
        """One post, with the chart if the bot may attach files there."""
        embed = results_embed(tally, poll_url(post))
        chart = await chart_file(tally, timeout=None)
        if chart is not None:
            try:
                return await channel.send(embed=with_chart(embed, tally.poll, True), file=chart,
                                          nonce=nonce, allowed_mentions=NO_PINGS)
            except discord.Forbidden:  # perhaps only Attach Files: try without the chart
                pass
        message = await channel.send(embed=with_chart(embed, tally.poll, False), nonce=nonce,
                                     allowed_mentions=NO_PINGS)
        if chart is not None:
            notes.append(f"The results were posted without the chart: I need the **Attach "
                         f"Files** permission in <#{channel.id}>.")
        return message

    async def _edit(self, post: poll_messages.PollPost, tally: Tally,
                    notes: list[str]) -> bool:
        """Show this closing in the existing results post; False if it was deleted."""
        channel = self.bot.get_partial_messageable(post.results_channel_id or 0,
                                                   guild_id=post.guild_id)
        message = channel.get_partial_message(post.results_message_id or 0)
        embed = results_embed(tally, poll_url(post))
        chart = await chart_file(tally, timeout=None)
        try:
            try:
                await message.edit(embed=with_chart(embed, tally.poll, chart is not None),
                                   attachments=[chart] if chart else [],
                                   allowed_mentions=NO_PINGS)
            except discord.Forbidden:
                if chart is None:
                    raise
                await message.edit(embed=with_chart(embed, tally.poll, False), attachments=[],
                                   allowed_mentions=NO_PINGS)
                notes.append("The results were updated without the chart: I need the **Attach "
                             f"Files** permission in <#{channel.id}>.")
        except discord.NotFound:
            await self.bot.write(
                lambda app: poll_messages.forget_results_message(app.db, post.poll_id))
            return False
        except discord.HTTPException as exc:
            log.warning("could not update the results post of poll %s (will retry): %s",
                        post.poll_id, exc)
            return True
        closing = post.closed_at
        await self.bot.write(lambda app: poll_messages.record_results(
            app.db, post.poll_id, channel.id, message.id, closing))
        return True

    async def _find(self, post: poll_messages.PollPost) -> discord.Message | None:
        """After a crash: the post that was sent but never recorded, if it exists."""
        since = datetime.now(UTC) - SEARCH_SLACK
        if post.results_started_at:
            since = datetime.fromisoformat(post.results_started_at) - SEARCH_SLACK
        me = self.bot.user
        marker = results_marker(post.poll_id)
        places = dict.fromkeys(p for p in (post.results_channel_id, post.thread_id,
                                           post.channel_id) if p is not None)
        for place in places:
            channel = self.bot.get_partial_messageable(place, guild_id=post.guild_id)
            try:
                async for message in channel.history(limit=SEARCH_LIMIT, after=since,
                                                     oldest_first=True):
                    footer = message.embeds[0].footer.text if message.embeds else None
                    if me and message.author.id == me.id and (footer or "").startswith(
                            marker):
                        log.info("found the results post of poll %s again", post.poll_id)
                        return message
            except discord.HTTPException as exc:  # no access to its history: post again
                log.warning("could not look for the results post of poll %s in %s: %s",
                            post.poll_id, place, exc)
        return None
