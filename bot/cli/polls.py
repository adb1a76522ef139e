"""`poll` commands: list, results and export, straight from the database."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

import click

from bot import charts, poll_results, polls
from bot.cli.options import common_options, open_app_or_fail
from bot.config import Settings
from bot.text import render_tally


@click.group(name="poll")
def poll() -> None:
    """Interpretation polls: list, results, export."""


@poll.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include closed polls.")
@common_options
def list_command(show_all: bool, settings: Settings) -> None:
    """List open polls (newest first)."""
    app = open_app_or_fail(settings)
    try:
        found = polls.list_polls(app.db, status=None if show_all else "open")
        for p in found:
            click.echo(f"#{p.id}\t{p.status}\t{len(p.options)} options\t{p.question}")
        if not found:
            click.echo("no polls")
    finally:
        app.close()


@poll.command()
@click.argument("poll_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--png", "png", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Also save the results as a bar chart image ('-': PNG to stdout only).")
@common_options
def results(poll_id: int, as_json: bool, png: Path | None, settings: Settings) -> None:
    """Show a poll's results with bars, or as JSON; --png FILE saves a chart."""
    app = open_app_or_fail(settings)
    try:
        tally = poll_results.tally(app.db, poll_id)
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
    finally:
        app.close()


@poll.command()
@click.argument("poll_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="Output format.")
@common_options
def export(poll_id: int, fmt: str, settings: Settings) -> None:
    """Export ballots of a public poll (counts only for an anonymous one)."""
    app = open_app_or_fail(settings)
    try:
        rows = poll_results.export_ballots(app.db, poll_id)
    finally:
        app.close()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    click.echo(out.getvalue(), nl=False)


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
