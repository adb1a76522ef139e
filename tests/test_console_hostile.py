"""Every console command fed hostile arguments: the session goes on, each bad line is one
``!`` line, and no traceback or "bug" line ever appears.

The table holds a row for every command and subcommand (a test fails when a new one has
none); each number slot must refuse every hostile value with exactly one ``!`` line.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.console import Console
from bot.console_kb import KbCommands
from tests.test_cli_options import HOSTILE as CLI_HOSTILE

HOSTILE = [*CLI_HOSTILE, "\udcff", "x\ud800y", "x" * 10_000, "@everyone", "@here", "<@1>",
           "'", '"', '"quoted words"', "it's", "OR 1=1; DROP TABLE polls; --", "NEAR(a b)",
           'kiss" OR "a', "*", "a*", "-", "--", "#", "#0", "# 1", "1 2 3", "\x00", "\x1b[2J",
           "\x07", "\u202e", "日本語", "１", "1.", ".5", "+1", "|", "||", " | ", "\t"]

# Commands whose {} is a number the console must parse: every value above is refused.
NUMBERS = [
    "kb list {}", "kb unanswered {}", "kb approve {}", "kb reject {} spam",
    "poll results {}", "poll voters {}", "poll close {}", "poll reopen {}",
    "poll reopen 1 hours {}", "poll ending hours {}", "poll create hours {} Q | a | b",
    "poll create max_choices {} Q | a | b", "vote {} 1", "vote 1 {}", "retract {}",
]
TEXT = [
    "{}", "ask {}", "open {}", "spoilers {}", "as {}", "as bob {}", "help {}", "vote {}",
    "poll {}", "poll ending {}", "poll create {}", "poll create {} | a | b",
    "poll create Q | {} | b", "poll list {}",
    "kb {}", "kb add {}", "kb edit {}", "kb remove {}", "kb show {}", "kb search {}",
    "kb suggest {} | text", "kb suggest title | {}", "kb suggest t | x | {}", "kb queue {}",
    "kb reject 1 {}", "kb link {} question", "kb link no-kiss {}", "kb audit {}",
    "kb export {tmp}/{}", "kb import {tmp}/{}", "kb reload {}",
]
SENTINEL = "help quit"  # prints one known line: proof that the session went on
SENTINEL_OUT = "quit - leave the console (exit and Ctrl-D too)."
HOURS = re.compile(r"[0-9]*\.?[0-9]+|[0-9]+\.")


def meant_as_given(template: str, value: str) -> bool:
    """Values that are fine in that slot: none, a real number of hours, or several words
    where more words follow the number ("kb reject 1 2 3 spam": the reason is "2 3 spam")."""
    if not value.strip():
        return True  # "kb list " is "kb list": the default
    if "hours {}" in template and HOURS.fullmatch(value.strip()):
        return 0.1 <= float(value) <= 720
    return len(value.split()) > 1 and not template.endswith("{}")


@pytest.fixture
def busy_app(app: App) -> App:
    """A poll and a suggestion to name, so that "1" means something."""
    session(app, ["poll ending", "as bob", "kb suggest Dog | whose dog is it"])
    return app


def session(app: App, lines: list[str]) -> str:
    out = io.StringIO()
    script = "".join(line + "\n" for line in lines)
    code = Console(app, interactive=False, stdin=io.StringIO(script), stdout=out).run()
    assert code == 0
    return out.getvalue()


def run_each(app: App, commands: list[str]) -> list[str]:
    """Run each command (an empty line after it ends any form) then the sentinel; the
    output of each command, in order."""
    lines = [part for command in commands for part in (command, "", SENTINEL)]
    chunks = session(app, lines).split(SENTINEL_OUT + "\n")
    assert len(chunks) == len(commands) + 1, "a command ended the session or ate the sentinel"
    return chunks[:-1]


def check(command: str, output: str, *, refused: bool) -> None:
    bad = [line for line in output.splitlines() if line.startswith("!")]
    assert "Traceback" not in output and "this is a bug" not in output, (command, output)
    assert len(bad) <= 1, (command, bad)
    if refused:
        assert len(bad) == 1, (command, output[:300])
        assert len(bad[0]) < 400, (command, bad[0][:100])  # one readable line, clipped echo
    output.encode("utf-8")  # no lone surrogates reach the terminal
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", output), (command, output[:200])


def fill(template: str, value: str, tmp: Path) -> str:
    return template.replace("{tmp}", str(tmp)).replace("{}", value)


@pytest.mark.parametrize("template", NUMBERS)
def test_every_number_refuses_hostile_values(busy_app: App, tmp_path: Path,
                                             template: str) -> None:
    values = [v for v in HOSTILE if "\n" not in v]
    commands = [fill(template, v, tmp_path) for v in values]
    for value, command, output in zip(values, commands, run_each(busy_app, commands),
                                      strict=True):
        check(command, output, refused=not meant_as_given(template, value))


@pytest.mark.parametrize("template", TEXT)
def test_every_command_survives_hostile_text(busy_app: App, tmp_path: Path,
                                             template: str) -> None:
    commands = [fill(template, v, tmp_path) for v in HOSTILE]
    for command, output in zip(commands, run_each(busy_app, commands), strict=True):
        check(command, output, refused=False)


def test_the_table_covers_every_command(busy_app: App) -> None:
    """A new command, kb or poll subcommand without a row here fails this test."""
    templates = NUMBERS + TEXT
    words = {tuple(t.split()[:2]) for t in templates} | {tuple(t.split()[:1]) for t in templates}
    console = Console(busy_app, interactive=False, stdin=io.StringIO(""))
    commands = {n[3:] for n in console.get_names() if n.startswith("do_")} - {"quit", "exit"}
    missing = [c for c in commands if (c,) not in words]
    missing += [f"kb {n[4:]}" for n in dir(KbCommands) if n.startswith("_kb_")
                if ("kb", n[4:]) not in words]
    missing += [f"poll {n[6:]}" for n in dir(Console) if n.startswith("_poll_")
                and n != "_poll_id" and ("poll", n[6:]) not in words]
    assert not missing


def test_a_refused_number_changes_nothing(busy_app: App) -> None:
    tables = ("polls", "ballots", "vote_events", "suggestions", "audit_log", "mod_entries")
    before = {t: busy_app.db.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    commands = [fill(t, v, Path("/nonexistent")) for t in NUMBERS for v in
                ("²", "99999999999999999999", "-1", "0", "1e3", "9" * 5000)]
    for command, output in zip(commands, run_each(busy_app, commands), strict=True):
        check(command, output, refused=True)
    assert {t: busy_app.db.execute(f"SELECT * FROM {t}").fetchall() for t in tables} == before


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=st.sampled_from(NUMBERS + TEXT),
       value=st.text(st.characters(blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85"
                                   "\u2028\u2029"), max_size=60))
def test_any_text_in_any_command(busy_app: App, tmp_path: Path, template: str,
                                 value: str) -> None:
    command = fill(template, value, tmp_path)
    [output] = run_each(busy_app, [command])
    check(command, output, refused=False)
