"""Words of user text: normalized tokens, English stems, stopwords and one-edit typos.

Pure functions of text, kept apart from ``bot.search`` so that module holds only the index.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("english")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren as at be because been
    before being below between both but by can cant could couldn did didn do does doesn doing
    don down during each either else ever few for from further get gets got had hadn has hasn
    have haven having he her here hers herself him himself his how i if in into is isn it its
    itself just like ll me mean means meant more most my myself no nor not now of off on once
    only or other our ours out over own re really s same shan she should shouldn so some such
    t than that the their theirs them themselves then there these they this those through to
    too under until up very was wasn we were weren what whats when where which while who whom
    why will with won would wouldn y you your yours yourself ve d m o
    anyone anybody someone something anything everyone everything explain explained
    tell pls plz please thanks thx lol lmao idk tbh ok okay hey hi hello yo bro guys man
    u ur im ive wanna gonna gotta kinda sorta yeah yes nah wait actually literally
    film movie scene happen happens happened thing things know think understand
    just suddenly everybody somebody stuff exactly supposed deal ton lot lots bunch
    watched watch watching completely totally mostly basically kind sort bit
    true told someone said say says going question questions spoiler spoilers
    ok ok okay guess maybe honestly anyway confused confusing lost
    one two three four five six seven eight nine ten meaning meanings
    dont doesnt didnt isnt wasnt arent werent wont wouldnt shouldnt couldnt
    """.split()
)


def normalize(text: str) -> str:
    """Casefold and strip accents, so "Yūsuke" and "yusuke" are the same word."""
    if text.isascii():  # nothing to decompose or strip: same result, 10x faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """All word tokens of ``text``, normalized."""
    return _TOKEN.findall(normalize(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """English Snowball stem of one normalized word (cached: the vocabulary is small)."""
    return _STEMMER.stemWord(word)


_STEMS: dict[str, str] = {}  # word → stem for terms(): a knowledge base repeats most words
_STEMS_MAX = 500_000  # forget them all past this, rather than grow without bound


def terms(text: str) -> set[str]:
    """Stemmed content terms of ``text`` (stopwords dropped); each distinct word stemmed once."""
    found = set(words(text)) - STOPWORDS
    new = [w for w in found if w not in _STEMS]
    if new:
        if len(_STEMS) + len(new) > _STEMS_MAX:
            _STEMS.clear()
        _STEMS.update(zip(new, _STEMMER.stemWords(new), strict=True))
    return {_STEMS[w] for w in found}


def deletions(word: str) -> set[str]:
    """The word and every form of it with one letter left out (symmetric-delete typo lookup)."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insert, delete, substitution or transposition."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
