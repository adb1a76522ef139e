"""Settings as click options, and the one App each command opens and closes.

Each setting is one click option with ``envvar=`` (its flag, variable, default and help in
one place). A value may come from the flag, the environment or a ``.env`` file in the
current folder, in that order; a bad value is one line that names what the user actually
typed or set (``--mod-roles``, ``BOT_MOD_ROLES``, ``BOT_MOD_ROLES in .env``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from bot.app import App, open_app
from bot.bundled import knowledge_path as bundled_knowledge
from bot.cli.group import knowledge_report
from bot.cli.types import LOG_DAYS, LOG_LEVEL, ROLE_IDS, SERVER_ID, SERVER_IDS, SHARDS
from bot.config import Settings, default_db_path, read_dotenv
from bot.errors import KnowledgeError
from bot.usertext import clean_data

F = TypeVar("F", bound=Callable[..., Any])

_VALUES = "dmc.settings"  # ctx.meta: setting name -> value given (flag, env or .env)
_DOTENV = "dmc.dotenv"  # ctx.meta: the .env file's values, read once per command line
_FROM_DOTENV = "dmc.from_dotenv"  # ctx.meta: names of the settings that came from .env


class SettingError(click.ClickException):
    """A bad value from the environment or .env: one line, no usage text (exit code 2)."""

    exit_code = 2


class SettingOption(click.Option):
    """An option that is also read from its environment variable, then from ``.env``.

    Its value goes to the command's Settings (see ``settings_from``), not to the command
    function's arguments.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("show_envvar", True)
        kwargs["expose_value"] = False
        kwargs["callback"] = _remember
        super().__init__(*args, **kwargs)

    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        value = super().resolve_envvar_value(ctx)
        if value is not None:
            return value
        dotenv = ctx.meta.get(_DOTENV)
        if dotenv is None:
            dotenv = ctx.meta[_DOTENV] = read_dotenv(Path(".env"))
        for name in self.envvar_names():
            if dotenv.get(name):
                ctx.meta.setdefault(_FROM_DOTENV, set()).add(self.name)
                return dotenv[name]
        return None

    def handle_parse_result(self, ctx: click.Context, opts: Any, args: list[str]) -> Any:
        try:
            return super().handle_parse_result(ctx, opts, args)
        except click.BadParameter as exc:
            if ctx.get_parameter_source(self.name or "") is not ParameterSource.ENVIRONMENT:
                raise
            raise SettingError(f"Invalid value for {self.source_label(ctx)}: "
                               f"{exc.message}") from None

    def get_error_hint(self, ctx: click.Context | None) -> str:
        """Only what the user typed: ``'--mod-roles'``, not its variable too."""
        return " / ".join(f"'{opt}'" for opt in self.opts)

    def source_label(self, ctx: click.Context) -> str:
        """Where this option's value came from, as the user would recognise it."""
        source = ctx.get_parameter_source(self.name or "")
        if source is not ParameterSource.ENVIRONMENT:
            return "default" if source is ParameterSource.DEFAULT else self.opts[0]
        names = self.envvar_names()
        if self.name in ctx.meta.get(_FROM_DOTENV, ()):
            dotenv = ctx.meta.get(_DOTENV, {})
            return next((f"{n} in .env" for n in names if dotenv.get(n)), ".env")
        return next((n for n in names if os.environ.get(n)), names[0])

    def envvar_names(self) -> list[str]:
        if not self.envvar:
            return []
        return [self.envvar] if isinstance(self.envvar, str) else list(self.envvar)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None and param.name:
        ctx.meta.setdefault(_VALUES, {})[param.name] = value
    return value


def setting(*decls: str, **kwargs: Any) -> Callable[[F], F]:
    """A setting's option: ``setting("--db", "db_path", envvar="BOT_DB", ...)``."""
    return click.option(*decls, cls=SettingOption, **kwargs)


# ---------------------------------------------------------------- the settings

db_option = setting(
    "--db", "db_path", envvar="BOT_DB", type=click.Path(dir_okay=False, path_type=Path),
    default=default_db_path, show_default="$XDG_DATA_HOME/drive-my-car-bot/bot.db",
    help="SQLite database file.")
knowledge_option = setting(
    "--knowledge", "knowledge_path", envvar="BOT_KNOWLEDGE",
    type=click.Path(file_okay=False, path_type=Path), default=bundled_knowledge,
    show_default="the bundled knowledge base", help="Knowledge folder (one folder per film).")
secret_option = setting(
    "--secret-file", "secret_path", envvar="BOT_SECRET_FILE",
    type=click.Path(dir_okay=False, path_type=Path), show_default="voter.key next to the database",
    help="The voter key file that keeps anonymous ballots anonymous (made on first run, "
    "mode 0600; keep it out of shared copies of the database, and back it up with it).")
log_days_option = setting(
    "--log-days", "log_days", envvar="BOT_LOG_DAYS", type=LOG_DAYS, default=90,
    show_default=True, help="Days the question log is kept (what was asked and where, "
    "never who); older questions are deleted at start-up and daily.")
token_option = setting(
    "--token", "token", envvar="DISCORD_TOKEN",
    help="Discord bot token (prefer the environment or .env: flags show up in ps).")
mod_roles_option = setting(
    "--mod-roles", "mod_roles", envvar="BOT_MOD_ROLES", type=ROLE_IDS,
    show_default="none: Manage Server only",
    help="Comma-separated ids of the roles whose members are moderators.")
kb_guilds_option = setting(
    "--kb-guilds", "kb_guilds", envvar="BOT_KB_GUILDS", type=SERVER_IDS,
    show_default="every server", help="Comma-separated ids of the servers whose moderators "
    "may curate the shared knowledge base.")
dev_guild_option = setting(
    "--dev-guild", "dev_guild", envvar="BOT_DEV_GUILD", type=SERVER_ID,
    show_default="none: --sync syncs globally",
    help="Server id to sync slash commands to instantly.")
log_level_option = setting(
    "--log-level", "log_level", envvar="BOT_LOG_LEVEL", type=LOG_LEVEL, default="INFO",
    show_default=True, help="How much the bot logs.")
shards_option = setting(
    "--shards", "shards", envvar="BOT_SHARDS", type=SHARDS,
    show_default="one connection, no shards",
    help="'auto' (as many shards as Discord advises) or a number of shards.")
api_base_option = setting(
    "--api-base", "api_base", envvar="DISCORD_API_BASE", metavar="URL",
    show_default="Discord's", help="Discord REST base URL, for a proxy such as nirn-proxy.")
gateway_option = setting(
    "--gateway-url", "gateway_url", envvar="DISCORD_GATEWAY_URL", metavar="URL",
    show_default="Discord's", help="Discord gateway URL.")

APP_OPTIONS = (db_option, knowledge_option, secret_option, log_days_option)
"""What every command that opens the App takes (add new App settings here)."""

DISCORD_OPTIONS = (token_option, mod_roles_option, kb_guilds_option, dev_guild_option,
                   log_level_option, shards_option, api_base_option, gateway_option)
"""What only ``run`` needs, on top of APP_OPTIONS."""


def with_options(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Apply several option decorators, keeping their order in ``--help``."""

    def decorate(fn: F) -> F:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def settings_from(ctx: click.Context) -> Settings:
    """Settings from the setting options given on this command line (defaults for the rest)."""
    return Settings(**ctx.meta.get(_VALUES, {}))


def pass_settings(fn: F) -> F:
    """Call the command with ``settings`` first (put the setting options it needs on it)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        return fn(settings_from(ctx), *clean_data(args), **clean_data(kwargs))  # argv: bad bytes

    return wrapper  # type: ignore[return-value]


def pass_app(fn: F) -> F:
    """Add --db and --knowledge, and call the command with the App opened for it first.

    The App is opened once per command and closed when the command ends, whatever happens
    (``ctx.with_resource``).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        app = ctx.with_resource(opened_app(settings_from(ctx)))
        return fn(app, *clean_data(args), **clean_data(kwargs))  # argv: bad bytes

    return with_options(*APP_OPTIONS)(wrapper)  # type: ignore[return-value]


@contextmanager
def opened_app(settings: Settings) -> Iterator[App]:
    """The App, closed on exit; broken knowledge files are listed as the user can open them."""
    try:
        app = open_app(settings)
    except KnowledgeError as exc:
        raise click.ClickException(knowledge_report(exc.problems, settings.knowledge_path)
                                   ) from None
    try:
        yield app
    finally:
        app.close()
