"""Settings: flag > environment > .env > default; bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import BUNDLED_KNOWLEDGE, load_settings
from bot.errors import InvalidInput


def test_precedence_flag_env_dotenv_default(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nDISCORD_TOKEN='from-dotenv'\nBOT_DB=dotenv.db\n"
                      "export BOT_MOD_ROLES=1, 2\nBOT_DEV_GUILD=42\nBOT_KB_GUILDS=7,8\n",
                      encoding="utf-8")
    settings = load_settings({"db_path": "flag.db"}, env={"BOT_DB": "env.db"}, dotenv=dotenv)
    assert settings.db_path == Path("flag.db")
    assert settings.token == "from-dotenv"
    assert settings.mod_roles == frozenset({1, 2})
    assert settings.dev_guild == 42 and settings.kb_guilds == frozenset({7, 8})
    assert settings.knowledge_path == BUNDLED_KNOWLEDGE
    assert load_settings(env={"BOT_DB": "env.db"}, dotenv=dotenv).db_path == Path("env.db")


def test_token_is_never_in_the_repr(tmp_path: Path) -> None:
    settings = load_settings(env={"DISCORD_TOKEN": "sekrit"}, dotenv=None)
    assert settings.token == "sekrit" and "sekrit" not in repr(settings)


def test_endpoint_overrides(tmp_path: Path) -> None:
    settings = load_settings(env={"DISCORD_API_BASE": "http://127.0.0.1:1/api/v10",
                                  "DISCORD_GATEWAY_URL": "ws://127.0.0.1:1/gateway"},
                             dotenv=None)
    assert settings.api_base == "http://127.0.0.1:1/api/v10"
    assert settings.gateway_url == "ws://127.0.0.1:1/gateway"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("BOT_MOD_ROLES", "admins", "BOT_MOD_ROLES must be comma-separated role ids"),
    ("BOT_KB_GUILDS", "1,main", "BOT_KB_GUILDS must be comma-separated server ids"),
    ("BOT_DEV_GUILD", "my-server", "BOT_DEV_GUILD must be a guild id"),
])
def test_bad_values_are_clear(name: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_settings(env={name: value}, dotenv=None)
