"""Terminal rendering: Discord markdown as text, spoiler marker lines, polls, and nothing
that could drive the terminal."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import poll_results, polls
from bot.answers import ask
from bot.app import App
from bot.knowledge import Entry, Source
from bot.moderators import OPERATOR
from bot.plaintext import plain, plain_inline
from bot.text import (
    SPOILER_END,
    SPOILER_START,
    _cells,
    cli_hints,
    render_answer,
    render_entry,
    render_tally,
    terminal_safe,
)
from tests.curation_support import MARKDOWN


@pytest.mark.parametrize(("markdown", "text"), [
    ("**bold** and *italics* and _also_ and __underline__ and ~~struck~~",
     "bold and italics and also and underline and struck"),
    ("a `code span` and ***both***", "a code span and both"),
    ("snake_case_words and 2*3 stay", "snake_case_words and 2*3 stay"),
    (r"\*not italics\*", "*not italics*"),
    ("[the review](https://eiga.com/movie/94037/)", "the review - https://eiga.com/movie/94037/"),
    ("<https://eiga.com/>", "https://eiga.com/"),
    ("https://example.com/a_b_c", "https://example.com/a_b_c"),
    ("line one\nline two", "line one\nline two"),  # Discord keeps single line breaks
    ("hard break  \nnext", "hard break\nnext"),
    ("para\n\n\npara", "para\n\npara"),
    ("Readings:\n- **one**\n- two\n  - nested", "Readings:\n- one\n- two\n  - nested"),
    ("1. first\n2. *second*", "1. first\n2. second"),
    ("3) three\n4) four", "3) three\n4) four"),
    ("> a quote @everyone\n>\n> more", "> a quote @everyone\n>\n> more"),
    ("# Heading\ntext", "Heading\ntext"),
    ("-# small print", "small print"),
    ("```\ncode\n  block\n```", "    code\n      block"),
    ("||hidden|| and ||**bold** hidden||", "[spoiler: hidden] and [spoiler: bold hidden]"),
    ("a || b and c || d", "a [spoiler:  b and c ] d"),
    ("lone | pipe and || lone pair", "lone | pipe and || lone pair"),
    ("<b>not html</b> &amp; <@123>", "<b>not html</b> &amp; <@123>"),  # as Discord shows
    ("Title\n---", "Title\n---"),  # no setext headings in Discord
    ("    four spaces", "four spaces"),
    ("", ""),
])
def test_markdown_becomes_text(markdown: str, text: str) -> None:
    assert plain(markdown) == text


def test_spoilers_shown_lose_their_marks() -> None:
    assert plain("see ||this||", show_spoilers=True) == "see this"


def test_the_shared_markdown_sample() -> None:
    assert plain(MARKDOWN) == (
        "Nobody knows.\nThe film never says whose dog it is.\n\n- Kōji is gone\n"
        "  - nested item with code\n> a quote @everyone should stay text\n\n"
        "[spoiler: not a spoiler tag] 🚗")


def test_wrapping_keeps_lists_and_links_readable() -> None:
    text = ("- " + "word " * 30 + "\n- https://example.com/a-very-long-link-that-must-stay-"
            "whole-because-cutting-it-breaks-it-for-a-terminal-click")
    lines = plain(text, width=40).split("\n")
    assert all(len(line) <= 40 for line in lines if "https" not in line)
    assert lines[0].startswith("- word") and lines[1].startswith("  word")
    assert any(line.startswith("- https://example.com/a-very-long-link-that") and
               line.endswith("terminal-click") for line in lines)


def test_inline_text_is_one_line() -> None:
    assert plain_inline("*Uncle Vanya*\nand **Waiting for Godot**") == \
        "Uncle Vanya and Waiting for Godot"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("*_~`|[]()<>#-> \n\\!a1:/.") | st.characters(),
               max_size=300))
def test_any_text_renders(text: str) -> None:
    assert isinstance(plain(text, width=30), str) and "\n" not in plain_inline(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab *_~"), min_size=1, max_size=40)
       .filter(lambda t: t.strip(" *_~")))
def test_a_spoiler_span_loses_its_bars(words: str) -> None:
    out = plain(f"x ||{words}|| y")
    assert "||" not in out and out.startswith("x [spoiler: ") and out.endswith("] y")


def test_worst_case_markdown_at_the_entry_limit_is_quick() -> None:
    """Answers are at most 1,500 characters; markdown-it's worst cases stay small there."""
    worst = ["[" * 750 + "*a" * 375, "*a" * 750, "[a](" * 375, "**[*_`||~~" * 150,
             "||a" * 500, "> " * 750, "- " * 750]
    start = time.perf_counter()
    for text in worst:
        plain(text)
    assert time.perf_counter() - start < 5  # generous: a guard against hangs, not a benchmark


def test_terminal_safe_neutralises_control_characters() -> None:
    assert terminal_safe("a\x1b[2Jb\x07c\x9bd\te\nf") == "a\ufffd[2Jb\ufffdc\ufffdd\te\nf"


# ---------------------------------------------------------------- entries and answers


def entry(**changes: object) -> Entry:
    fields = {"id": "dog", "film": "drive-my-car", "title": "Whose *dog* is it?",
              "questions": ("whose dog",), "answer": "**Nobody says.**\n- a [link](https://x.y)",
              "sources": (Source(title="A *review*", url="https://x.y"),
                          Source(scene="the **epilogue**")),
              "tags": ("dog",), "spoiler": True}
    return Entry(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_hidden_answer_sits_between_marker_lines() -> None:
    lines = render_entry(entry())
    assert lines == ["Whose dog is it?  [spoiler: last act]", "=" * 37, SPOILER_START,
                     "Nobody says.", "- a link - https://x.y", SPOILER_END, "", "Sources:",
                     "  1. A review - https://x.y", "  2. Scene: the epilogue"]
    shown = render_entry(entry(), show_spoilers=True)
    assert SPOILER_START not in shown and "Nobody says." in shown
    assert SPOILER_START not in render_entry(entry(spoiler=False))


def test_answers_have_no_discord_markup(bundled_app: App) -> None:
    """Every answer of the shipped pack, rendered: no ||, no ** and no backticks."""
    ids = [i for i, _ in bundled_app.index.ids(limit=10_000)]
    assert len(ids) > 50
    for found in map(bundled_app.index.get, ids):
        assert found is not None
        for spoilers in (False, True):
            text = "\n".join(render_entry(found, show_spoilers=spoilers))
            assert "||" not in text and "**" not in text and "`" not in text, found.id
            assert "](" not in text, found.id


def test_closest_match_and_small_talk_name_the_front_ends_commands(app: App) -> None:
    closest = ask(app, "why the masks in the supermarket", source="test", asker=OPERATOR)
    assert "(type 'open ending-korea' to read it)" in render_answer(closest)
    cli = render_answer(closest, hints=cli_hints("dmc-bot"))
    assert "('dmc-bot kb show ending-korea' shows it)" in cli
    hello = ask(app, "hello there!", source="test", asker=OPERATOR)
    assert "Type 'help' for the commands" in render_answer(hello)
    assert "'dmc-bot --help' lists the commands" in render_answer(hello,
                                                                 hints=cli_hints("dmc-bot"))
    assert "*" not in render_answer(hello)


def test_tally_says_what_discords_footer_says(app: App) -> None:
    poll = polls.create_poll(app.db, OPERATOR, question="日本の車?", options=[
        polls.Option("a", "サーブ"), polls.Option("b", "Volvo")], max_choices=2,
        anonymous=True, allow_change=False, hours=2)
    text = render_tally(poll_results.tally(app.db, OPERATOR, poll.id))
    rows = text.split("\n")[1:3]
    # the bars line up: a wide (CJK) character takes two columns
    assert [_cells(row[:row.index("░")]) for row in rows] == [14, 14]
    assert "0 voters · anonymous · up to 2 choices · votes are final · closes " in text
