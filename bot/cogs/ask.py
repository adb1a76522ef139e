"""/ask and @mention questions → answers.ask() → an embed with buttons."""

from __future__ import annotations

import re

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.answers import ask
from bot.cogs.autocomplete import throttled
from bot.cogs.client import BotClient
from bot.cogs.embeds import answer_embeds, clip
from bot.cogs.members import actor_of, author_of
from bot.cogs.respond import NO_PINGS, reply
from bot.cogs.views import FeedbackButton, RelatedButton, answer_view
from bot.errors import InvalidInput
from bot.guilds import set_shows_spoilers, shows_spoilers
from bot.moderators import Actor
from bot.retention import purge_question_log

RATE, PER = 4, 30.0  # questions per user per 30 seconds
QUESTION_MAX = 1000
AUTOCOMPLETE_MAX = 5  # suggested questions while typing /ask
ANSWER_MENU = "Answer with the bot"  # a message's Apps menu (at most 32 characters)


class Ask(commands.Cog):
    def __init__(self, bot: BotClient):
        self.bot = bot
        self.mention_cooldown = commands.CooldownMapping.from_cooldown(
            RATE, PER, commands.BucketType.user)
        # Context menus can't be declared inside a cog class; discord.py's docs add them here.
        self.answer_menu = app_commands.ContextMenu(name=ANSWER_MENU,
                                                    callback=self.answer_message)
        app_commands.checks.cooldown(RATE, PER)(self.answer_menu)  # the same limit as /ask

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(FeedbackButton, RelatedButton)
        self.bot.tree.add_command(self.answer_menu)
        self.purge_log.start()

    async def cog_unload(self) -> None:
        self.purge_log.cancel()
        self.bot.tree.remove_command(self.answer_menu.name, type=self.answer_menu.type)

    @tasks.loop(hours=24)
    async def purge_log(self) -> None:
        """Forget questions asked more than BOT_LOG_DAYS ago: at start-up, then daily."""
        purge_question_log(self.bot.app.db, self.bot.app.settings.log_days)

    def show_spoilers(self, channel: object, asker: Actor, choice: bool | None) -> bool:
        """The asker's choice, else their server's setting, else plain text in channels named
        like 'spoilers', else hidden behind spoiler bars."""
        if choice is not None:
            return choice
        server = shows_spoilers(self.bot.app.db, asker)
        if server is not None:
            return server
        return "spoiler" in (getattr(channel, "name", "") or "").lower()

    def _answer(self, question: str, source: str, channel: object, asker: Actor,
                spoilers: bool | None) -> dict:
        """The reply; a community entry carries the standings of the asker's server only."""
        answer = ask(self.bot.app, question, source=source, asker=asker)
        show = self.show_spoilers(channel, asker, spoilers)
        embeds = answer_embeds(answer, show_spoilers=show)
        if len(embeds) == 1:
            embeds[0].set_author(name=clip("Q: " + " ".join(question.split()), 256))
        kwargs: dict = {"embeds": embeds}
        view = answer_view(answer, self.bot, show_spoilers=show)
        if view is not None:
            kwargs["view"] = view
        return kwargs

    @app_commands.command(name="ask", description="Ask about the ending of Drive My Car")
    @app_commands.describe(question="Your question, in your own words",
                           spoilers="Show last-act answers without spoiler bars")
    @app_commands.checks.cooldown(RATE, PER)
    async def ask_command(self, interaction: discord.Interaction,
                          question: app_commands.Range[str, 1, QUESTION_MAX],
                          spoilers: bool | None = None) -> None:
        source = f"discord:{interaction.guild_id or 'dm'}/{interaction.channel_id}"
        await reply(interaction, **self._answer(question, source, interaction.channel,
                                                actor_of(interaction), spoilers))

    async def answer_message(self, interaction: discord.Interaction,
                             message: discord.Message) -> None:
        """Apps → "Answer with the bot" on someone's message: answer it in the channel."""
        question = " ".join(message.content.split())[:QUESTION_MAX]
        if not question:
            raise InvalidInput("That message has no text I could answer.")
        source = f"discord:{interaction.guild_id or 'dm'}/{interaction.channel_id}"
        kwargs = self._answer(question, source, interaction.channel, actor_of(interaction), None)
        first = kwargs["embeds"][0]
        first.set_author(name=first.author.name or clip("Q: " + question, 256),
                         url=message.jump_url)
        await reply(interaction, **kwargs)

    @ask_command.autocomplete("question")
    @throttled()
    async def question_autocomplete(self, interaction: discord.Interaction, current: str
                                    ) -> list[app_commands.Choice[str]]:
        """Questions the knowledge base answers, as the user types (they may type their own).

        Last-act titles are only offered where answers show spoilers plainly: a suggestion
        can't hide behind spoiler bars.
        """
        if len(current.strip()) < 3:
            return []
        show = self.show_spoilers(interaction.channel, actor_of(interaction), None)
        hits = self.bot.app.index.search(current[:QUESTION_MAX], limit=10)
        return [app_commands.Choice(name=clip(h.title, 100), value=clip(h.title, 100))
                for h in hits if show or not h.spoiler][:AUTOCOMPLETE_MAX]

    @app_commands.command(name="spoilers",
                          description="Show last-act answers plainly in this server, or hide them")
    @app_commands.describe(shown="True: no spoiler bars in this server; False: hide them again")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def spoilers_command(self, interaction: discord.Interaction, shown: bool) -> None:
        set_shows_spoilers(self.bot.app.db, actor_of(interaction), shown)
        await reply(interaction, "Last-act answers are now shown plainly in this server."
                    if shown else "Last-act answers are hidden behind spoiler bars again.",
                    ephemeral=True)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.author.bot or me is None or me not in message.mentions:
            return
        question = re.sub(rf"<@!?{me.id}>", " ", message.content).strip()[:QUESTION_MAX]
        if not question:
            await message.reply("Ask me about the ending of *Drive My Car*, e.g. "
                                "`why is Misaki in Korea?`", mention_author=False,
                                allowed_mentions=NO_PINGS)
            return
        retry_after = self.mention_cooldown.get_bucket(message).update_rate_limit()
        if retry_after:
            await message.reply(f"Easy there: one question at a time. Try again in "
                                f"{retry_after:.0f}s.", mention_author=False,
                                allowed_mentions=NO_PINGS)
            return
        source = f"discord:{message.guild.id if message.guild else 'dm'}/{message.channel.id}"
        kwargs = self._answer(question, source, message.channel, author_of(message), None)
        await message.reply(mention_author=False, allowed_mentions=NO_PINGS, **kwargs)



async def setup(bot: BotClient) -> None:
    await bot.add_cog(Ask(bot))
