"""Polls through the console and the CLI, as a person would use them offline."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from bot.app import App
from bot.cli import cli
from bot.console import Console


def console(app: App, script: str) -> str:
    out = io.StringIO()
    Console(app, interactive=False, stdin=io.StringIO(script), stdout=out).run()
    return out.getvalue()


def test_console_poll_session(app: App) -> None:
    out = console(app, "poll ending\nvote 1\nas alice\nvote 2\nas bob\nvote gave-car\n"
                       "vote 7\nas bob\nretract\nvote 2\npoll results\n")
    assert "Poll #1 (open): What does the ending of the film mean to you?" in out
    assert "alice voted for: Kafuku gave Misaki the Saab" in out
    assert "! '7' is not an option in poll #1" in out
    assert "bob's vote on poll #1 was retracted." in out
    assert "███████░░░  67% (2) [gave-car] <- leading" in out
    assert "3 voters" in out


def test_console_shows_voters_of_public_polls_only(app: App) -> None:
    out = console(app, "poll ending\npoll voters\nas alice\nvote 2\nas bob\nvote 2\n"
                       "poll voters\nas you mod\npoll create Which car? | Saab | Volvo\n")
    assert "Nobody has voted in poll #1 yet." in out
    assert ("bob voted for: Kafuku gave Misaki the Saab\n"
            "Kafuku gave Misaki the Saab: alice, bob\n") in out
    app.db["polls"].update(2, {"anonymous": 1})
    out = console(app, "vote 1\npoll voters 2\n")
    assert "! Poll #2 is anonymous: nobody can see who voted for what." in out


def test_console_close_needs_moderator_or_creator(app: App) -> None:
    out = console(app, "poll ending\nas mallory\npoll close\nvote 1\nas you mod\npoll close\n"
                       "as mallory\nvote 2\npoll reopen\n")
    assert "! Only a moderator or the poll's creator can close this poll." in out
    assert "mallory voted for:" in out
    assert "Poll #1 (closed)" in out
    assert "! Poll #1 is closed, so it no longer accepts votes." in out
    assert out.count("Poll #1 is open again.") == 0


def test_cli_results_and_export(app: App, tmp_path: Path, pack: Path) -> None:
    console(app, "poll ending\nvote 1\nas alice\nvote 2\n")
    app.close()
    runner = CliRunner()
    args = ["--db", str(app.settings.db_path), "--knowledge", str(pack)]
    data = json.loads(runner.invoke(cli, ["poll", "results", "1", "--json", *args]).output)
    assert data["total_voters"] == 2
    assert [r["count"] for r in data["results"]] == [1, 1]
    assert data["leaders"] == ["new-life", "gave-car"]  # a tie is shown as a tie
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(cli, ["poll", "export", "1", *args]).output)))
    assert [r["option_id"] for r in rows] == ["new-life", "gave-car"]
    listed = runner.invoke(cli, ["poll", "list", *args]).output
    assert listed.startswith("#1\topen\t2 options")
    missing = runner.invoke(cli, ["poll", "results", "42", *args])
    assert missing.exit_code == 1 and "There is no poll #42" in missing.output


def test_asking_what_the_community_thinks_shows_live_standings(app: App) -> None:
    before = console(app, "what does everyone think the ending means\n")
    assert "What does the community think the ending means?" in before
    assert "Where the community stands" not in before  # no poll yet: nothing invented
    out = console(app, "poll ending\nas alice\nvote 2\nas bob\nvote 2\nas carol\nvote 1\n"
                       "what do people here think about the ending\n")
    standings = out.split("Where the community stands right now:")[1]
    assert "Kafuku gave Misaki the Saab" in standings
    assert "67% (2)" in standings and "3 voters" in standings
