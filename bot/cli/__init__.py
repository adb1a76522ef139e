"""Command-line interface: a thin click group over the domain core.

Every command builds ``Settings`` once, opens the ``App`` and calls core functions;
domain errors become ``ClickException`` so users see one clear line, not a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from bot import __version__
from bot.answers import ask as ask_question
from bot.cli.db import db
from bot.cli.kb import kb
from bot.cli.options import common_options, open_app_or_fail
from bot.cli.polls import poll
from bot.config import BUNDLED_KNOWLEDGE, Settings, with_overrides
from bot.evaluate import evaluate, format_report
from bot.text import render_answer

DEFAULT_EVAL = BUNDLED_KNOWLEDGE.parent / "tests" / "data" / "questions.yaml"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drive-my-car-bot")
def cli() -> None:
    """A Discord bot that explains the ending of Drive My Car from a curated knowledge base."""


@cli.command()
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--batch", type=click.File("r", encoding="utf-8", errors="replace"),
              help="Answer one question per line of FILE ('-' for stdin), one JSON line each.")
@click.option("--spoilers", is_flag=True, help="Show last-act answers without spoiler markers.")
@common_options
def ask(question: tuple[str, ...], as_json: bool, batch: Any, spoilers: bool,
        settings: Settings) -> None:
    """Answer a question about the film, as the bot would in a channel."""
    if not question and batch is None:
        raise click.UsageError("give a QUESTION, or --batch FILE")
    app = open_app_or_fail(settings)
    try:
        if batch is not None:
            for line in batch:
                if line.strip():
                    answer = ask_question(app, line.rstrip("\n"), source="cli:batch")
                    click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
            return
        answer = ask_question(app, " ".join(question), source="cli")
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        else:
            click.echo(render_answer(answer, show_spoilers=spoilers))
    finally:
        app.close()


@cli.command()
@common_options
def console(settings: Settings) -> None:
    """Talk to the bot in the terminal, as in a channel (help lists the commands)."""
    from bot.console import Console

    app = open_app_or_fail(settings)
    sys.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]  # bytes that are not UTF-8
    try:
        Console(app, interactive=sys.stdin.isatty()).run()
    finally:
        app.close()


@cli.command(name="eval")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path))
@click.option("--min-recall", type=float, help="Exit 1 when recall@1 is below this (0-1).")
@click.option("--min-abstention", type=float,
              help="Exit 1 when abstention accuracy is below this (0-1).")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@common_options
def eval_command(file: Path | None, min_recall: float | None, min_abstention: float | None,
                 as_json: bool, settings: Settings) -> None:
    """Measure answers on a question set (YAML list of {q, expect: id | abstain})."""
    path = file or DEFAULT_EVAL
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    app = open_app_or_fail(settings)
    try:
        report = evaluate(app, cases)
    finally:
        app.close()
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_report(report))
    failed = (min_recall is not None and report.recall_at_1 < min_recall) or (
        min_abstention is not None and report.abstention_accuracy < min_abstention
    )
    if failed:
        raise click.ClickException("below the required bar")


@cli.command()
@click.option("--token", help="Bot token (prefer env DISCORD_TOKEN or .env).")
@click.option("--sync", is_flag=True, help="Sync slash commands once at startup.")
@click.option("--shards", help="'auto' to run an AutoShardedBot.")
@click.option("--mod-roles", help="Comma-separated moderator role ids (env BOT_MOD_ROLES).")
@click.option("--kb-guilds", help="Comma-separated ids of the servers whose moderators may "
              "curate the shared knowledge base (env BOT_KB_GUILDS; default: every server).")
@click.option("--dev-guild", help="Guild id for fast command sync (env BOT_DEV_GUILD).")
@click.option("--log-level", help="DEBUG, INFO, WARNING... (env BOT_LOG_LEVEL).")
@common_options
def run(token: str | None, sync: bool, shards: str | None, mod_roles: str | None,
        kb_guilds: str | None, dev_guild: str | None, log_level: str | None,
        settings: Settings) -> None:
    """Run the Discord bot (needs DISCORD_TOKEN)."""
    settings = with_overrides(settings, {"token": token, "mod_roles": mod_roles,
                                         "kb_guilds": kb_guilds, "dev_guild": dev_guild,
                                         "log_level": log_level})
    if not settings.token:
        click.echo("error: no Discord token: set DISCORD_TOKEN (environment or .env)", err=True)
        sys.exit(2)
    from bot.cogs.runner import run_bot

    sys.exit(run_bot(settings, sync=sync, sharded=shards == "auto"))


cli.add_command(kb)
cli.add_command(poll)
cli.add_command(db)
