"""`kb` commands: check, and the moderator's tools (export, import, reload, audit...).

The person running the CLI owns the bot, so curation commands act as a moderator with
user id 0 who sees every server's data (``moderators.OPERATOR``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.app import App
from bot.audit import audit_log
from bot.cli.group import BotGroup, knowledge_report, relative_problems, shown_path
from bot.cli.options import knowledge_option, pass_app, pass_settings, with_options
from bot.config import Settings
from bot.console_kb import format_audit, format_entry, format_entry_rows, format_unanswered
from bot.curation import get_entry, list_entries, unanswered_questions
from bot.errors import KnowledgeError
from bot.exchange import export_entries, import_entries, reload_knowledge
from bot.knowledge_check import check_path
from bot.moderators import OPERATOR

MAX_DAYS = 36_500  # a hundred years: the question log never goes further back
MAX_LIMIT = 1_000
PER_PAGE = 10


@click.group(cls=BotGroup)
def kb() -> None:
    """Check and manage the knowledge base."""


@kb.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@with_options(knowledge_option)
@pass_settings
def check(settings: Settings, path: Path | None) -> None:
    """Validate the knowledge base, one film's folder, or one file (exit 1 on any problem).

    PATH defaults to the knowledge folder (--knowledge). Every problem is printed as
    path:line: message, with the path relative to the current folder.
    """
    result = check_path(path or settings.knowledge_path)
    if result.problems:
        for problem in relative_problems(result.problems, result.root):
            click.echo(problem, err=True)
        count = len(result.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
        sys.exit(1)
    summary = f": {result.summary}" if result.summary else ""
    click.echo(f"ok: {shown_path(result.target)}{summary}")


@kb.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--all", "everything", is_flag=True,
              help="Write every entry, not only the moderators' ones.")
@click.option("--force", is_flag=True,
              help="Also replace files changed since the bot last loaded or exported them.")
@pass_app
def export_command(app: App, directory: Path, everything: bool, force: bool) -> None:
    """Write moderator entries as DIRECTORY/<film>/entries/<id>.yaml.

    Each file's own text is kept and only changed fields are rewritten. One line per file:
    new, updated, unchanged, or conflict (changed by someone else since the bot loaded or
    exported it: left alone, exit code 1). Export into the knowledge folder, review the
    diff and commit; delete the files listed as "to delete" (entries moderators removed).
    """
    result = export_entries(app, OPERATOR, directory, only_moderator=not everything,
                            force=force)
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
@pass_app
def import_command(app: App, directory: Path) -> None:
    """Add or update entries from DIRECTORY/<film>/entries/*.yaml as moderator entries.

    Files are validated like the knowledge loader does; on any problem nothing is
    imported and every problem is listed as path:line: message.
    """
    for line in import_entries(app, OPERATOR, directory):
        click.echo(line)


@kb.command()
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, MAX_DAYS),
              help="Look this many days back.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, MAX_LIMIT),
              help="Show at most this many questions.")
@pass_app
def unanswered(app: App, days: int, limit: int) -> None:
    """The questions the bot abstained on most often: what the knowledge base lacks."""
    click.echo(format_unanswered(unanswered_questions(app, OPERATOR, days=days, limit=limit)))


@kb.command("list")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1),
              help=f"Page number ({PER_PAGE} entries a page).")
@pass_app
def list_command(app: App, page: int) -> None:
    """List the entries the bot answers from, marking moderators' versions."""
    # past the last page there is nothing to show; the cap keeps the query's offset small
    rows, pages = list_entries(app, min(page, 10**9), PER_PAGE)
    if page > pages:
        there = "there is 1 page" if pages == 1 else f"there are {pages} pages"
        raise click.BadParameter(f"{page} is past the last page: {there} "
                                 f"({PER_PAGE} entries a page).", param_hint="'--page'")
    click.echo(format_entry_rows(rows, page, pages))


@kb.command()
@click.argument("entry_id")
@pass_app
def show(app: App, entry_id: str) -> None:
    """Print one entry as its YAML file."""
    entry = get_entry(app, entry_id)
    moderator = app.db.execute(
        "SELECT 1 FROM mod_entries WHERE id = ? AND data IS NOT NULL", [entry.id]
    ).fetchone() is not None
    click.echo(format_entry(entry, moderator))


@kb.command()
@click.argument("entry_id", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, MAX_LIMIT),
              help="Show at most this many changes.")
@pass_app
def audit(app: App, entry_id: str | None, limit: int) -> None:
    """Who changed what, newest first (for one entry when ENTRY_ID is given)."""
    click.echo(format_audit(audit_log(app, OPERATOR, entry_id, limit)))


@kb.command()
@pass_app
def reload(app: App) -> None:
    """Re-read the knowledge files now; list every problem (exit 1) and keep the old index."""
    try:
        click.echo(reload_knowledge(app, OPERATOR))
    except KnowledgeError as exc:
        raise click.ClickException(knowledge_report(exc.problems, app.settings.knowledge_path)
                                   ) from None
