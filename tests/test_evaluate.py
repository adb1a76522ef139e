"""Evaluation sets: both formats, scoring that never counts a closest match as an answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.errors import InvalidInput
from bot.evaluate import KINDS, Case, default_sets, evaluate, format_report, load_cases
from bot.knowledge import Entry, Source


def test_default_sets_are_shipped_and_never_include_a_test_split() -> None:
    sets = default_sets()
    assert "chat-dev.yaml" in [p.name for p in sets]
    assert not any(p.name.endswith("-test.yaml") for p in sets)
    cases = [c for p in sets for c in load_cases(p)]
    assert len(cases) >= 160
    assert {c.kind for c in cases} >= set(KINDS)


def test_keyword_groups_need_every_group() -> None:
    entry = Entry(id="x", film="f", title="Why a driver?", questions=("q",),
                  answer="The festival has a rule about insurance.",
                  sources=(Source(scene="s"),), tags=("t",), spoiler=False)
    assert Case("q", "chat", groups=(("festival",), ("insurance", "liability"))).passes([entry])
    assert not Case("q", "chat", groups=(("festival",), ("language",))).passes([entry])
    assert Case("q", "plain", entry_id="x").passes([entry])
    assert not Case("q", "plain", entry_id="x").passes([])


@pytest.mark.parametrize("text", ["{q: 1}", "just text", "- {q: hi, expect: [[]]}",
                                  "- {q: hi, expect: 3}", "- [1, 2]"])
def test_malformed_sets_are_refused_with_a_clear_message(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput):
        load_cases(path)


def test_report_counts_per_kind_and_bins_every_scored_question(app: App) -> None:
    cases = [Case("why can't yusuke drive himself", "chat", groups=(("festival",),)),
             Case("why the masks in the supermarket", "plain", groups=(("korea",),)),
             Case("hello there", "meta", abstain=True),
             Case("best pizza in naples", "far", abstain=True),
             Case("do they kiss", "premise", groups=(("glaucoma",),))]
    report = evaluate(app, cases, ["mine"])
    assert report.kinds["chat"].right == 1
    assert report.kinds["plain"].closest == 1 and report.kinds["plain"].right == 0
    assert report.kinds["meta"].smalltalk == 1
    assert report.kinds["far"].declined == 1
    assert report.premise_wrong and "do they kiss" in report.premise_wrong[0]
    assert sum(n for n, _ in report.bins) == 4  # small talk shows no confidence
    assert report.recall_at_1 == pytest.approx(1 / 3)
    text = format_report(report)
    assert "premise items answered with the wrong claim: 1" in text
    assert "reliability" in text
