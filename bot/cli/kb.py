"""`kb` commands: check, and the moderator's tools (export, import, reload, audit...).

The person running the CLI owns the bot, so curation commands act as a moderator with
user id 0 (``curation.CLI_ACTOR``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from bot.app import App, open_app
from bot.audit import audit_log
from bot.cli.options import common_options, open_app_or_fail
from bot.config import Settings, load_settings
from bot.console_kb import format_audit, format_entry, format_entry_rows, format_unanswered
from bot.curation import get_entry, list_entries, unanswered_questions
from bot.errors import KnowledgeError
from bot.exchange import export_entries, import_entries, reload_knowledge
from bot.knowledge import load_knowledge
from bot.moderators import CLI_ACTOR


@click.group()
def kb() -> None:
    """Check and manage the knowledge base."""


def _report(exc: KnowledgeError) -> None:
    for problem in exc.problems:
        click.echo(problem, err=True)
    click.echo(f"{len(exc.problems)} problem(s) found", err=True)
    sys.exit(1)


@contextmanager
def _app(settings: Settings) -> Iterator[App]:
    app = open_app_or_fail(settings)
    try:
        yield app
    finally:
        app.close()


@kb.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
def check(path: Path | None) -> None:
    """Validate knowledge files; print every problem as path:line: message."""
    root = path or load_settings().knowledge_path
    try:
        knowledge = load_knowledge(root)
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(exc.problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo(f"ok: {knowledge.summary()}")


@kb.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--all", "everything", is_flag=True,
              help="Write every entry, not only the moderators' ones.")
@click.option("--force", is_flag=True,
              help="Also replace files changed since the bot last loaded or exported them.")
@common_options
def export_command(directory: Path, everything: bool, force: bool, settings: Settings) -> None:
    """Write moderator entries as DIRECTORY/<film>/entries/<id>.yaml.

    Each file's own text is kept and only changed fields are rewritten. One line per file:
    new, updated, unchanged, or conflict (changed by someone else since the bot loaded or
    exported it: left alone, exit code 1). Export into the knowledge folder, review the
    diff and commit; delete the files listed as "to delete" (entries moderators removed).
    """
    with _app(settings) as app:
        result = export_entries(app, directory, only_moderator=not everything, force=force)
    for file in result.files:
        click.echo(f"{file.status} {file.path}" + (f": {file.note}" if file.note else ""))
    for path in result.to_delete:
        click.echo(f"to delete: {path}")
    if not result.files and not result.to_delete:
        click.echo("nothing to export: no moderator changes")
    if result.conflicts:
        sys.exit(1)


@kb.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@common_options
def import_command(directory: Path, settings: Settings) -> None:
    """Add or update entries from DIRECTORY/<film>/entries/*.yaml as moderator entries.

    Files are validated like the knowledge loader does; on any problem nothing is
    imported and every problem is listed as path:line: message.
    """
    with _app(settings) as app:
        for line in import_entries(app, CLI_ACTOR, directory):
            click.echo(line)


@kb.command()
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1),
              help="Look this many days back.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(min=1),
              help="Show at most this many questions.")
@common_options
def unanswered(days: int, limit: int, settings: Settings) -> None:
    """The questions the bot abstained on most often: what the knowledge base lacks."""
    with _app(settings) as app:
        click.echo(format_unanswered(unanswered_questions(app, days=days, limit=limit)))


@kb.command("list")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1),
              help="Page number (10 entries a page).")
@common_options
def list_command(page: int, settings: Settings) -> None:
    """List the entries the bot answers from, marking moderators' versions."""
    with _app(settings) as app:
        rows, pages = list_entries(app, page)
    click.echo(format_entry_rows(rows, page, pages))


@kb.command()
@click.argument("entry_id")
@common_options
def show(entry_id: str, settings: Settings) -> None:
    """Print one entry as its YAML file."""
    with _app(settings) as app:
        entry = get_entry(app, entry_id)
        moderator = app.db.execute(
            "SELECT 1 FROM mod_entries WHERE id = ? AND data IS NOT NULL", [entry.id]
        ).fetchone() is not None
    click.echo(format_entry(entry, moderator))


@kb.command()
@click.argument("entry_id", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="Show at most this many changes.")
@common_options
def audit(entry_id: str | None, limit: int, settings: Settings) -> None:
    """Who changed what, newest first (for one entry when ENTRY_ID is given)."""
    with _app(settings) as app:
        click.echo(format_audit(audit_log(app, entry_id, limit)))


@kb.command()
@common_options
def reload(settings: Settings) -> None:
    """Re-read the knowledge files now; list every problem (exit 1) and keep the old index."""
    try:
        app = open_app(settings)
    except KnowledgeError as exc:
        _report(exc)
    try:
        click.echo(reload_knowledge(app))
    except KnowledgeError as exc:
        _report(exc)
    finally:
        app.close()
