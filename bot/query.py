"""A question taken apart: the words the knowledge base knows, typo fixes, and the rest.

Each word of a question ends up in exactly one place:

- a filler (stopword or chat shorthand): it says how something is asked, never what about;
- a known term: its stem (or a synonym's) is in the knowledge base's vocabulary;
- a typo of a known word, or of an English word: fixed only when the word is neither in the
  knowledge base nor real English, so real words are never turned into other words;
- an unknown real word ("burning", "ultraman" is not one): English, but never used by the
  knowledge base;
- a foreign word: neither known nor English nor a typo of either, the usual sign of another
  film's names or of a topic the knowledge base has never heard of.

Work is bounded whatever the text: ``words`` keeps at most MAX_WORDS words, at most
MAX_TYPOS words per question are looked up as typos, each at most MAX_TYPO_LEN letters long,
and at most MAX_TERMS known terms go on to the index.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot import english
from bot.words import (
    CUE_WORDS,
    MAX_TYPO_LEN,
    SHORTHAND,
    STOPWORDS,
    edits,
    is_filler,
    stem,
    words,
)

MAX_TYPOS = 4  # words per question looked up as typos
MAX_TERMS = 24  # known terms kept per question (the most specific ones)
MIN_TYPO_LEN = 3  # "wat" → "what"; but a known word is only aimed at from four letters on
MIN_KNOWN_TYPO_LEN = 4
INCIDENTAL = 0.3
EVERYDAY, COMMON = 0.4, 0.7
# Questions about other works than the film: other roles and films, recommendations. ("Other
# stories" is left out: the film draws on other stories of the same book; so is a bare
# "compare" or "recommend": the short story compares to the film, a mechanic "recommends"
# the driver in a false premise.)
_ELSEWHERE = re.compile(
    r"\b(?:what|which|who) else\b|\banything else\b|\bbesides (?:this|that|it)\b"
    r"|\b(?:other|another|next|new|latest|previous|earlier|later) (?:films?|movies?|roles?|works?"
    r"|shows?|series|projects?)\b"
    r"|\b(?:been|starred|star|appeared|appear|acted|act|played) in (?:other|any|anything|what)\b"
    r"|\b(?:make|made|direct|directed|do|did|write|wrote) (?:after|before|since) (?:this|that|it|"
    r"drive)\b"
    r"|\b(?:that|the same) year\b|\bthe year\b.{0,40}\bnominated\b"
    r"|\bworth (?:watching|it|a watch|seeing|reading)\b|\bany good\b"
    r"|\b(?:recommend|suggest) (?:me |us )?(?:a|an|some|any|good|other|similar|more)\b"
    r"|\brecommendations?\b|\bsimilar (?:films?|movies?)\b"
    r"|\bcompared? (?:it |that )?(?:to|with) this (?:one|film|movie)\b"
    r"|\b(?:as \w+ as|than|similar to|movies like|films like) (?:drive my car|dmc|this (?:film|"
    r"movie|one))\b")
PREFIX_SLACK = 3  # "epilog" → "epilogue": a cut-off word finds the known word it starts
MIN_TWO_EDIT_LEN, PREFIX, TWO_EDIT_CANDIDATES = 6, 3, 40  # two-edit typos of long names
# How much an unknown real word says that the question is about something else: more the
# rarer it is in English ("parasite", "turbo"), little for everyday words ("point", "check").
UNKNOWN_RANK_SCALE, UNKNOWN_MAX = 250.0, 4.0
_CUE_STEMS = frozenset(stem(w) for w in CUE_WORDS)


@dataclass(frozen=True)
class Term:
    """A word of the question that the knowledge base knows (perhaps after a typo fix)."""

    word: str  # the known word, after any typo fix
    stems: frozenset[str]  # its stem and its synonyms' stems
    df: int
    idf: float
    typo: bool = False
    topical: bool = True  # used in some entry's title, questions, aliases or tags
    generic: float = 1.0  # less than 1 for everyday English words ("right", "old", "even")

    @property
    def about_film(self) -> bool:
        """A word of what entries are about that is not one of the thousand most everyday
        English words ("ending", "tapes", "misaki"; not "real" or "person")."""
        return self.topical and self.generic > EVERYDAY

    @property
    def weight(self) -> float:
        """How much the word says about which entry is meant: its IDF, but much less for a
        word that only ever occurs inside answers ("guy", "job"), never in what an entry is
        about, and less for everyday English words than for names, places and objects."""
        return self.idf * (1.0 if self.topical else INCIDENTAL) * self.generic


@dataclass(frozen=True)
class Query:
    """What a question is about, as far as the knowledge base can tell."""

    terms: tuple[Term, ...]
    asked: frozenset[str]  # stems of every word, fillers included (for phrasing likeness)
    unknown: int  # real English words the knowledge base never uses
    foreign: int  # words that are neither known, nor English, nor a typo of either
    words: int  # all words of the question, fillers included
    elsewhere: bool = False  # asks about other works ("what else has she been in")
    unknown_weights: tuple[float, ...] = ()  # of the unknown real words (``unknown_weight``)
    cues: frozenset[str] = frozenset()  # stems of its cue words ("why", "who", "mean"...)
    function: frozenset[str] = frozenset()  # stems of its other function words ("the")

    @property
    def unknown_mass(self) -> float:
        return sum(self.unknown_weights)

    @property
    def content(self) -> int:
        """Words that carry meaning: known, unknown and foreign ones."""
        return len(self.terms) + self.unknown + self.foreign


@dataclass(frozen=True)
class Lexicon:
    """What the knowledge base knows, as the analysis needs it."""

    n: int  # entries
    dfs: Callable[[set[str]], Mapping[str, int]]  # stem → document frequency (0: unknown)
    topical: Callable[[str], bool]  # stem used in some entry's key fields
    synonyms: Mapping[str, frozenset[str]]
    surface: Mapping[str, str]  # known words (not stems) → stem, for typo fixes
    sorted_surface: list[str]  # the same words, sorted, for prefix lookups
    titles: tuple[tuple[str, ...], ...] = ()  # the films' titles and aliases, as words
    sorted_stems: tuple[str, ...] = ()  # every known stem, sorted, for word families
    # stem → weight in phrasings (IDF; fixed weights for cue and function words)
    idfs: Mapping[str, float] = field(default_factory=dict)


def unknown_weight(word: str) -> float:
    """The weight of a real English word the knowledge base never uses: about the IDF of a
    rare known word for a rare English word, well under one for an everyday one."""
    rank = english.ranks().get(word)
    if rank is None:
        return 1.0  # a typo of a real word
    return min(UNKNOWN_MAX, math.log1p(rank / UNKNOWN_RANK_SCALE))


def idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def analyse(question: str, lex: Lexicon) -> Query:
    """Take a question apart (see the module docstring). Never raises on user text."""
    tokens = [SHORTHAND.get(w, w) for w in words(question)]
    asked = {stem(w) for w in tokens}
    content: dict[str, str] = {}  # stem → word, first occurrence first
    function = set()
    for word in _without_titles(tokens, lex.titles):
        if not is_filler(word):
            content.setdefault(stem(word), word)
        elif word in STOPWORDS and word not in CUE_WORDS:
            function.add(stem(word))
    groups = {s: lex.synonyms.get(s, frozenset({s})) for s in content}
    dfs = lex.dfs(set().union(*groups.values())) if groups else {}
    terms: dict[str, Term] = {}
    unknown = foreign = typos = 0
    mass: list[float] = []
    for s, word in content.items():
        df = max(dfs.get(a, 0) for a in groups[s])
        if df:
            terms.setdefault(s, _term(word, groups[s], df, lex))
            continue
        if word.isdigit():
            continue  # an unknown number ("17 times 23", "5 minutes") says little
        if english.is_word(word):
            related = derive(s, lex)  # "directed" → "director"
            if related is None:
                unknown += 1
                mass.append(unknown_weight(word))
            else:
                group = lex.synonyms.get(related, frozenset({related}))
                rdf = max(lex.dfs(set(group)).values(), default=0)
                terms.setdefault(related, _term(word, group, rdf, lex, typo=True))
            continue
        fixed = None
        if (typos < MAX_TYPOS and MIN_TYPO_LEN <= len(word) <= MAX_TYPO_LEN and word.isascii()
                and word.isalpha()):
            typos += 1
            fixed = correct(word, lex)
            if fixed is not None:  # phrasing likeness reads the word that was meant
                asked.discard(s)
                asked.add(stem(fixed))
        if fixed is None:
            foreign += 1
        elif is_filler(fixed):
            continue
        elif fixed in lex.surface:
            fs = lex.surface[fixed]
            group = lex.synonyms.get(fs, frozenset({fs}))
            fdf = max(lex.dfs(set(group)).values(), default=0)
            if fdf:
                terms.setdefault(fs, _term(fixed, group, fdf, lex, typo=True))
            else:
                unknown += 1
                mass.append(1.0)
        else:
            unknown += 1  # a typo of a real word the knowledge base does not use
            mass.append(unknown_weight(fixed))
    elsewhere = bool(_ELSEWHERE.search(" ".join(tokens)))
    kept = list(terms.values())
    if len(kept) > MAX_TERMS:
        best = set(sorted(kept, key=lambda t: -t.weight)[:MAX_TERMS])
        kept = [t for t in kept if t in best]
    return Query(tuple(kept), frozenset(asked), unknown, foreign, len(tokens), elsewhere,
                 tuple(mass), _CUE_STEMS.intersection(asked), frozenset(function))


def _term(word: str, group: frozenset[str], df: int, lex: Lexicon, typo: bool = False) -> Term:
    stems = group | family(group, lex)
    return Term(word, stems, df, idf(lex.n, df), typo, any(lex.topical(s) for s in stems),
                EVERYDAY if word.isdigit() else generic(word))


def generic(word: str) -> float:
    """How specific a word is in English at large: the thousand most frequent words weigh
    EVERYDAY, the next four thousand COMMON, the rest (and names, which are not in the
    list) fully."""
    rank = english.ranks().get(word)
    if rank is None or rank >= 5000:
        return 1.0
    return EVERYDAY if rank < 1000 else COMMON


def family(group: frozenset[str], lex: Lexicon) -> frozenset[str]:
    """Known stems of the same word family as these ("direct" → "director", "directorial"
    is too far): a stem of five letters or more and the known stems that start with it and
    run at most PREFIX_SLACK letters longer."""
    found = set()
    for s in group:
        if len(s) < 5:
            continue
        start = bisect.bisect_right(lex.sorted_stems, s)
        for other in lex.sorted_stems[start:start + 8]:
            if not other.startswith(s):
                break
            if len(other) - len(s) <= PREFIX_SLACK:
                found.add(other)
    return frozenset(found)


def _without_titles(tokens: list[str], titles: tuple[tuple[str, ...], ...]) -> list[str]:
    """The words without the film's title ("how long is drive my car"): every entry is about
    the film, so its title says nothing about which one is meant. Kept when nothing else is."""
    out = list(tokens)
    for title in titles:
        n = len(title)
        i = 0
        while n and i + n <= len(out):
            if tuple(out[i:i + n]) == title:
                del out[i:i + n]
            else:
                i += 1
    return out if any(not is_filler(w) for w in out) else tokens


def derive(s: str, lex: Lexicon) -> str | None:
    """A known stem of the same family as the unknown stem ``s`` ("direct" → "director",
    "performer" → "perform"), or None. Only for stems of five letters or more."""
    if len(s) < 5:
        return None
    for cut in range(1, PREFIX_SLACK + 1):  # a known stem that s starts with
        if len(s) - cut >= 5 and lex.dfs({s[:-cut]}).get(s[:-cut], 0):
            return s[:-cut]
    start = bisect.bisect_left(lex.sorted_surface, s)
    best, best_df = None, 0
    for other in lex.sorted_surface[start:start + 8]:  # a known word that starts with s
        if not other.startswith(s):
            break
        if len(other) - len(s) <= PREFIX_SLACK:
            df = lex.dfs({lex.surface[other]}).get(lex.surface[other], 0)
            if df > best_df:
                best, best_df = lex.surface[other], df
    return best


def correct(word: str, lex: Lexicon) -> str | None:
    """The word a typo most likely meant: a known word one edit away (or that the word
    starts), else the most frequent English word one edit away; None when there is none."""
    candidates = edits(word)
    known = ([c for c in candidates if c in lex.surface and len(c) >= MIN_KNOWN_TYPO_LEN]
             if len(word) >= MIN_KNOWN_TYPO_LEN else [])
    if not known and len(word) >= 5:
        start = bisect.bisect_left(lex.sorted_surface, word)
        for other in lex.sorted_surface[start:start + 8]:
            if not other.startswith(word):
                break
            if len(other) - len(word) <= PREFIX_SLACK:
                known.append(other)
    if known:
        dfs = lex.dfs({lex.surface[k] for k in known})
        return max(sorted(known), key=lambda k: dfs.get(lex.surface[k], 0))
    ranks = english.ranks()
    found = [c for c in candidates if c in ranks]
    if found:
        return min(found, key=ranks.__getitem__)
    return _two_edits(word, lex) if len(word) >= MIN_TWO_EDIT_LEN else None


def _two_edits(word: str, lex: Lexicon) -> str | None:
    """A known name two edits away from a long word ("takatsky" → "takatsuki"), looked for
    only among the known words that share its first letters: bounded work."""
    start = bisect.bisect_left(lex.sorted_surface, word[:PREFIX])
    best: tuple[int, int, str] | None = None
    for other in lex.sorted_surface[start:start + TWO_EDIT_CANDIDATES]:
        if not other.startswith(word[:PREFIX]):
            break
        if abs(len(other) - len(word)) > 2 or other in english.ranks():
            continue
        distance = damerau(word, other, 2)
        if distance <= 2:
            df = lex.dfs({lex.surface[other]}).get(lex.surface[other], 0)
            if df and (best is None or (distance, -df) < best[:2]):
                best = (distance, -df, other)
    return best[2] if best else None


def damerau(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance between a and b, or limit + 1 once it exceeds limit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
