"""Polls through the CLI, as a person would use them offline (the console's poll commands
are in test_console_polls.py)."""

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
