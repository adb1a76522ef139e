"""Settings (a frozen dataclass) and the rules each setting's value must follow.

The CLI fills Settings from flags, environment variables and a ``.env`` file: click
options with ``envvar=`` in ``bot/cli/options.py`` are the one place for their names and
defaults, and the parsers below turn text into values (or say what is wrong). Everything
else takes Settings as given. Nothing is read at import time.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.bundled import knowledge_path as bundled_knowledge
from bot.errors import InvalidInput
from bot.usernumbers import shown, whole_number

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_SHARDS = 10_000
MAX_SNOWFLAKE = 2**64 - 1  # Discord ids are unsigned 64-bit numbers
MAX_LOG_DAYS = 36_500  # a century: the question log's longest retention


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/drive-my-car-bot/bot.db`` (``~/.local/share/...`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "drive-my-car-bot" / "bot.db"


@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=default_db_path)
    knowledge_path: Path = field(default_factory=bundled_knowledge)
    token: str | None = field(default=None, repr=False)  # never printed
    api_base: str | None = None
    gateway_url: str | None = None
    mod_roles: frozenset[int] = frozenset()
    kb_guilds: frozenset[int] = frozenset()  # empty: moderators of every server may curate
    dev_guild: int | None = None
    log_level: str = "INFO"
    shards: int | str | None = None  # None: one connection; "auto" or N: discord.py shards
    secret_path: Path | None = None  # the voter key file; None: voter.key next to the database
    log_days: int = 90  # days the question log is kept


def read_dotenv(path: Path) -> dict[str, str]:
    """The ``KEY=value`` pairs of a ``.env`` file (python-dotenv: quotes, ``export``,
    inline comments); a missing or unreadable file, and keys without a value, count as unset.
    """
    try:
        if not path.is_file():
            return {}
        values = dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return {key: value for key, value in values.items() if value}


def parse_id(raw: str, what: str = "id") -> int:
    """One Discord id (a snowflake such as 123456789012345678)."""
    number = whole_number(raw, MAX_SNOWFLAKE)
    if not number:
        raise InvalidInput(f"must be a {what} id (a number such as 123456789012345678), "
                           f"got {shown(raw)}")
    return number


def parse_ids(raw: str, what: str = "id") -> frozenset[int]:
    """Comma-separated Discord ids; spaces and empty items are ignored."""
    parts = [part.strip() for part in raw.split(",")]
    try:
        return frozenset(parse_id(part, what) for part in parts if part)
    except InvalidInput:
        raise InvalidInput(f"must be comma-separated {what} ids (numbers such as "
                           f"123456789012345678), got {shown(raw)}") from None


def parse_shards(raw: str) -> int | str:
    """``auto`` (discord.py asks Discord how many) or a number of shards."""
    text = raw.strip().lower()
    if text == "auto":
        return "auto"
    number = whole_number(text, MAX_SHARDS)
    if number:
        return number
    raise InvalidInput(f"must be 'auto' or a number of shards from 1 to {MAX_SHARDS}, "
                       f"got {shown(raw)}")


def parse_log_days(raw: str) -> int:
    """How many days the question log is kept: a whole number from 1 to a century."""
    number = whole_number(raw, MAX_LOG_DAYS)
    if not number:
        raise InvalidInput(f"must be a whole number of days from 1 to {MAX_LOG_DAYS}, "
                           f"got {shown(raw)}")
    return number


def parse_fraction(raw: str) -> float:
    """A share from 0 to 1, such as 0.9 (a percentage such as 90% is accepted too)."""
    text = raw.strip()
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # also false for nan
        raise InvalidInput(f"must be a number from 0 to 1 such as 0.9, got {raw!r}")
    return value
