"""The question log: what was asked and where, never who, kept BOT_LOG_DAYS days."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answers import ask
from bot.app import App, open_app
from bot.cli import cli
from bot.config import Settings, parse_log_days
from bot.console import Console
from bot.errors import InvalidInput
from bot.moderators import Actor
from bot.retention import purge_question_log
from bot.store import iso

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def asked(app: App, text: str, days_ago: float) -> None:
    app.db["question_log"].insert({"asked_at": iso(NOW - timedelta(days=days_ago)),
                                   "source": "discord:1/2", "guild_id": 1, "text": text,
                                   "entry_id": None, "confidence": 0.0})


def texts(app: App) -> list[str]:
    return [r[0] for r in app.db.execute("SELECT text FROM question_log ORDER BY id")]


def test_purge_keeps_the_last_days_only(app: App) -> None:
    for n, days in enumerate((200, 91, 89, 1)):
        asked(app, f"q{n}", days)
    assert purge_question_log(app.db, 90, now=NOW) == 2
    assert texts(app) == ["q2", "q3"]
    assert purge_question_log(app.db, 90, now=NOW) == 0  # nothing left to purge
    assert purge_question_log(app.db, 1, now=NOW) == 1 and texts(app) == ["q3"]


@pytest.mark.parametrize("days", [0, -1, 36_501, 1.5, "90", True])
def test_purge_refuses_odd_numbers_of_days(app: App, days: object) -> None:
    asked(app, "kept", 400)
    with pytest.raises(InvalidInput, match="BOT_LOG_DAYS"):
        purge_question_log(app.db, days, now=NOW)  # type: ignore[arg-type]
    assert texts(app) == ["kept"]


def test_startup_purges_with_bot_log_days(settings: Settings) -> None:
    app = open_app(settings)
    now = datetime.now(UTC)
    for text, days in (("old", 10), ("new", 2)):
        app.db["question_log"].insert({"asked_at": iso(now - timedelta(days=days)),
                                       "source": "cli", "text": text, "confidence": 0.0})
    app.close()
    app = open_app(replace(settings, log_days=5))
    try:
        assert texts(app) == ["new"]
    finally:
        app.close()


@pytest.mark.parametrize(("raw", "days"), [("30", 30), (" 7 ", 7), ("36500", 36_500)])
def test_bot_log_days_from_the_environment(raw: str, days: int) -> None:
    assert parse_log_days(raw) == days
    shown = CliRunner().invoke(cli, ["config"], env={"BOT_LOG_DAYS": raw}).output
    assert f"--log-days, BOT_LOG_DAYS: {days} (from BOT_LOG_DAYS)" in shown
    assert "--log-days, BOT_LOG_DAYS: 90 (default)" in CliRunner().invoke(cli, ["config"]).output


@pytest.mark.parametrize("raw", ["abc", "0", "-3", "1.5", "99999999999", "٣"])
def test_bad_bot_log_days_is_one_clear_line(raw: str, tmp_path: Path, pack: Path) -> None:
    with pytest.raises(InvalidInput, match="a whole number of days"):
        parse_log_days(raw)
    args = ["poll", "list", "--db", str(tmp_path / "bot.db"), "--knowledge", str(pack)]
    for given, env, named in ((["--log-days", raw], {}, "--log-days"),
                              ([], {"BOT_LOG_DAYS": raw}, "BOT_LOG_DAYS")):
        result = CliRunner().invoke(cli, [*args, *given], env=env)
        assert result.exit_code == 2, result.output
        assert named in result.output and "a whole number of days" in result.output
        assert "Traceback" not in result.output


def test_the_log_names_nobody(app: App) -> None:
    """Where a question came from (server, channel, console, CLI), never who asked it."""
    out = StringIO()
    script = "as carol\nwhy is misaki in korea\nas dave mod\nis there a sequel\n"
    Console(app, interactive=False, stdin=StringIO(script), stdout=out).run()
    user = Actor(987_654_321_012_345_678, 42)
    ask(app, "who is the dog", source="discord:42/7", asker=user)
    rows = [tuple(r) for r in app.db.execute(
        "SELECT source, guild_id, text FROM question_log ORDER BY id")]
    assert rows == [("console", None, "why is misaki in korea"),
                    ("console", None, "is there a sequel"),
                    ("discord:42/7", 42, "who is the dog")]
    columns = [r[1] for r in app.db.execute("PRAGMA table_info(question_log)")]
    assert not {"user_id", "author_id", "user", "name"} & set(columns)
    dump = repr(app.db.execute("SELECT * FROM question_log").fetchall())
    assert "carol" not in dump and "dave" not in dump and str(user.user_id) not in dump
