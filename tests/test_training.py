"""What the confidence model is fitted on: the pack held out fold by fold, written negatives,
never an eval set; and the shipped coefficients are what the committed refit produces."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from bot import calibration, training
from bot.evaluate import default_sets
from bot.knowledge import Entry, Source, load_knowledge
from tests.conftest import REPO


def entry(entry_id: str, *phrasings: str) -> Entry:
    return Entry(id=entry_id, film="drive-my-car", title=phrasings[0],
                 questions=phrasings[1:] or phrasings[:1], answer="An answer.",
                 sources=(Source(scene="a scene"),), tags=("test",), spoiler=False)


def test_every_phrasing_is_held_out_once_and_never_left_in_its_fold() -> None:
    entries = [entry(f"e{n}", *(f"question {n} number {k}" for k in range(9)))
               for n in range(6)]
    held_ids: list[tuple[str, str]] = []
    for fold in range(training.FOLDS):
        kept, held = training.folded(entries, fold)
        assert [e.id for e in kept] == [e.id for e in entries]
        for example in held:
            mine = next(e for e in kept if e.id == example.entry_id)
            assert example.question not in (mine.title, *mine.questions)
        held_ids += [(x.entry_id, x.question) for x in held]
    everything = [(e.id, p) for e in entries for p in (e.title, *e.questions)]
    assert sorted(held_ids) == sorted(everything)  # each exactly once
    assert training.folded(entries, 3) == training.folded(entries, 3)  # same folds every run


def test_an_entry_always_keeps_something_to_be_found_by() -> None:
    lone = [entry("lone", "the only way of asking")]
    for fold in range(training.FOLDS):
        kept, held = training.folded(lone, fold)
        assert kept[0].title == "the only way of asking" and held == []


def test_chat_variants_keep_the_question_and_change_its_form() -> None:
    question = "Why does Kafuku rehearse his lines with cassette tapes?"
    variants = training.chat_variants(question, seed=7)
    assert variants == training.chat_variants(question, seed=7)
    chatty, typo = variants
    assert "why does kafuku rehearse his lines with cassette tapes" in chatty
    assert chatty != "why does kafuku rehearse his lines with cassette tapes"
    bare = "why does kafuku rehearse his lines with cassette tapes".split()
    changed = [(a, b) for a, b in zip(typo.split(), bare, strict=True) if a != b]
    assert len(changed) == 1 and len(changed[0][1]) >= 6  # one typo, in a long word


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def test_the_negatives_are_their_own_and_not_eval_items() -> None:
    """The written negatives are out-of-scope chat, not taken from the shipped eval sets:
    none shares most of its words with an item of them."""
    negatives = [x.question for x in training.negatives()]
    assert len(negatives) >= 200 and len(set(negatives)) == len(negatives)
    dev = [item["q"] for path in default_sets()
           for item in yaml.safe_load(path.read_text(encoding="utf-8"))]
    assert len(dev) >= 350
    close = [(n, d) for n in negatives for d in dev
             if len(_tokens(n) & _tokens(d)) / len(_tokens(n) | _tokens(d)) >= 0.6]
    assert not close, close


def test_the_model_is_never_fitted_on_an_eval_set() -> None:
    data = json.loads((resources.files("bot") / "data" / calibration.FILE).read_text())
    assert not any(name.endswith(".yaml") and name != training.NEGATIVES
                   for name in json.dumps(data["fitted_on"]).split('"'))
    assert "chat-dev" not in json.dumps(data) and "heldout" not in json.dumps(data)


def test_the_shipped_coefficients_are_what_the_refit_gives(tmp_path: Path) -> None:
    """`python -m bot.calibration --write` on the committed pack and negatives reproduces
    data/calibration.json: the numbers in the README can be reproduced."""
    shipped = json.loads((resources.files("bot") / "data" / calibration.FILE).read_text())
    fitted = calibration.refit(str(tmp_path), str(REPO / "knowledge"))
    assert fitted["fitted_on"] == shipped["fitted_on"]
    assert fitted["bias"] == pytest.approx(shipped["bias"], abs=2e-3)
    for name, weight in shipped["weights"].items():
        assert fitted["weights"][name] == pytest.approx(weight, abs=2e-3), name
    assert len(load_knowledge(REPO / "knowledge").entries) >= 60
