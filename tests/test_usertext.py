"""Lone surrogates and invalid UTF-8 on every surface: no traceback, the session goes on.

Text reaches the core from argv and stdin (bytes that are not UTF-8 decode to
``\\udc80``-``\\udcff``), from files, and from Discord's JSON (``"\\ud800"``). Each surface is
tried with both kinds; the core cleans them to U+FFFD at its entry points.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import polls, suggestions
from bot.answers import ask
from bot.app import App
from bot.audit import audit_log
from bot.cli import cli
from bot.console import Console
from bot.curation import add_entry, edit_entry, get_entry, search_entries
from bot.errors import BotError, NotFound
from bot.forms import entry_data_from_form
from bot.moderators import Actor
from bot.usertext import REPLACEMENT, clean, clean_data
from tests.conftest import REPO

MOD = Actor(user_id=42, guild_id=111, is_moderator=True)
LONE = ["\ud800", "\udfff", "\udced\udca0\udc80", "a\ud83d", "\ude00b", "\udcff" * 50]
BAD_BYTES = [b"\xed\xa0\x80", b"\xff\xfe", b"\xc3", b"caf\xe9", b"\x80" * 20]
# Hypothesis leaves surrogates out of st.text() unless asked: ask.
SURROGATE_TEXT = st.text(st.characters(codec=None, categories=["Cs", "L", "Zs", "P"]),
                         max_size=60)
HOSTILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ---------------------------------------------------------------- the function


@given(st.text(st.characters(codec=None), max_size=80))
def test_clean_always_gives_encodable_text_and_keeps_good_text(text: str) -> None:
    cleaned = clean(text)
    assert encodable(cleaned)
    if encodable(text):
        assert cleaned is text


def test_clean_joins_pairs_and_replaces_lone_halves() -> None:
    assert clean("\ud83d\ude00") == "😀"
    assert clean("a\ud800b") == f"a{REPLACEMENT}b"
    assert clean("\udced\udca0\udc80") == REPLACEMENT * 3
    assert clean_data({"q\ud800": ["x\udfff", ("y",)], "n": 3}) == {
        f"q{REPLACEMENT}": [f"x{REPLACEMENT}", ("y",)], "n": 3}


# ---------------------------------------------------------------- the core


@HOSTILE
@given(text=SURROGATE_TEXT)
def test_core_entry_points_take_any_text(app: App, text: str) -> None:
    answer = ask(app, text, source=f"console:{text}")
    assert encodable(answer.question)
    search_entries(app, text)
    app.index.ids(text)
    app.index.search(clean(text))  # the search engine gets cleaned text from ask()
    for call in (lambda: get_entry(app, text), lambda: audit_log(app, MOD, text, 5),
                 lambda: suggestions.suggest(app, MOD, 2, text, text),
                 lambda: polls.create_poll(app.db, MOD, question=text,
                                           options=[polls.Option("a", text),
                                                    polls.Option("b", text + "!")])):
        try:
            result = call()
        except BotError as exc:
            assert encodable(str(exc))
        else:
            assert encodable(repr(result).encode("utf-8", "surrogatepass").decode())


@pytest.mark.parametrize("bad", LONE)
def test_curation_stores_clean_text(app: App, bad: str) -> None:
    data = entry_data_from_form(f"Whose dog is it {bad}", f"whose dog {bad}\nwhy a dog",
                                f"Nobody says {bad}.", "scene: the epilogue", "ending")
    entry = add_entry(app, MOD, data)
    assert REPLACEMENT in entry.title and REPLACEMENT in entry.answer
    assert get_entry(app, entry.id) == entry
    edited = edit_entry(app, MOD, entry.id, {"title": f"Whose dog? {bad}"})
    assert encodable(edited.title)
    with pytest.raises(NotFound) as info:
        get_entry(app, f"no-such{bad}")
    assert encodable(str(info.value))


@pytest.mark.parametrize("bad", LONE)
def test_polls_and_suggestions_store_clean_text(app: App, bad: str) -> None:
    poll = polls.create_poll(app.db, MOD, question=f"What {bad}?",
                             options=[polls.Option("a", f"yes {bad}"), polls.Option("b", "no")])
    assert polls.get_poll(app.db, MOD, poll.id).question == f"What {clean(bad)}?"
    made = suggestions.suggest(app, MOD, 2, f"Title {bad}", f"text {bad}")
    assert encodable(made.title + made.text)


# ---------------------------------------------------------------- the CLI and console


def _bot(tmp_path: Path, pack: Path, *args: str | bytes, stdin: bytes = b"",
         strict: bool = False) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "BOT_DB": str(tmp_path / "cli.db"), "BOT_KNOWLEDGE": str(pack)}
    if strict:  # a UTF-8 terminal that refuses bad bytes rather than escaping them
        env["PYTHONIOENCODING"] = "utf-8:strict"
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, env=env,
                          capture_output=True, cwd=REPO, timeout=60)


@pytest.mark.parametrize("strict", [False, True])
def test_ask_with_bad_bytes_in_argv(tmp_path: Path, pack: Path, strict: bool) -> None:
    for bad in BAD_BYTES:
        done = _bot(tmp_path, pack, "ask", b"why is misaki " + bad + b" in korea", strict=strict)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        assert b"Traceback" not in done.stderr
        assert b"Why is Misaki" in done.stdout


@pytest.mark.parametrize("strict", [False, True])
def test_ask_batch_goes_on_past_a_bad_line(tmp_path: Path, pack: Path, strict: bool) -> None:
    lines = [b"why is misaki in korea", *(b"why " + bad + b" driver" for bad in BAD_BYTES),
             b"do they kiss"]
    done = _bot(tmp_path, pack, "ask", "--batch", "-", stdin=b"\n".join(lines) + b"\n",
                strict=strict)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert out[0]["entry_id"] == "ending-korea" and out[-1]["entry_id"] == "no-kiss"


@pytest.mark.parametrize("strict", [False, True])
def test_console_keeps_running_after_bad_bytes(tmp_path: Path, pack: Path,
                                               strict: bool) -> None:
    script = b"\n".join([b"why \xed\xa0\x80 misaki", b"as \xff\xfe", b"kb show \xc3",
                         b"kb search \x80\x80", b"poll create What \xed\xa0\x80? | a | b",
                         b"do they kiss", b""])
    done = _bot(tmp_path, pack, "console", stdin=script, strict=strict)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    assert b"Do Kafuku and Misaki" in done.stdout  # the last question was answered


def test_cli_commands_clean_argv(tmp_path: Path, pack: Path) -> None:
    runner = CliRunner()
    base = ["--db", str(tmp_path / "cli.db"), "--knowledge", str(pack)]
    for args in (["kb", "show", "x\ud800"], ["kb", "audit", "x\udcff"],
                 ["ask", "--json", "why\ud800"]):
        result = runner.invoke(cli, [*args, *base])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        assert encodable(result.output)


def test_console_in_process_with_surrogates(app: App) -> None:
    out = StringIO()
    Console(app, interactive=False, stdin=StringIO("why \ud800 misaki\nas x\udfff\n"
                                                   "why a driver\n"), stdout=out).run()
    assert "Why does Kafuku need a driver?" in out.getvalue()
