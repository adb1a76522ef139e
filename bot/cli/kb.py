"""`kb` commands: check, and (with curation) export, import and the unanswered list."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.config import load_settings
from bot.errors import KnowledgeError
from bot.knowledge import load_knowledge


@click.group()
def kb() -> None:
    """Check and manage the knowledge base."""


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
