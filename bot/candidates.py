"""The candidates for a question, scored: the features of each and its calibrated confidence.

``SearchIndex`` finds up to twenty candidate entries with FTS5; this module works out, for
each, the features ``bot.calibration`` describes (from the stems stored with the entry, with
no further query) and the probability that it is the right answer.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from bot import calibration
from bot.query import Query
from bot.words import stem, words

ANSWER_ONLY_WEIGHT = 0.5  # a word found only in the answer counts half
TYPO_WEIGHT = 0.8  # a word matched only through a typo fix or a word of the same family
UNKNOWN_WEIGHT, FOREIGN_WEIGHT = 1.0, 2.5
# An entry whose title, questions, aliases and tags share no word with the question is at
# most a closest match, however its answer text happens to match.
KEYLESS_CAP = 0.4
TIE = 0.01  # candidates whose coverage is this close count as tied


@dataclass(frozen=True)
class Hit:
    """One candidate entry for a question."""

    id: str
    title: str
    spoiler: bool
    confidence: float  # 0..1: calibrated probability that this entry answers the question
    rank: float  # bm25 (lower is better), for tie-breaking
    features: tuple[float, ...] = ()  # calibration.FEATURES, for evaluation and refitting


def score(query: Query, rows: Sequence[tuple]) -> list[Hit]:
    """A hit for each candidate row (id, title, spoiler, key terms, answer terms, phrasings,
    tags, bm25), in the order given."""
    covers = [_coverage(query, f" {r[3]} ", f" {r[4]} ") for r in rows]
    ascending = sorted(c[0] for c in covers)
    hits = []
    mentioned = {s for t in query.terms for s in t.stems}
    for n, (entry_id, title, spoiler, _key, _answer, phrasings, tags, rank) in enumerate(rows):
        cover, key_cover, rare = covers[n]
        # the best coverage among the other candidates, and how many cover as well
        runner_up = 0.0 if len(ascending) < 2 else (
            ascending[-2] if cover >= ascending[-1] else ascending[-1])
        ties = len(ascending) - bisect.bisect_left(ascending, cover - TIE)
        phrasing = _phrasing(query.asked, phrasings)
        values = (cover, key_cover, rare, query.unknown / max(query.content, 1),
                  float(query.foreign > 0), phrasing, cover - runner_up,
                  float(len(query.terms) == 1), float(query.elsewhere), 1.0 / ties,
                  float(any(stem(w) in mentioned for w in words(tags))))
        p = calibration.probability(values)
        if not key_cover:  # the question names nothing the entry is about
            p = min(p, KEYLESS_CAP)
        hits.append(Hit(entry_id, title, bool(spoiler), p, rank, values))
    return hits


def _phrasing(asked: frozenset[str], phrasings: str) -> float:
    """Best Jaccard similarity between the question's words (stopwords included) and the
    entry's title or one of its listed questions (stored as lines of distinct stems)."""
    best = 0.0
    for line in phrasings.split("\n"):
        theirs = line.split()
        if theirs:
            shared = len(asked.intersection(theirs))
            best = max(best, shared / (len(asked) + len(theirs) - shared))
    return best


def _coverage(query: Query, key: str, answer: str) -> tuple[float, float, float]:
    """(weighted coverage, the same counting key fields only, rarest term covered) of the
    question's words by one entry. ``key`` and ``answer`` are the entry's space-separated
    stems with a space at each end, searched as text (faster than building sets).

    Known terms weigh their IDF (less when incidental or everyday); a real word the knowledge
    base never uses weighs UNKNOWN_WEIGHT and a foreign word FOREIGN_WEIGHT, about as much as
    a common known word and a rare one: no entry covers them, so they lower every entry alike
    without dominating the question.
    """
    covered = in_key = 0.0
    total = UNKNOWN_WEIGHT * query.unknown + FOREIGN_WEIGHT * query.foreign
    rarest = max(query.terms, key=lambda t: t.weight)
    rare = 0.0
    for t in query.terms:
        weight = t.weight * (TYPO_WEIGHT if t.typo else 1.0)
        total += t.weight
        if any(f" {s} " in key for s in t.stems):
            covered += weight
            in_key += weight
            share = 1.0
        elif any(f" {s} " in answer for s in t.stems):
            covered += weight * ANSWER_ONLY_WEIGHT
            share = 0.5
        else:
            share = 0.0
        if t is rarest:
            rare = share
    return covered / total, in_key / total, rare
