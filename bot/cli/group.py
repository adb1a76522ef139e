"""The click classes every command uses: whole one-line help, and domain errors as one line.

``BotGroup`` turns any ``BotError`` a command raises into click's one-line ``Error: ...``
(exit code 1), so no command needs its own try/except; so is an ``OSError`` (a path the
user gave that cannot be used). A knowledge-base error is the count and then one
``path:line: message`` per problem.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from bot.errors import BotError, KnowledgeError

_PROBLEM = re.compile(r"^(?P<path>.+?):(?P<line>\d+): ")


class BotGroup(click.Group):
    """A group whose ``--help`` shows each command's whole first line, and which shows
    domain errors as one clear line.

    click cuts descriptions to fit 45 characters (``Show every setting's value and
    where it came from (flag,...``); an explicit short help is wrapped instead.
    """

    group_class = type  # subgroups made with @group.group() are BotGroups too

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.short_help is None and cmd.help:
            cmd.short_help = first_paragraph(cmd.help)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KnowledgeError as exc:
            raise click.ClickException(knowledge_report(exc.problems)) from None
        except BotError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:  # a file or folder given that cannot be used: say which
            where = f": {exc.filename}" if exc.filename else ""
            raise click.ClickException(f"{exc.strerror or exc}{where}") from None


def first_paragraph(text: str) -> str:
    """The first paragraph of a docstring, on one line."""
    return " ".join(text.strip().split("\n\n")[0].split())


def knowledge_report(problems: Sequence[str], knowledge: Path | None = None) -> str:
    """The problem count, then every problem (see ``relative_problems`` for ``knowledge``)."""
    count = len(problems)
    head = f"{count} problem{'s' if count != 1 else ''} in the knowledge base:"
    shown = relative_problems(problems, knowledge) if knowledge else problems
    return "\n".join([head, *shown])


def relative_problems(problems: Iterable[str], knowledge: Path) -> list[str]:
    """Problems of the knowledge folder ``knowledge`` with their paths as the user can open them.

    The loader names files relative to the folder's parent (``knowledge/film/x.yaml``);
    this makes them relative to the current folder, or absolute when they are outside it
    (``../../usr/lib/...`` helps nobody).
    """
    base = Path(os.path.abspath(knowledge)).parent
    out = []
    for problem in problems:
        match = _PROBLEM.match(problem)
        if match:
            named = Path(match["path"])  # the folder itself is named as given (not found)
            shown = shown_path(named if named == Path(knowledge) else base / named)
            problem = f"{shown}:{problem[match.end('path') + 1:]}"
        out.append(problem)
    return out


def shown_path(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)
