"""The console as a session: help, who you are, scripts and exit codes, log lines, odd
input on stdin, and (through a pseudo-terminal) Ctrl-C, Ctrl-D, forms and line history."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.console import Console
from bot.console_args import local_user_id
from tests.conftest import REPO
from tests.console_pty import CTRL_C, CTRL_D, CTRL_P, Terminal


def run(app: App, script: str, **options: object) -> str:
    out = io.StringIO()
    Console(app, interactive=False, stdin=io.StringIO(script), stdout=out,
            **options).run()  # type: ignore[arg-type]
    return out.getvalue()


def bot(tmp_path: Path, pack: Path, *args: str, stdin: bytes = b"",
        ) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "BOT_DB": str(tmp_path / "c.db"), "BOT_KNOWLEDGE": str(pack)}
    return subprocess.run([sys.executable, "-m", "bot", "console", *args], input=stdin,
                          env=env, capture_output=True, cwd=REPO, timeout=120)


# ---------------------------------------------------------------- help


def test_every_command_has_help_and_help_lists_them_all(app: App) -> None:
    console = Console(app, interactive=False, stdin=io.StringIO(""))
    names = sorted(n[3:] for n in console.get_names() if n.startswith("do_"))
    assert {"ask", "open", "spoilers", "as", "poll", "vote", "retract", "kb", "help", "quit",
            "exit"} <= set(names)
    listing = run(app, "help\n")
    for name in names:
        method = getattr(Console, f"do_{name}")
        usage, dash, summary = " ".join((method.__doc__ or "").split()).partition(" - ")
        assert dash and usage.split()[0] in (name, "quit") and summary, name
        assert f"\n  {usage}" in listing, name  # listed, with its usage
        detail = run(app, f"help {name}\n")
        assert detail.startswith(usage.split()[0]) and not detail.startswith("!"), name
    assert "EOF" not in listing
    for topic, text in (("poll", "poll create [anonymous] [final] [hours N] [max_choices N]"),
                        ("kb", "kb approve ID"), ("fields", "title: Why does Misaki smile")):
        assert text in run(app, f"help {topic}\n")


def test_help_for_nothing_known_is_an_error_or_a_question(app: App) -> None:
    out = run(app, "help nope\nhelp me understand the ending\n? poll\n")
    assert "! There is no command 'nope'; 'help' lists them.\n" in out
    # asked, not refused: answered, offered as a closest match, or no curated answer
    assert ("I'm not sure" in out or "curated answer" in out
            or "What does the community think the ending means?" in out)
    assert "poll ending [anonymous] [final] [hours N]" in out  # "?" is help


# ---------------------------------------------------------------- scripts


def test_a_script_prints_only_what_its_commands_print(app: App) -> None:
    assert run(app, "as bob\nspoilers on\nas\n") == (
        f"now acting as bob (id {local_user_id('bob')})\nspoilers shown\n"
        f"you are bob (id {local_user_id('bob')})\n")


def test_each_error_is_one_line_and_the_script_goes_on(app: App) -> None:
    out = run(app, "kb list ²\nvote\nspoilers maybe\nas a b c\nopen two words\n"
                   "why does kafuku need a driver\n")
    assert [line for line in out.splitlines() if line.startswith("!")] == [
        "! The page must be a whole number from 1 to 1000000000, got '²'.",
        "! There is no poll yet: try 'poll ending'.",
        "! usage: spoilers on|off (now off)",
        "! usage: as NAME [mod] (to ask a question that starts with 'as', type: ask as ...)",
        "! usage: open ID (one entry id; to ask a question that starts with 'open', "
        "type: ask open ...)",
    ]
    assert "Why does Kafuku need a driver?" in out


def test_exit_codes(tmp_path: Path, pack: Path) -> None:
    script = b"kb list 0\nwhy does kafuku need a driver\n"
    done = bot(tmp_path, pack, stdin=script)
    assert done.returncode == 0 and b"! The page" in done.stdout  # like sh without -e
    assert b"Why does Kafuku need a driver?" in done.stdout and done.stderr == b""
    stopped = bot(tmp_path, pack, "--stop-on-error", stdin=script)
    assert stopped.returncode == 1 and stopped.stderr == b""
    assert stopped.stdout.startswith(b"! The page") and b"Kafuku" not in stopped.stdout
    fine = bot(tmp_path, pack, "--stop-on-error", stdin=b"as bob\nquit\nkb list 0\n")
    assert fine.returncode == 0 and b"! " not in fine.stdout


def test_log_lines_never_reach_the_screen(tmp_path: Path, pack: Path) -> None:
    done = bot(tmp_path, pack, stdin=b"as bob\nkb add\ntitle: x\n\nkb remove no-kiss\n"
                                     b"poll create Q | a | b\nas you\nkb remove no-kiss\n")
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.count(b"\n! Only moderators can") == 3
    log = (tmp_path / "console.log").read_text()
    assert "refused: user" in log and "entry no-kiss removed by 1" in log


def test_the_stale_knowledge_note_is_a_console_line(tmp_path: Path, pack: Path) -> None:
    assert bot(tmp_path, pack, stdin=b"as\n").returncode == 0  # a good index first
    (pack / "drive-my-car" / "entries" / "no-kiss.yaml").write_text("id: [unclosed\n")
    done = bot(tmp_path, pack, stdin=b"why does kafuku need a driver\n")
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.startswith(b"Note: the knowledge files have 1 problem(s); answering "
                                  b"from the last good index")
    assert b"Why does Kafuku need a driver?" in done.stdout


def test_odd_bytes_huge_lines_and_the_end_inside_a_form(tmp_path: Path, pack: Path) -> None:
    lines = [b"why \xed\xa0\x80 misaki \xff in korea", b"x" * 1_000_000,
             b"kb search " + b"\x80" * 5000, b"as \x00nul", b"poll create Q\x00? | a | \xc3",
             b"vote 1 " + b"9" * 100_000, b"why does kafuku need a driver",
             b"kb add", b"title: the script ends inside a form"]
    done = bot(tmp_path, pack, stdin=b"\n".join(lines))  # no newline at the very end
    out = done.stdout.decode()
    assert done.returncode == 0 and done.stderr == b""
    assert "Traceback" not in out and "this is a bug" not in out
    assert "Why is Misaki in South Korea" in out and "Why does Kafuku need a driver?" in out
    assert "! A name is one word of 1 to 32 printable characters, got '\\x00nul'." in out
    # the end of the script inside a form ends the form: what it had is checked, as typed
    assert out.endswith("! The entry was not saved:\n  - 'questions' is empty - give at least "
                        "one way people ask this, one per line\n  - 'answer' is empty\n"
                        "  - 'sources' is empty - add 'Title | https://link', a bare link, or "
                        "'scene: which scene'\n  - 'tags' is empty - add one or more tags such "
                        "as ending, misaki\n")


def test_control_characters_people_typed_do_not_reach_the_terminal(app: App) -> None:
    out = run(app, "is there a sequel \x1b[2J\x07 planned\nkb unanswered\n")
    assert "\x1b" not in out and "\x07" not in out
    assert "is there a sequel \ufffd[2j\ufffd planned" in out  # the log keeps it lowercased


def test_a_bug_is_one_line_and_the_session_goes_on(app: App, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("bot.console_polls.polls.list_polls", broken)
    out = run(app, "poll list\nas bob\n", log_path=tmp_path / "console.log")
    assert out.splitlines() == [
        f"! Something went wrong (ZeroDivisionError); this is a bug. The details are in "
        f"{tmp_path / 'console.log'}.",
        f"now acting as bob (id {local_user_id('bob')})"]


# ---------------------------------------------------------------- who you are


def test_as_switches_users_and_you_comes_back(app: App) -> None:
    out = run(app, "as alice mod\nas\nas you\nas\nas " + "n" * 33 + "\nas bob moderator\n")
    assert "now acting as alice (id" in out and "), moderator\nyou are alice" in out
    assert "now acting as you (id 1), moderator\nyou are you (id 1), moderator\n" in out
    assert "! A name is one word of 1 to 32 printable characters, got 'nnnn" in out
    assert "! usage: as NAME [mod]" in out


def test_local_users_never_share_a_ballot() -> None:
    """Ids come from a hash of the whole name (a weighted sum of the letters gave frank and
    oscar, or ann and zoe, one id: they shared one ballot)."""
    assert local_user_id("frank") != local_user_id("oscar")
    assert local_user_id("ann") != local_user_id("zoe")
    names = [f"{a}{b}{c}" for a in "abcdefghij" for b in "abcdefghij" for c in "xyz"]
    ids = {local_user_id(name) for name in names}
    assert len(ids) == len(names) and 1 not in ids
    assert local_user_id("alice") == local_user_id("alice")  # the same in every session


# ---------------------------------------------------------------- at a terminal


@pytest.fixture
def terminal(tmp_path: Path, pack: Path):
    opened: list[Terminal] = []

    def start(*extra: str) -> Terminal:
        opened.append(Terminal(tmp_path / "t.db", pack, *extra))
        opened[-1].expect("you> ")
        return opened[-1]

    yield start
    for t in opened:
        t.close()


def test_ctrl_c_cancels_a_form_not_the_console(terminal) -> None:
    t = terminal()
    t.send("kb add\n")
    t.expect("title: ")
    t.send("Half a title" + CTRL_C)
    assert "! Cancelled; nothing was saved." in t.expect("you> ")
    t.send("kb add\n")
    t.expect("title: ")
    t.send("A title\n")
    t.expect("  > ")
    t.send(CTRL_D)  # Ctrl-D inside a form cancels it too
    assert "! Cancelled; nothing was saved." in t.expect("you> ")
    t.send("kb list\n")
    listing = t.expect("you> ")
    assert "entries, page 1/1:" in listing and "a-title" not in listing
    t.send(CTRL_C)  # at the prompt: a new prompt, and how to leave
    assert "(to leave: quit or Ctrl-D)" in t.expect("you> ")
    t.send(CTRL_D)
    assert t.wait() == 0


def test_a_member_is_refused_before_the_questions(terminal) -> None:
    t = terminal()
    t.send("as bob\n")
    t.expect("bob> ")  # the prompt says who you act as
    for command in ("kb add", "kb edit no-kiss", "kb remove no-kiss", "kb approve 1"):
        t.send(command + "\n")
        shown = t.expect("bob> ")
        assert "! Only moderators can" in shown and "title" not in shown, shown
    t.send("as carol mod\n")
    t.expect("carol (mod)> ")
    t.send("quit\n")
    assert t.wait() == 0


def test_removing_asks_first_at_a_terminal(terminal) -> None:
    t = terminal()
    t.send("kb remove no-kiss\n")
    assert "Remove no-kiss (Do Kafuku and Misaki kiss in the snow?)? The bot stops " \
           "answering with it at once. [y/N] " in t.expect("[y/N] ")
    t.send("\n")
    assert "Kept; nothing was removed." in t.expect("you> ")
    t.send("kb remove no-kiss\n")
    t.expect("[y/N] ")
    t.send("y\n")
    assert "removed no-kiss" in t.expect("you> ")
    t.send(CTRL_D)
    assert t.wait() == 0


def test_line_history_keeps_commands_not_form_answers(terminal, tmp_path: Path) -> None:
    t = terminal()
    t.send("spoilers on\n")
    t.expect("you> ")
    t.send("kb add\n")
    t.expect("title: ")
    t.send("A private draft title\n")
    t.expect("  > ")
    t.send(CTRL_C)
    t.expect("you> ")
    t.send(CTRL_D)
    assert t.wait() == 0
    history = (tmp_path / "console_history").read_text()
    assert "spoilers on" in history and "kb add" in history and "draft" not in history
    assert (tmp_path / "console_history").stat().st_mode & 0o077 == 0
    again = terminal()
    again.send(CTRL_P + CTRL_P + "\n")  # two lines back: "spoilers on"
    assert "spoilers shown" in again.expect("you> ")
    again.send("quit\n")
    assert again.wait() == 0


def test_answers_wrap_to_the_terminal(terminal) -> None:
    t = terminal()
    t.send("why does kafuku need a driver\n")
    answer = t.expect("you> ")
    assert "Why does Kafuku need a driver?" in answer
    assert max(len(line) for line in answer.splitlines() if "https://" not in line) <= 99
    t.send("quit\n")
    assert t.wait() == 0
