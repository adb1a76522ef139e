"""Every CLI command has help text and is mentioned in the README (sqlite-utils' test_docs)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.cli.group import first_paragraph
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help(name: str, command: click.Command) -> None:
    assert command.help and command.help.strip(), f"`{name}` has no help text"


@pytest.mark.parametrize("name", [n for n, c in COMMANDS if not isinstance(c, click.Group)])
def test_command_is_in_readme(name: str) -> None:
    assert f"python -m bot {name}" in README, f"README does not mention `python -m bot {name}`"


GROUPS = [("", cli)] + [(n, c) for n, c in COMMANDS if isinstance(c, click.Group)]


@pytest.mark.parametrize(("name", "group"), GROUPS, ids=[n or "top" for n, _ in GROUPS])
@pytest.mark.parametrize("width", [60, 80, 200])
def test_group_help_shows_whole_descriptions(name: str, group: click.Group, width: int) -> None:
    """click cut descriptions at 45 characters ("Talk to the bot in the terminal, as...")."""
    result = CliRunner().invoke(cli, [*name.split(), "--help"], terminal_width=width)
    assert result.exit_code == 0
    squashed = "".join(result.output.split())  # wrapped lines join up again
    for command in group.commands.values():
        assert command.help
        assert "".join(first_paragraph(command.help).split()) in squashed, command.name


def test_readme_shows_pipx_for_running_the_bot() -> None:
    install = README[README.index("## Install"):]
    assert "pipx install .\ndmc-bot ask" in install


def test_readme_gives_the_two_commands() -> None:
    assert 'python -m pip install -e . && python -m bot ask "' in README
    assert 'python -m pip install -e ".[test]" && python -m pytest' in README


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python -m pip install -e ".[test]" && python -m pytest' in ci
    assert '"$status" -eq 5' in ci


def test_ci_uses_the_installed_wheel_from_an_empty_folder() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    installed = ci[ci.index("pip wheel"):]
    assert 'cd "$work/empty"' in installed
    for command in ("--help", "ask", "kb check", "eval"):
        assert f'"$bin/dmc-bot" {command}' in installed


MODULES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "bot").rglob("*.py")
                 if p.name != "__init__.py")


@pytest.mark.parametrize("module", MODULES)
def test_code_map_names_every_module(module: str) -> None:
    code_map = README[README.index("\nbot/\n"):README.index("\nknowledge/ ")]
    assert module.rsplit("/", 1)[-1] in code_map, f"the README's code map leaves out {module}"
