"""Settings: flag > environment > .env > default, through `python -m bot config`.

`config` takes every setting the bot has and prints each value with where it came from,
so these tests go through the same click options every command uses.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.bundled import knowledge_path
from bot.cli import cli
from bot.cli.options import APP_OPTIONS, DISCORD_OPTIONS, SettingOption
from bot.config import Settings, parse_fraction, parse_id, parse_ids, parse_shards, read_dotenv
from bot.errors import InvalidInput
from tests.conftest import REPO


def _envvars() -> list[str]:
    names = []
    for option in (*APP_OPTIONS, *DISCORD_OPTIONS):
        param = option(lambda: None).__click_params__[-1]  # type: ignore[attr-defined]
        assert isinstance(param, SettingOption)
        names += param.envvar_names()
    return names


ENVVARS = _envvars()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `config` in an empty folder (where .env is read from) with no setting in the env."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str] | None = None, dotenv: str | None = None
               ) -> Result:
        if dotenv is not None:
            (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
        clean: dict[str, str | None] = dict.fromkeys(ENVVARS)
        clean.update(env or {})
        return CliRunner().invoke(cli, ["config", *args], env=clean)

    return invoke


def _lines(result: Result) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    return {line.split(":", 1)[0]: line.split(": ", 1)[1] for line in result.output.splitlines()}


def test_every_setting_has_a_flag_and_a_variable(config) -> None:
    shown = _lines(config())
    assert set(shown) == {
        "--db, BOT_DB", "--knowledge, BOT_KNOWLEDGE", "--token, DISCORD_TOKEN",
        "--mod-roles, BOT_MOD_ROLES", "--kb-guilds, BOT_KB_GUILDS",
        "--dev-guild, BOT_DEV_GUILD", "--log-level, BOT_LOG_LEVEL", "--shards, BOT_SHARDS",
        "--api-base, DISCORD_API_BASE", "--gateway-url, DISCORD_GATEWAY_URL",
        "--secret-file, BOT_SECRET_FILE", "--log-days, BOT_LOG_DAYS"}
    assert shown["--knowledge, BOT_KNOWLEDGE"] == f"{knowledge_path()} (default)"
    assert shown["--secret-file, BOT_SECRET_FILE"] == "none (default)"  # voter.key by the db
    assert shown["--log-days, BOT_LOG_DAYS"] == "90 (default)"
    assert shown["--token, DISCORD_TOKEN"] == "not set (default)"
    assert shown["--log-level, BOT_LOG_LEVEL"] == "INFO (default)"


def test_precedence_flag_env_dotenv_default(config, tmp_path: Path) -> None:
    dotenv = ("# comment\nDISCORD_TOKEN='from-dotenv'\nBOT_DB=dotenv.db\n"
              "export BOT_MOD_ROLES=1, 2\nBOT_DEV_GUILD=42\nBOT_KB_GUILDS=7,8\n")
    shown = _lines(config("--db", "flag.db", env={"BOT_DB": "env.db"}, dotenv=dotenv))
    assert shown["--db, BOT_DB"] == "flag.db (from --db)"
    assert shown["--token, DISCORD_TOKEN"] == "set (hidden) (from DISCORD_TOKEN in .env)"
    assert shown["--mod-roles, BOT_MOD_ROLES"] == "1,2 (from BOT_MOD_ROLES in .env)"
    assert shown["--dev-guild, BOT_DEV_GUILD"] == "42 (from BOT_DEV_GUILD in .env)"
    assert shown["--kb-guilds, BOT_KB_GUILDS"] == "7,8 (from BOT_KB_GUILDS in .env)"
    shown = _lines(config(env={"BOT_DB": "env.db", "BOT_DEV_GUILD": "43"}))
    assert shown["--db, BOT_DB"] == "env.db (from BOT_DB)"
    assert shown["--dev-guild, BOT_DEV_GUILD"] == "43 (from BOT_DEV_GUILD)"
    assert shown["--token, DISCORD_TOKEN"] == "set (hidden) (from DISCORD_TOKEN in .env)"
    # an empty variable counts as unset, so .env (then the default) applies
    assert _lines(config(env={"BOT_DB": ""}))["--db, BOT_DB"] == "dotenv.db (from BOT_DB in .env)"


def test_dotenv_is_parsed_like_python_dotenv(tmp_path: Path) -> None:
    """The hand-written parser kept inline comments in the token."""
    path = tmp_path / ".env"
    path.write_text(
        'DISCORD_TOKEN=abc.def  # prod bot\n'
        "export BOT_LOG_LEVEL=debug\n"
        'BOT_DB="/srv/bot data/bot.db"  # quoted, with a space\n'
        "BOT_KNOWLEDGE='/srv/kb#1'\n"
        "BOT_MOD_ROLES=\n"
        "JUST_A_NAME\n", encoding="utf-8")
    assert read_dotenv(path) == {"DISCORD_TOKEN": "abc.def", "BOT_LOG_LEVEL": "debug",
                                 "BOT_DB": "/srv/bot data/bot.db", "BOT_KNOWLEDGE": "/srv/kb#1"}
    assert read_dotenv(tmp_path / "missing") == {}
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00BOT_DB=x")
    assert read_dotenv(tmp_path / "binary") == {}


def test_token_is_never_printed(config) -> None:
    result = config(env={"DISCORD_TOKEN": "sekrit.token"})
    assert "sekrit" not in result.output
    assert "sekrit" not in repr(Settings(token="sekrit"))


def test_endpoint_overrides(config) -> None:
    shown = _lines(config(env={"DISCORD_API_BASE": "http://127.0.0.1:1/api/v10",
                               "DISCORD_GATEWAY_URL": "ws://127.0.0.1:1/gateway"}))
    assert shown["--api-base, DISCORD_API_BASE"].startswith("http://127.0.0.1:1/api/v10 ")
    assert shown["--gateway-url, DISCORD_GATEWAY_URL"].startswith("ws://127.0.0.1:1/gateway ")


@pytest.mark.parametrize(("flag", "name", "value", "message"), [
    ("--mod-roles", "BOT_MOD_ROLES", "admins", "must be comma-separated role ids"),
    ("--kb-guilds", "BOT_KB_GUILDS", "1,main", "must be comma-separated server ids"),
    ("--dev-guild", "BOT_DEV_GUILD", "my-server", "must be a server id"),
    ("--shards", "BOT_SHARDS", "4.5", "must be 'auto' or a number of shards"),
    ("--log-level", "BOT_LOG_LEVEL", "LOUD", "'LOUD' is not one of"),
])
def test_bad_values_name_what_the_user_typed(config, flag: str, name: str, value: str,
                                             message: str) -> None:
    by_flag = config(flag, value)
    assert by_flag.exit_code == 2
    assert f"Error: Invalid value for '{flag}': " in by_flag.output
    assert message in by_flag.output and name not in by_flag.output

    by_env = config(env={name: value})
    assert by_env.exit_code == 2
    assert by_env.output.splitlines() == [
        f"Error: Invalid value for {name}: {by_env.output.split(': ', 2)[2].strip()}"]
    assert message in by_env.output and flag not in by_env.output

    by_dotenv = config(dotenv=f"{name}={value}\n")
    assert by_dotenv.exit_code == 2
    assert by_dotenv.output.startswith(f"Error: Invalid value for {name} in .env: ")
    assert len(by_dotenv.output.splitlines()) == 1


def test_a_setting_only_run_uses_does_not_break_other_commands(
        tmp_path: Path, pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BOT_MOD_ROLES=abc gave a traceback in `kb check`; now only `run` and `config` read it."""
    monkeypatch.chdir(tmp_path)  # no .env with a token: `run` must stop before connecting
    runner = CliRunner()
    env = {"BOT_MOD_ROLES": "abc", "BOT_SHARDS": "many", "BOT_LOG_LEVEL": "LOUD",
           "DISCORD_TOKEN": None}
    checked = runner.invoke(cli, ["kb", "check", str(pack)], env=env)
    assert checked.exit_code == 0, checked.output
    run = runner.invoke(cli, ["run", "--db", str(tmp_path / "r.db")], env=env)
    assert run.exit_code == 2
    assert "Invalid value for BOT_" in run.output
    assert run.exception is None or isinstance(run.exception, SystemExit)


def test_shards() -> None:
    assert parse_shards("auto") == "auto" and parse_shards(" AUTO ") == "auto"
    assert parse_shards("4") == 4
    for bad in ("0", "-1", "4.0", "1e3", "²", "١٢", "10001", ""):
        with pytest.raises(InvalidInput, match="must be 'auto' or a number of shards"):
            parse_shards(bad)


def test_ids_and_fractions() -> None:
    assert parse_ids(" 1, 2,,3 ", "role") == frozenset({1, 2, 3})
    assert parse_ids("", "role") == frozenset()
    assert parse_id("18446744073709551615") == 2**64 - 1
    for bad in ("0", "18446744073709551616", "-5", "1e5", "١٢"):
        with pytest.raises(InvalidInput):
            parse_id(bad)
    assert parse_fraction("0.9") == 0.9 and parse_fraction("85%") == 0.85
    for bad in ("nan", "inf", "-0.1", "1.01", "ninety", "%"):
        with pytest.raises(InvalidInput, match="must be a number from 0 to 1"):
            parse_fraction(bad)


def test_settings_defaults_read_nothing_at_import() -> None:
    """The default knowledge folder is the checkout's knowledge/ in an editable install."""
    assert Settings().knowledge_path == REPO / "knowledge"
    assert os.fspath(Settings().db_path).endswith(os.path.join("drive-my-car-bot", "bot.db"))
