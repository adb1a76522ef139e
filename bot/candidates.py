"""The candidates for a question, scored: the features of each and its calibrated confidence.

``SearchIndex`` finds up to twenty candidate entries with FTS5; this module works out, for
each, the features ``bot.calibration`` describes (from the stems stored with the entry, with
no further query) and the probability that it is the right answer.

Two views of a match are combined. Coverage asks how much of what the question is about the
entry covers anywhere (its answer included). Phrasing asks the FAQ question: which single way
of asking that the entry lists (its title, one listed question, one alias) is most like this
question, each scored as its own short document. A question that paraphrases one listed
question then beats an entry whose long answer happens to share its words.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import calibration
from bot.query import Query
from bot.words import CUE_WORDS, STOPWORDS, stem, words

ANSWER_ONLY_WEIGHT = 0.5  # a word found only in the answer counts half
TYPO_WEIGHT = 0.8  # a word matched only through a typo fix or a word of the same family
FOREIGN_WEIGHT = 2.5
# Question words in phrasings: "why is she in Korea" is not "where is she at the end".
CUE_WEIGHT = 1.0
_CUE_STEMS = frozenset(stem(w) for w in CUE_WORDS)
# Other function words count a little: "what does everyone here think the ending means" is
# not quite "what does the ending mean".
FUNCTION_WEIGHT = 0.3
_FUNCTION_STEMS = frozenset(stem(w) for w in STOPWORDS) - _CUE_STEMS
# An entry whose title, questions, aliases and tags share no word with the question is at
# most a closest match, however its answer text happens to match.
KEYLESS_CAP = 0.4
# A question about other works ("what else has she been in", "is burning as good") is not
# answered from an entry about this film, however many of its names it shares: at most the
# entry is offered as a closest match.
ELSEWHERE_CAP = 0.4
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


def phrase_weights(idfs: Mapping[str, float]) -> dict[str, float]:
    """How much each stem of a phrasing weighs: its IDF, CUE_WEIGHT for cue words and
    FUNCTION_WEIGHT for other function words (one lookup per stem)."""
    weights = dict(idfs)
    weights.update(dict.fromkeys(_FUNCTION_STEMS, FUNCTION_WEIGHT))
    weights.update(dict.fromkeys(_CUE_STEMS, CUE_WEIGHT))
    return weights


def with_lengths(phrasings: str, weigh: Mapping[str, float]) -> str:
    """The stored phrasings, each line prefixed with its length under ``weigh`` (worked out
    when the entry is indexed, so a question only looks at the stems it shares)."""
    return "\n".join(
        f"{math.sqrt(sum(weigh.get(s, 0.0) ** 2 for s in line.split())):.6g} {line}"
        for line in phrasings.split("\n"))


def score(query: Query, rows: Sequence[tuple], idfs: Mapping[str, float]) -> list[Hit]:
    """A hit for each candidate row (id, title, spoiler, key terms, answer terms, phrasings,
    tags, bm25), in the order given. ``idfs``: ``phrase_weights`` of the knowledge base."""
    covers = [_coverage(query, f" {r[3]} ", f" {r[4]} ") for r in rows]
    ascending = sorted(c[0] for c in covers)
    weights = _question_weights(query)
    phrased = [_phrasing(weights, r[5], idfs) for r in rows]
    best_phrased = sorted(phrased)[-2:]
    hits = []
    mentioned = {s for t in query.terms for s in t.stems}
    unknown = query.unknown_mass + FOREIGN_WEIGHT * query.foreign
    known = sum(t.weight for t in query.terms)
    for n, (entry_id, title, spoiler, _key, _answer, _phrasings, tags, rank) in enumerate(rows):
        cover, key_cover, rare = covers[n]
        # the best coverage among the other candidates, and how many cover as well
        runner_up = 0.0 if len(ascending) < 2 else (
            ascending[-2] if cover >= ascending[-1] else ascending[-1])
        ties = len(ascending) - bisect.bisect_left(ascending, cover - TIE)
        phrasing = phrased[n]
        other_phrasing = 0.0 if len(best_phrased) < 2 else (
            best_phrased[-2] if phrasing >= best_phrased[-1] else best_phrased[-1])
        values = (cover, key_cover, rare, unknown / max(unknown + known, 1e-9),
                  float(query.foreign > 0), phrasing, cover - runner_up,
                  float(len(query.terms) == 1), float(query.elsewhere), 1.0 / ties,
                  float(any(stem(w) in mentioned for w in words(tags))),
                  phrasing - other_phrasing)
        p = calibration.probability(values)
        if not key_cover:  # the question names nothing the entry is about
            p = min(p, KEYLESS_CAP)
        if query.elsewhere:
            p = min(p, ELSEWHERE_CAP)
        hits.append(Hit(entry_id, title, bool(spoiler), p, rank, values))
    return hits


def _question_weights(query: Query) -> tuple[dict[str, tuple[int, float]], float]:
    """The question as a weighted bag for phrasing likeness: stem → (which word, weight),
    and the squared length of the whole question (its unknown and foreign words included,
    which no phrasing has)."""
    found: dict[str, tuple[int, float]] = {}
    norm = sum(w * w for w in query.unknown_weights) + FOREIGN_WEIGHT ** 2 * query.foreign
    for n, t in enumerate(query.terms):
        w = t.weight * (TYPO_WEIGHT if t.typo else 1.0)
        norm += w * w
        for s in t.stems:
            found.setdefault(s, (n, w))
    for n, s in enumerate(sorted(query.cues), start=len(query.terms)):
        found.setdefault(s, (n, CUE_WEIGHT))
        norm += CUE_WEIGHT ** 2
    for n, s in enumerate(sorted(query.function), start=len(found) + len(query.terms)):
        if s not in found:
            found[s] = (n, FUNCTION_WEIGHT)
            norm += FUNCTION_WEIGHT ** 2
    return found, norm


def _phrasing(question: tuple[dict[str, tuple[int, float]], float], phrasings: str,
              weigh: Mapping[str, float]) -> float:
    """Best weighted cosine between the question and one of the entry's phrasings (title,
    listed questions, aliases: stored as lines of their length and distinct stems, see
    ``with_lengths``), each phrasing scored as its own short document."""
    weights, norm = question
    if norm <= 0:
        return 0.0
    best, root, asked = 0.0, math.sqrt(norm), weights.keys()
    for line in phrasings.split("\n"):
        head, _, stems = line.partition(" ")
        shared = asked & set(stems.split())  # in C: the few stems this line shares
        if not shared:
            continue
        # a word counts once, by its best-weighted stem here (synonyms share a word number)
        by_word: dict[int, float] = {}
        for s in shared:
            n, w = weights[s]
            value = w * weigh.get(s, 0.0)
            if value > by_word.get(n, 0.0):
                by_word[n] = value
        dot = sum(by_word.values())
        if dot and dot > best * root * float(head):
            best = dot / (root * float(head))
    return best


def _coverage(query: Query, key: str, answer: str) -> tuple[float, float, float]:
    """(weighted coverage, the same counting key fields only, rarest term covered) of the
    question's words by one entry. ``key`` and ``answer`` are the entry's space-separated
    stems with a space at each end, searched as text (faster than building sets).

    Known terms weigh their IDF (less when incidental or everyday); a real word the knowledge
    base never uses weighs more the rarer it is in English (``query.unknown_weight``), and a
    foreign word FOREIGN_WEIGHT: no entry covers them, so they lower every entry alike.
    """
    covered = in_key = 0.0
    total = query.unknown_mass + FOREIGN_WEIGHT * query.foreign
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
