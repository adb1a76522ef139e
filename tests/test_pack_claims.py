"""The shipped pack never states a known wrong claim, in any field, and the rules that check
it work as documented in ``tests/pack_claims.py``."""

from __future__ import annotations

import pytest

from tests.pack_claims import (
    CLAIMS,
    Claim,
    carries,
    clauses,
    is_yes_no,
    judge,
    search_phrases,
    sentences,
    statement_texts,
    violations,
)
from tests.test_knowledge_pack import ENTRIES, FILM, INTERPRETATIONS

IDS = [c.name for c in CLAIMS]

# Every example named in issue 15 ("The forbidden-claims test"), each of which some rule
# must flag.
ISSUE_EXAMPLES = (
    "They share a passionate kiss, but only briefly.",
    "The final act leaves the theatre behind.",
    "Misaki had an affair with a married colleague.",
    "Her lover died in a car crash.",
    "Her mother died in a car crash.",
    "At the end they make out.",
    "Kafuku and Misaki are a couple at the end.",
    "He needs a driver because he can't speak Korean.",
    "Misaki drives off alone.",
    "She lives with Yoon-su and Yoon-a.",
    "Kafuku gave her the Saab.",
    "Kafuku lent her the Saab.",
    "Hamaguchi said she starts a new life.",
    "She is back in Hiroshima at the end.",
    "The epilogue is set in Busan.",
    "The epilogue is set in Seoul.",
    "Her mother worked as a hostess.",
    "The man Takatsuki assaulted was a photographer.",
    "Perry Dizon plays Serebryakov.",
    "The film premiered at Cannes on 11 July 2021.",
)


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_rule_flags_its_bad_examples_and_accepts_its_good_ones(claim: Claim) -> None:
    assert claim.bad and claim.good, "every rule needs a positive and a negative example"
    for sentence in claim.bad:
        assert violations(sentence, claim), f"{claim.name} should flag: {sentence}"
    for sentence in claim.good:
        assert not violations(sentence, claim), f"{claim.name} should accept: {sentence}"


@pytest.mark.parametrize("sentence", ISSUE_EXAMPLES)
def test_every_example_in_the_issue_is_caught(sentence: str) -> None:
    assert any(violations(sentence, c) for c in CLAIMS), sentence


def test_rule_names_are_unique() -> None:
    assert len(IDS) == len(set(IDS))


def _kiss() -> Claim:
    return next(c for c in CLAIMS if c.name == "kiss")


@pytest.mark.parametrize(("sentence", "flagged"), [
    ("They share a passionate kiss, but only briefly.", True),  # "but" is not a denial
    ("They kiss, which is not in the story.", True),  # the negation comes after the claim
    ("They do not hug; they kiss.", True),  # the negation is in the other clause
    ("There is no kiss, but a long embrace.", False),
    ("The kiss described in one article is an error.", False),  # a marker anywhere in the clause
    ("Why do they kiss in the snow?", True),  # a wh-question presupposes the kiss
    ("Do they kiss in the snow?", False),  # a yes/no question asks
])
def test_a_negation_only_excuses_the_claim_it_negates(sentence: str, flagged: bool) -> None:
    assert bool(violations(sentence, _kiss())) is flagged


def test_a_negation_inside_the_claim_is_part_of_it() -> None:
    cant_speak = next(c for c in CLAIMS if c.name == "driver-cant-speak")
    assert violations("He is driven because he can't speak Korean.", cant_speak)
    assert not violations("Not because he can't speak Korean.", cant_speak)


def test_exemptions_count_only_in_their_own_clause() -> None:
    cancer = next(c for c in CLAIMS if c.name == "oto-cancer")
    assert violations("Oto dies of cancer, unlike in Murakami's short story.", cancer)
    assert not violations("In Murakami's short story, the wife dies of cancer.", cancer)


def test_readings_are_excused_by_a_hedge_anywhere_in_their_sentence() -> None:
    gave = next(c for c in CLAIMS if c.name == "gave-car")
    assert violations("Kafuku gave her the Saab.", gave)
    assert not violations("One reading: Kafuku gave her the Saab.", gave)
    assert not violations("Did Kafuku give her the Saab? Perhaps he gave her the car.", gave)


def test_sentence_and_clause_splitting() -> None:
    assert sentences("**No.** They embrace.\n- a *list* item. Two") == [
        "No.", "They embrace.", "a list item.", "Two"]
    assert clauses("They embrace; there is no kiss, but a hug") == [
        "They embrace", "there is no kiss", "a hug"]


@pytest.mark.parametrize(("text", "yes_no"), [
    ("do they kiss", True), ("is the ending in busan or seoul", True),
    ("misaki is back in hiroshima at the end right", True), ("kiss in the snow?", True),
    ("why do they kiss", False), ("so what kind of cancer did oto have?", False),
    ("someone said they make out", False),
])
def test_yes_no_questions(text: str, yes_no: bool) -> None:
    assert is_yes_no(text) is yes_no


# ---------------------------------------------------------------- the shipped pack


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_pack_states_no_wrong_claim(claim: Claim) -> None:
    """Titles, answers, readings, source titles and film.yaml, in the pack's own voice."""
    found = [f"{where}: {s}"
             for where, text in statement_texts(ENTRIES, INTERPRETATIONS, FILM, claim)
             for s in violations(text, claim)]
    assert not found, f"{claim.name} ({claim.why}):\n" + "\n".join(found)


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_a_false_premise_leads_only_to_an_entry_that_corrects_it(claim: Claim) -> None:
    """A question or alias built on a wrong claim ("did they kiss in the snow") must find an
    entry whose answer addresses that claim in a sentence that negates, hedges or corrects it."""
    problems = []
    for stem, entry in ENTRIES.items():
        carried = [f"{kind} {phrase!r}" for kind, phrase in search_phrases(entry)
                   if carries(phrase, claim)]
        if carried and not judge(entry["answer"], claim)[1]:
            problems.append(f"{stem}: {', '.join(carried)} but the answer never corrects it")
    assert not problems, f"{claim.name} ({claim.why}):\n" + "\n".join(problems)
