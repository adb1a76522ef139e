"""click types for the numbers, ids and choices the CLI accepts: each refuses a bad value
with one message saying what is expected (click adds which flag or argument it was)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from bot.config import (
    LOG_LEVELS,
    parse_fraction,
    parse_id,
    parse_ids,
    parse_log_days,
    parse_shards,
)
from bot.errors import InvalidInput
from bot.usernumbers import shown, whole_number


class Parsed(click.ParamType):
    """A click type over one of ``bot.config``'s parsers (their message is the error)."""

    def __init__(self, name: str, parse: Callable[[str], Any]) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except InvalidInput as exc:
            self.fail(str(exc), param, ctx)


class RowId(click.ParamType):
    """A number the database gives things (poll #3): a positive whole number SQLite can hold."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.name = f"{what}_number"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or not text.strip("0"):
            self.fail(f"{shown(value)} is not a {self.what} number (they are 1, 2, 3...)",
                      param, ctx)
        number = whole_number(text, MAX_ROW_ID)
        if number is None:
            self.fail(f"there is no {self.what} #{shown(text)[1:-1]}", param, ctx)
        return number


MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer
POLL_ID = RowId("poll")
ROLE_IDS = Parsed("ROLE_IDS", functools.partial(parse_ids, what="role"))
SERVER_IDS = Parsed("SERVER_IDS", functools.partial(parse_ids, what="server"))
SERVER_ID = Parsed("SERVER_ID", functools.partial(parse_id, what="server"))
SHARDS = Parsed("auto|N", parse_shards)
FRACTION = Parsed("0-1", parse_fraction)
LOG_DAYS = Parsed("DAYS", parse_log_days)
LOG_LEVEL = click.Choice(LOG_LEVELS, case_sensitive=False)
