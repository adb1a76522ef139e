"""`poll` commands: list, results and export, straight from the database.

The person running the CLI holds the database file: they act as the operator
(``moderators.OPERATOR``) and see every server's polls.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

import click

from bot import charts, poll_results, polls
from bot.app import App
from bot.cli.group import BotGroup
from bot.cli.options import pass_app
from bot.cli.types import POLL_ID
from bot.moderators import OPERATOR
from bot.text import render_tally


@click.group(name="poll", cls=BotGroup)
def poll() -> None:
    """Interpretation polls: list, results, export."""


@poll.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include closed polls.")
@pass_app
def list_command(app: App, show_all: bool) -> None:
    """List open polls (newest first)."""
    found = polls.list_polls(app.db, OPERATOR, status=None if show_all else "open")
    for p in found:
        click.echo(f"#{p.id}\t{p.status}\t{len(p.options)} options\t{p.question}")
    if not found:
        click.echo("no polls")


@poll.command()
@click.argument("poll_id", type=POLL_ID)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--png", "png", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Also save the results as a bar chart image ('-': PNG to stdout only).")
@pass_app
def results(app: App, poll_id: int, as_json: bool, png: Path | None) -> None:
    """Show a poll's results with bars, or as JSON; --png FILE saves a chart."""
    tally = poll_results.tally(app.db, OPERATOR, poll_id)
    if png is not None:
        _save_chart(charts.tally_png(tally), png)
        if str(png) == "-":
            return
    if not as_json:
        click.echo(render_tally(tally))
        return
    click.echo(json.dumps({
        "poll_id": tally.poll.id,
        "question": tally.poll.question,
        "status": tally.poll.status,
        "total_voters": tally.total_voters,
        "leaders": list(tally.leaders),
        "results": [{**asdict(r.option), "count": r.count, "percent": round(r.percent, 2)}
                    for r in tally.results],
    }, ensure_ascii=False, indent=2))


def _save_chart(data: bytes, path: Path) -> None:
    """Write the PNG (to stdout for '-'); a path that can't be written is one clear line."""
    if str(path) == "-":
        with click.open_file("-", "wb") as out:
            out.write(data)
        return
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    click.echo(f"chart saved to {path} ({len(data):,} bytes)", err=True)


@poll.command()
@click.argument("poll_id", type=POLL_ID)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"], case_sensitive=False),
              default="csv", show_default=True, help="Output format.")
@pass_app
def export(app: App, poll_id: int, fmt: str) -> None:
    """Export ballots of a public poll (counts only for an anonymous one)."""
    rows = poll_results.export_ballots(app.db, OPERATOR, poll_id)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    click.echo(out.getvalue(), nl=False)
