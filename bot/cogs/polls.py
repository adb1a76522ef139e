"""/poll commands → bot.polls; the poll message shows live bars (see poll_views.py).

The whole group is guild-only (polls belong to a server), and every call passes the member's
``Actor``: the core shows each server its own polls only, and refuses a DM anyway.

Closing (a command, a deadline, or a deadline that passed while the bot was down) edits the
poll message to its final results with the chart (``tally_updates``) and posts the results
once (``poll_posts``). Both are recorded in ``bot.poll_messages`` only after Discord
confirmed them, and every half minute (and at start-up) the bot redoes what lags behind.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import poll_messages, poll_results, polls
from bot.cogs.autocomplete import throttled
from bot.cogs.client import BotClient
from bot.cogs.embeds import poll_embed, voters_embed, with_chart
from bot.cogs.members import actor_of
from bot.cogs.poll_posts import ResultsPoster, chart_file, open_thread
from bot.cogs.poll_views import (
    MyVoteButton,
    RetractButton,
    VoteButton,
    VoteSelect,
    poll_view,
)
from bot.cogs.respond import reply
from bot.cogs.tally_updates import TallyUpdater
from bot.errors import BotError, InvalidInput
from bot.moderators import Actor

log = logging.getLogger(__name__)


def _deadline(hours: float | None) -> datetime | None:
    return datetime.now(UTC) + timedelta(hours=hours) if hours else None


@app_commands.guild_only()
class Polls(commands.GroupCog, group_name="poll", group_description="Polls on the ending"):
    def __init__(self, bot: BotClient):
        self.bot = bot
        self.updater = TallyUpdater(bot)
        self.results = ResultsPoster(bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton, VoteSelect, RetractButton, MyVoteButton)
        self.close_due.start()

    async def cog_unload(self) -> None:
        self.close_due.cancel()
        await self.updater.flush()

    @tasks.loop(seconds=30)
    async def close_due(self) -> None:
        """Close polls whose deadline passed (also those that expired while we were down),
        and redo any poll message or results post that lags behind the database."""
        for poll_id in polls.close_expired(self.bot.app.db):
            log.info("poll %s closed at its deadline", poll_id)
        for poll_id in poll_messages.lagging(self.bot.app.db):
            await self.catch_up(poll_id)

    @close_due.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()
        # Votes confirmed just before a crash may not have reached the poll message yet.
        for poll_id in polls.posted_open_polls(self.bot.app.db):
            self.updater.changed(poll_id)

    async def catch_up(self, poll_id: int) -> None:
        """Bring a closed poll's message and results post up to date; nobody asked, so what
        a person would have been told is logged."""
        try:
            notes = await self.updater.settle(poll_id) + await self.results.settle(poll_id)
        except Exception:  # one poll's trouble must not stop the others
            log.exception("could not bring the messages of poll %s up to date", poll_id)
            return
        for note in notes:
            log.warning("poll %s: %s", poll_id, note)

    async def _closed(self, interaction: discord.Interaction, poll_id: int) -> None:
        """After a close: the final edit and the results post; tell the closer what failed."""
        notes = await self.updater.final(poll_id) + await self.results.settle(poll_id)
        if notes:
            await reply(interaction, "\n".join(notes), ephemeral=True)

    async def _post(self, interaction: discord.Interaction, poll: polls.Poll,
                    thread: bool) -> None:
        tally = poll_results.tally(self.bot.app.db, actor_of(interaction), poll.id)
        kwargs: dict = {"embed": poll_embed(tally)}
        view = poll_view(poll)
        if view is not None:
            kwargs["view"] = view
        await reply(interaction, **kwargs)
        message = await interaction.original_response()
        await self.bot.write(lambda app: (polls.set_message(app.db, poll.id, message.id),
                                          poll_messages.mark_shown(app.db, poll.id,
                                                                   poll_messages.OPEN)))
        if thread:
            notes = await open_thread(self.bot, interaction, message, poll)
            if notes:
                await reply(interaction, "\n".join(notes), ephemeral=True)

    @app_commands.command(name="ending", description="Start a poll on what the ending means")
    @app_commands.describe(hours="Close automatically after this many hours",
                           anonymous="Hide who voted for what (counts only)",
                           final="Votes can't be changed or retracted once cast",
                           thread="Open a thread on the poll to discuss the readings")
    async def ending(self, interaction: discord.Interaction,
                     hours: app_commands.Range[float, 0.1, 720.0] | None = None,
                     anonymous: bool = False, final: bool = False,
                     thread: bool = False) -> None:
        film = next(iter(self.bot.app.films()), None)
        if film is None:
            raise InvalidInput("No film pack is loaded.")
        poll = polls.create_ending_poll(
            self.bot.app.db, actor_of(interaction), film=film,
            channel_id=interaction.channel_id, anonymous=anonymous, allow_change=not final,
            deadline=_deadline(hours))
        await self._post(interaction, poll, thread)

    @app_commands.command(name="create", description="Start a poll with your own options")
    @app_commands.describe(question="What to ask", options="Options separated by |",
                           max_choices="How many options one person may pick",
                           hours="Close automatically after this many hours",
                           anonymous="Hide who voted for what (counts only)",
                           final="Votes can't be changed or retracted once cast",
                           thread="Open a thread on the poll to discuss it")
    async def create(self, interaction: discord.Interaction,
                     question: app_commands.Range[str, 1, 300],
                     options: app_commands.Range[str, 3, 2000],
                     max_choices: app_commands.Range[int, 1, 25] = 1,
                     hours: app_commands.Range[float, 0.1, 720.0] | None = None,
                     anonymous: bool = False, final: bool = False,
                     thread: bool = False) -> None:
        labels = [part.strip() for part in options.split("|") if part.strip()]
        poll = polls.create_poll(
            self.bot.app.db, actor_of(interaction), question=question,
            options=[polls.Option(f"o{n}", label) for n, label in enumerate(labels, 1)],
            channel_id=interaction.channel_id, max_choices=max_choices,
            anonymous=anonymous, allow_change=not final, deadline=_deadline(hours))
        await self._post(interaction, poll, thread)

    @app_commands.command(name="results", description="Show a poll's results, with a chart")
    @app_commands.describe(poll="Poll number (default: the latest in this server)")
    async def results(self, interaction: discord.Interaction, poll: int | None = None) -> None:
        actor = actor_of(interaction)
        tally = poll_results.tally(self.bot.app.db, actor, self._pick(actor, poll))
        # without Attach Files in this channel, the bars alone (Discord may refuse the file)
        chart = await chart_file(tally) if interaction.app_permissions.attach_files else None
        kwargs: dict = {"embed": with_chart(poll_embed(tally), tally.poll, chart is not None)}
        if chart is not None:
            kwargs["file"] = chart
        await reply(interaction, ephemeral=True, **kwargs)

    @app_commands.command(name="voters", description="Who voted for what (public polls only)")
    @app_commands.describe(poll="Poll number (default: the latest in this server)")
    async def voters(self, interaction: discord.Interaction, poll: int | None = None) -> None:
        actor = actor_of(interaction)
        poll_id = self._pick(actor, poll)
        picked = poll_results.voters(self.bot.app.db, actor, poll_id)
        shown = voters_embed(polls.get_poll(self.bot.app.db, actor, poll_id), picked)
        await reply(interaction, embed=shown, ephemeral=True)

    @app_commands.command(name="close", description="Close a poll (moderators or its creator)")
    async def close(self, interaction: discord.Interaction, poll: int) -> None:
        closed = polls.close(self.bot.app.db, actor_of(interaction), poll)
        await reply(interaction, f"Poll #{closed.id} is closed; the results are final.",
                    ephemeral=True)
        await self._closed(interaction, closed.id)

    @app_commands.command(name="reopen", description="Reopen a closed poll (moderators)")
    @app_commands.describe(hours="Close again automatically after this many hours")
    async def reopen(self, interaction: discord.Interaction, poll: int,
                     hours: app_commands.Range[float, 0.1, 720.0] | None = None) -> None:
        opened = polls.reopen(self.bot.app.db, actor_of(interaction), poll,
                              deadline=_deadline(hours))
        await reply(interaction, f"Poll #{opened.id} is open again.", ephemeral=True)
        await self.updater.final(opened.id)

    @app_commands.command(name="list", description="Open polls in this server")
    async def list_polls(self, interaction: discord.Interaction) -> None:
        actor = actor_of(interaction)
        found = polls.list_polls(self.bot.app.db, actor)
        lines = []
        for p in found[:20]:
            voters = poll_results.tally(self.bot.app.db, actor, p.id).total_voters
            lines.append(f"**#{p.id}** {discord.utils.escape_markdown(p.question)} "
                         f"({voters} voter{'' if voters == 1 else 's'})")
        await reply(interaction, "\n".join(lines) or "No open polls here. Start one with "
                    "`/poll ending`.", ephemeral=True)

    @results.autocomplete("poll")
    @voters.autocomplete("poll")
    @close.autocomplete("poll")
    @reopen.autocomplete("poll")
    @throttled()
    async def poll_autocomplete(self, interaction: discord.Interaction, current: str
                                ) -> list[app_commands.Choice[int]]:
        try:
            found = polls.list_polls(self.bot.app.db, actor_of(interaction), status=None)
        except BotError:  # a DM (Discord should not even offer it there): nothing to suggest
            return []
        return [app_commands.Choice(name=f"#{p.id} {p.question}"[:100], value=p.id)
                for p in found if current in str(p.id) or current.lower() in p.question.lower()
                ][:25]

    def _pick(self, actor: Actor, poll_id: int | None) -> int:
        """The named poll (the core checks it is this server's), else the latest one here."""
        if poll_id is not None:
            return poll_id
        found = polls.list_polls(self.bot.app.db, actor, status=None)
        if not found:
            raise InvalidInput("There are no polls in this server yet; start one with "
                               "`/poll ending`.")
        return found[0].id


async def setup(bot: BotClient) -> None:
    await bot.add_cog(Polls(bot))

