"""Settings from the environment, an optional ``.env`` file and command-line overrides.

Read once, by the CLI, into a frozen dataclass; nothing is read at import time.
Precedence: CLI flag > environment variable > ``.env`` > default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.errors import InvalidInput

BUNDLED_KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
MAX_LOG_DAYS = 36_500  # a century: the question log's longest retention


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/drive-my-car-bot/bot.db`` (``~/.local/share/...`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "drive-my-car-bot" / "bot.db"


@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=default_db_path)
    knowledge_path: Path = BUNDLED_KNOWLEDGE
    token: str | None = field(default=None, repr=False)  # never printed
    api_base: str | None = None
    gateway_url: str | None = None
    mod_roles: frozenset[int] = frozenset()
    kb_guilds: frozenset[int] = frozenset()  # empty: moderators of every server may curate
    dev_guild: int | None = None
    log_level: str = "INFO"
    secret_path: Path | None = None  # the voter key file; None: voter.key next to the database
    log_days: int = 90  # days the question log is kept


ENV_NAMES = {
    "DISCORD_TOKEN": "token",
    "DISCORD_API_BASE": "api_base",
    "DISCORD_GATEWAY_URL": "gateway_url",
    "BOT_DB": "db_path",
    "BOT_KNOWLEDGE": "knowledge_path",
    "BOT_MOD_ROLES": "mod_roles",
    "BOT_KB_GUILDS": "kb_guilds",
    "BOT_DEV_GUILD": "dev_guild",
    "BOT_LOG_LEVEL": "log_level",
    "BOT_SECRET_FILE": "secret_path",
    "BOT_LOG_DAYS": "log_days",
}


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse ``KEY=value`` lines (``#`` comments, optional quotes); a missing file is empty."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def convert_setting(name: str, raw: str) -> Any:
    raw = raw.strip()
    if name in ("db_path", "knowledge_path", "secret_path"):
        return Path(raw).expanduser()
    if name in ("mod_roles", "kb_guilds"):
        try:
            return frozenset(int(part) for part in raw.replace(" ", "").split(",") if part)
        except ValueError:
            env, what = ("BOT_MOD_ROLES", "role") if name == "mod_roles" else (
                "BOT_KB_GUILDS", "server")
            raise InvalidInput(f"{env} must be comma-separated {what} ids, got {raw!r}") from None
    if name == "dev_guild":
        if not raw:
            return None
        if not raw.isdigit():
            raise InvalidInput(f"BOT_DEV_GUILD must be a guild id, got {raw!r}")
        return int(raw)
    if name == "log_days":
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_LOG_DAYS):
            raise InvalidInput(f"BOT_LOG_DAYS must be a whole number of days from 1 to "
                               f"{MAX_LOG_DAYS}, got {raw!r}")
        return int(raw)
    if name == "log_level":
        return raw.upper()
    return raw or None


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    dotenv: Path | None = Path(".env"),
) -> Settings:
    """Build Settings; ``overrides`` holds CLI flag values (``None`` means not given)."""
    sources = dict(read_dotenv(dotenv)) if dotenv else {}
    sources.update(os.environ if env is None else env)
    values: dict[str, Any] = {}
    for env_name, attr in ENV_NAMES.items():
        if env_name in sources and sources[env_name] != "":
            values[attr] = convert_setting(attr, sources[env_name])
    return with_overrides(replace(Settings(), **values), overrides or {})


def with_overrides(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    """Apply CLI flag values on top of ``settings`` (``None`` means the flag was not given)."""
    values = {attr: convert_setting(attr, value) if isinstance(value, str) else value
              for attr, value in overrides.items() if value is not None}
    return replace(settings, **values)
