"""Every button the bot sends survives a restart: the rule, checked on the source and on the
longest custom_ids the buttons can make (issue 12, item 11).

A button whose callback lives only in memory ("This interaction failed" after a restart,
and never disabled) fails the first test; a new DynamicItem whose custom_id can grow past
Discord's 100 characters fails the second.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import bot
from bot.cogs.controls import b36, from_b36
from bot.cogs.kb_buttons import AnswerButton, PageButton, QueueButton, RemoveButton
from bot.cogs.modals import FixButton
from bot.cogs.poll_views import MyVoteButton, RetractButton, VoteButton, VoteSelect
from bot.cogs.views import FeedbackButton, RelatedButton

COGS = Path(bot.__file__).parent / "cogs"
BIGGEST_ID = 2**63 - 1  # a Discord id (or an SQLite rowid) at its largest
BIGGEST_ROW = 10**18 - 1  # poll and suggestion numbers: the templates take 18 digits
LONGEST_ENTRY = "e" * 64
LONGEST_OPTION = "o" * 40


def _sources() -> list[tuple[str, ast.Module]]:
    return [(p.name, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(COGS.glob("*.py"))]


@pytest.mark.parametrize(("name", "tree"), _sources())
def test_no_view_keeps_its_buttons_in_memory(name: str, tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            assert not any(b.endswith(("ui.View", "OwnedView")) for b in bases), (
                f"{name}: {node.name} subclasses a View; make its buttons DynamicItems")
        if isinstance(node, ast.Attribute) and node.attr in ("button", "select") and \
                ast.unparse(node.value).endswith("ui"):
            pytest.fail(f"{name}: @discord.ui.{node.attr} makes a button that dies on restart")
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("ui.View"):
            timeout = {k.arg: ast.unparse(k.value) for k in node.keywords}.get("timeout")
            assert timeout == "None", f"{name}: a View with a timeout ({ast.unparse(node)})"


@pytest.mark.parametrize("item", [
    VoteButton(BIGGEST_ROW, LONGEST_OPTION), VoteSelect(BIGGEST_ROW),
    RetractButton(BIGGEST_ROW), MyVoteButton(BIGGEST_ROW), QueueButton("approve", BIGGEST_ROW),
    RemoveButton(True, BIGGEST_ID, 2**40, LONGEST_ENTRY), PageButton(BIGGEST_ID, 10_000, -1),
    AnswerButton(BIGGEST_ID, 10, 3650, "f" * 16), FixButton(BIGGEST_ID, BIGGEST_ID),
    FeedbackButton(LONGEST_ENTRY, False), RelatedButton(LONGEST_ENTRY),
], ids=lambda item: type(item).__name__)
def test_the_longest_custom_ids_fit_and_parse_back(item: object) -> None:
    custom_id = item.item.custom_id  # type: ignore[attr-defined]
    assert len(custom_id) <= 100, custom_id
    assert re.fullmatch(type(item).__discord_ui_compiled_template__, custom_id), custom_id


@pytest.mark.parametrize("number", [0, 1, 35, 36, 10**17, BIGGEST_ID])
def test_base_36_round_trips(number: int) -> None:
    assert from_b36(b36(number)) == number and b36(number) == b36(number).lower()
