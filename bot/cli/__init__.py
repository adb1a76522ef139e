"""Command-line interface: a thin click group over the domain core.

How a command is written (``bot/cli/options.py`` and ``bot/cli/group.py``):

- ``@pass_app`` gives a command ``--db`` and ``--knowledge`` (flags, ``BOT_DB`` /
  ``BOT_KNOWLEDGE``, or ``.env``) and calls it with the ``App`` first; the App is opened
  for that one command and closed when it ends (``ctx.with_resource``).
- A command that needs other settings but no App (``run``, ``config``) puts their options
  on with ``@with_options(...)`` and takes ``settings`` first through ``@pass_settings``.
  A new setting is one ``setting(...)`` option in ``options.py`` (flag, variable, default,
  help) plus a ``Settings`` field; add it to ``APP_OPTIONS`` if every App needs it.
- Numbers and choices get a click type with limits (``IntRange``, ``Choice``, the types
  in ``types.py``), so a bad value is one line naming the flag or variable used;
  ``tests/test_cli_options.py`` finds every such option by itself and feeds it hostile
  values.
- Commands call core functions and raise nothing themselves: ``BotGroup`` shows any
  ``BotError`` (or ``OSError``) as one ``Error:`` line (exit code 1), and gives every
  command it holds, including one added with ``add_command``, its whole first docstring
  line in ``--help``.

Example::

    @kb.command("list")
    @click.option("--page", type=click.IntRange(min=1), default=1)
    @pass_app
    def list_command(app: App, page: int) -> None:
        \"\"\"One line that says what it is for (shown whole in the group's --help).\"\"\"
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from bot import __version__
from bot.answers import ask as ask_question
from bot.app import App
from bot.cli.dashboard import dashboard
from bot.cli.db import db
from bot.cli.group import BotGroup
from bot.cli.kb import kb
from bot.cli.options import (
    APP_OPTIONS,
    DISCORD_OPTIONS,
    SettingError,
    opened_app,
    pass_app,
    pass_settings,
    with_options,
)
from bot.cli.polls import poll
from bot.cli.settings import config
from bot.cli.types import FRACTION
from bot.config import Settings
from bot.errors import BotError
from bot.evaluate import default_sets, evaluate, format_report, load_cases
from bot.moderators import OPERATOR
from bot.text import cli_hints, render_answer


@click.group(cls=BotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drive-my-car-bot")
def cli() -> None:
    """A Discord bot that explains the ending of Drive My Car from a curated knowledge base.

    Every command works offline except run. Settings come from flags, environment
    variables or a .env file in the current folder (see each command's --help).
    """


@cli.command()
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--batch", type=click.File("r", encoding="utf-8", errors="replace"),
              help="Answer each line of FILE ('-' for stdin): one JSON line per input line, "
                   "blank lines included.")
@click.option("--spoilers", is_flag=True, help="Show last-act answers without spoiler markers.")
@pass_app
def ask(app: App, question: tuple[str, ...], as_json: bool, batch: Any, spoilers: bool) -> None:
    """Answer a question about the film, as the bot would in a channel."""
    if not question and batch is None:
        raise click.UsageError("give a QUESTION, or --batch FILE")
    if batch is not None:
        for line in batch:
            click.echo(json.dumps(_batch_answer(app, line.rstrip("\r\n")), ensure_ascii=False))
        return
    answer = ask_question(app, " ".join(question), source="cli", asker=OPERATOR)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        prog = click.get_current_context().find_root().info_name or "dmc-bot"
        width = min(shutil.get_terminal_size().columns, 100) - 1 if sys.stdout.isatty() else None
        click.echo(render_answer(answer, show_spoilers=spoilers, width=width,
                                 hints=cli_hints(prog)))


def _batch_answer(app: App, line: str) -> dict[str, Any]:
    """One input line's JSON: a blank line is answered (not logged), and an error is kept in
    its line, so output line N is always input line N."""
    try:
        return ask_question(app, line, source="cli:batch", log=bool(line.strip()),
                            asker=OPERATOR).to_dict()
    except BotError as exc:
        return {"question": line, "answered": False, "error": str(exc)}


@cli.command()
@click.option("--stop-on-error", is_flag=True,
              help="In a script, stop at the first error ('!' line) with exit code 1; "
                   "without it the script goes on, and the exit code is 0 at its end.")
@with_options(*APP_OPTIONS)
@pass_settings
def console(settings: Settings, stop_on_error: bool) -> None:
    """Talk to the bot in the terminal, as in a channel (help lists the commands)."""
    from bot.console import Console
    from bot.console_session import LOG_NAME, log_to_file

    sys.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]  # bytes that are not UTF-8
    sys.stdout.reconfigure(errors="replace")  # type: ignore[union-attr]  # a terminal that isn't
    ctx = click.get_current_context()
    # log lines go to a file from before the App opens (it may warn), never onto the screen
    log_path = settings.db_path.parent / LOG_NAME
    ctx.with_resource(log_to_file(log_path))
    app = ctx.with_resource(opened_app(settings))
    session = Console(app, interactive=sys.stdin.isatty(), stop_on_error=stop_on_error,
                      log_path=log_path)
    try:
        code = session.run()
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    if code:
        ctx.exit(code)


@cli.command(name="eval")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False,
                                                   path_type=Path))
@click.option("--min-recall", type=FRACTION,
              help="Exit 1 when recall@1 in scope is below this (0-1).")
@click.option("--min-abstention", type=FRACTION,
              help="Exit 1 when abstention on out-of-scope questions is below this (0-1).")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@pass_app
def eval_command(app: App, files: tuple[Path, ...], min_recall: float | None,
                 min_abstention: float | None, as_json: bool) -> None:
    """Measure answers per kind of question on question sets (FILE...).

    Without FILE, the dev sets that ship with the bot are used (never a *-test split).
    """
    paths = list(files) or default_sets()
    try:
        cases = [case for path in paths for case in load_cases(path)]
    except BotError as exc:
        raise click.ClickException(str(exc)) from None
    report = evaluate(app, cases, [p.name for p in paths])
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_report(report))
    failed = (min_recall is not None and report.recall_at_1 < min_recall) or (
        min_abstention is not None and report.abstention < min_abstention
    )
    if failed:
        raise click.ClickException("below the required bar")


@cli.command()
@click.option("--sync", is_flag=True, help="Sync slash commands once at startup.")
@with_options(*DISCORD_OPTIONS, *APP_OPTIONS)
@pass_settings
def run(settings: Settings, sync: bool) -> None:
    """Run the Discord bot (needs a token: DISCORD_TOKEN in the environment or .env)."""
    if not settings.token:
        raise SettingError("no Discord token: set DISCORD_TOKEN (in the environment or .env) "
                           "or pass --token")
    from bot.cogs.runner import run_bot

    sys.exit(run_bot(settings, sync=sync))


cli.add_command(kb)
cli.add_command(poll)
cli.add_command(config)
cli.add_command(dashboard)
cli.add_command(db)
