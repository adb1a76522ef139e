"""/about: what the bot is, how much it knows, how to add to it."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.cogs.client import BotClient
from bot.cogs.embeds import about_embed
from bot.cogs.respond import reply


class About(commands.Cog):
    def __init__(self, bot: BotClient):
        self.bot = bot

    @app_commands.command(name="about", description="What this bot is and how to add to it")
    async def about(self, interaction: discord.Interaction) -> None:
        app = self.bot.app
        films = app.films()
        title = next(iter(films.values())).title if films else "film"
        interpretations = app.db["interpretations"].count
        await reply(interaction, embed=about_embed(
            film_title=title, entries=app.index.count(), interpretations=interpretations,
            version=__version__), ephemeral=True)


async def setup(bot: BotClient) -> None:
    await bot.add_cog(About(bot))
