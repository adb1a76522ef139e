"""Options and helpers shared by the CLI's command modules."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bot.app import App, open_app
from bot.config import Settings, load_settings
from bot.errors import BotError
from bot.usertext import clean_data


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--db and --knowledge on every command that opens the app."""

    @click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="SQLite database file (env BOT_DB; default in the user data dir).")
    @click.option("--knowledge", "knowledge_path",
                  type=click.Path(file_okay=False, path_type=Path),
                  help="Knowledge folder (env BOT_KNOWLEDGE; default: the bundled knowledge/).")
    @functools.wraps(fn)
    def wrapper(*args: Any, db_path: Path | None, knowledge_path: Path | None,
                **kwargs: Any) -> Any:
        try:
            settings = load_settings({"db_path": db_path, "knowledge_path": knowledge_path})
            return fn(*args, settings=settings, **clean_data(kwargs))  # argv: bad bytes
        except BotError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def open_app_or_fail(settings: Settings) -> App:
    """Open the app; knowledge errors become one ClickException listing every problem."""
    try:
        return open_app(settings)
    except BotError as exc:
        raise click.ClickException(str(exc)) from None
