"""`db` commands: back up the database while the bot runs, and check it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.backup import backup_db
from bot.cli.group import BotGroup
from bot.cli.options import db_option, pass_settings, with_options
from bot.config import Settings
from bot.store import inspect


@click.group(cls=BotGroup)
def db() -> None:
    """Back up and check the database (see "Backups" in the README)."""


@db.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_options(db_option)
@pass_settings
def backup(settings: Settings, path: Path, force: bool) -> None:
    """Copy the database to PATH (a file, or a folder for a dated copy); safe while the
    bot runs. The copy is checked before it is kept."""
    made = backup_db(settings.db_path, path, force=force)
    state = "integrity ok" if made.integrity == ["ok"] else \
        "integrity check FAILED: " + "; ".join(made.integrity)
    click.echo(f"backed up {settings.db_path} to {made.path} ({made.size:,} bytes); {state}")
    if made.integrity != ["ok"]:
        sys.exit(1)


@db.command()
@with_options(db_option)
@pass_settings
def check(settings: Settings) -> None:
    """Full integrity check, schema version and row counts; exit code 1 on any problem.

    Reads only: it works on a database the bot refuses to open.
    """
    report = inspect(settings.db_path)
    click.echo(report.text())
    if not report.ok:
        sys.exit(1)
