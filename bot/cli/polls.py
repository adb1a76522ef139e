"""`poll` commands: list, results and export, straight from the database."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

import click

from bot import poll_results, polls
from bot.app import App
from bot.cli.group import BotGroup
from bot.cli.options import pass_app
from bot.cli.types import POLL_ID
from bot.text import render_tally


@click.group(name="poll", cls=BotGroup)
def poll() -> None:
    """Interpretation polls: list, results, export."""


@poll.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include closed polls.")
@pass_app
def list_command(app: App, show_all: bool) -> None:
    """List open polls (newest first)."""
    found = polls.list_polls(app.db, status=None if show_all else "open")
    for p in found:
        click.echo(f"#{p.id}\t{p.status}\t{len(p.options)} options\t{p.question}")
    if not found:
        click.echo("no polls")


@poll.command()
@click.argument("poll_id", type=POLL_ID)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def results(app: App, poll_id: int, as_json: bool) -> None:
    """Show a poll's results with bars, or as JSON."""
    tally = poll_results.tally(app.db, poll_id)
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


@poll.command()
@click.argument("poll_id", type=POLL_ID)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"], case_sensitive=False),
              default="csv", show_default=True, help="Output format.")
@pass_app
def export(app: App, poll_id: int, fmt: str) -> None:
    """Export ballots of a public poll (counts only for an anonymous one)."""
    rows = poll_results.export_ballots(app.db, poll_id)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    click.echo(out.getvalue(), nl=False)
