"""Words of user text: normalized tokens, English stems, stopwords, chat words and typo edits.

Pure functions of text, kept apart from ``bot.search`` so that module holds only the index.
Every function here does bounded work whatever the text: input is cut before and after
Unicode normalization (NFKD turns one ``㌖`` into six letters), questions keep at most
``MAX_WORDS`` words, and typo edits are only worked out for words of at most ``MAX_TYPO_LEN``
letters. Lone surrogates and other unencodable characters are never part of a word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from bot import usertext

_TOKEN = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("english")
MAX_INPUT = 2000  # characters of a question looked at (the /ask limit is 1,000)
MAX_NORMALIZED = 4000  # characters after NFKD, which can multiply length by up to 18
MAX_WORDS = 80  # words of one question that are analysed
MAX_TYPO_LEN = 16  # longer words are never typo-corrected (hardly any real word is longer)
LETTERS = "abcdefghijklmnopqrstuvwxyz"

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
# Question words and the words that say what kind of answer is wanted are fillers for
# coverage, but they tell one question from another ("why is she in Korea" / "where is she
# at the end"; "what does the ending mean" / "what happens at the end"), so phrasing likeness
# keeps them: CUE_WORDS.
WH_WORDS = frozenset("who whom whose why where when how which".split())
CUE_WORDS = WH_WORDS | frozenset("mean means meant meaning happen happens happened explain "
                                 "explained".split())
# Chat shorthand, slang and fillers: they say how something is asked, never what about.
# They are dropped like stopwords, so they can neither dilute nor decide a match.
CHAT_WORDS = frozenset(
    """ngl tbh fr frfr imo imho idk iirc afaik btw rn smh lol lmao lmfao rofl omg wtf tf af
    bc cuz coz cos tho thru abt w wo wat wut wot whatd whys hows wheres whos r n k kk
    smth sth ppl pls plz thx ty tysm np nvm ofc def prolly srsly lowkey highkey
    og gf bf bro bruh dude fam yall ya yea yep yup nope nah hmm hm ah oh uh um umm er
    lemme gimme dunno aint ain gotcha welp ig istg deadass okk alright anyways
    honestly genuinely seriously basically apparently totally somehow pretty though probably
    """.split()
)


# Chat spellings of common words, read as the words they stand for.
SHORTHAND = {
    "wat": "what", "wut": "what", "wot": "what", "whats": "what", "wats": "what",
    "u": "you", "ur": "your", "r": "are", "y": "why", "n": "and", "w": "with", "b4": "before",
    "bc": "because", "cuz": "because", "coz": "because", "cos": "because", "abt": "about",
    "tho": "though", "thru": "through", "smth": "something", "sth": "something",
    "ppl": "people", "pls": "please", "plz": "please", "thx": "thanks", "ty": "thanks",
    "prolly": "probably", "rn": "now", "gf": "girlfriend", "bf": "boyfriend", "og": "original",
}


def clean(text: str) -> str:
    """At most MAX_INPUT characters of ``text``, lone surrogates replaced (``bot.usertext``)."""
    return usertext.clean(text[:MAX_INPUT])


def normalize(text: str) -> str:
    """Casefold and strip accents, so "Yūsuke" and "yusuke" are the same word (bounded)."""
    text = text[:MAX_INPUT]
    if text.isascii():  # nothing to decompose or strip: same result, 10x faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)[:MAX_NORMALIZED]
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """All word tokens of ``text``, normalized (at most MAX_WORDS of them)."""
    found = []
    for match in _TOKEN.finditer(normalize(text)):
        found.append(match.group())
        if len(found) >= MAX_WORDS:
            break
    return found


def is_filler(word: str) -> bool:
    """A stopword or chat word: says how something is asked, not what about."""
    return word in STOPWORDS or word in CHAT_WORDS


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """English Snowball stem of one normalized word (cached: the vocabulary is small)."""
    return _STEMMER.stemWord(word)


_STEMS: dict[str, str] = {}  # word → stem for terms(): a knowledge base repeats most words
_STEMS_MAX = 500_000  # forget them all past this, rather than grow without bound


def stems_of(found: list[str] | set[str]) -> list[str]:
    """Stems of many words at once (one C call for the new ones), in order."""
    new = [w for w in set(found) if w not in _STEMS]
    if new:
        if len(_STEMS) + len(new) > _STEMS_MAX:
            _STEMS.clear()
        _STEMS.update(zip(new, _STEMMER.stemWords(new), strict=True))
    return [_STEMS[w] for w in found]


def terms(text: str) -> set[str]:
    """Stemmed content terms of ``text`` (stopwords dropped); each distinct word stemmed once."""
    return set(stems_of(set(_TOKEN.findall(normalize_all(text))) - STOPWORDS))


def term_sequence(text: str) -> str:
    """The stemmed content words of ``text`` in order, space-separated: what FTS5 indexes,
    so that the index and the questions use one stemmer."""
    found = [w for w in _TOKEN.findall(normalize_all(text)) if w not in STOPWORDS]
    return " ".join(stems_of(found))


def normalize_all(text: str) -> str:
    """Like ``normalize`` but for curated text (entries), which has no length limit."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words_all(normalized: str) -> list[str]:
    """Every word token of already normalized curated text (no limit)."""
    return _TOKEN.findall(normalized)


def edits(word: str) -> set[str]:
    """Every string one edit away (delete, transpose, substitute, insert; a-z only).

    At most about 54 x MAX_TYPO_LEN strings: callers bound the word length first.
    """
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    out |= {a + c + b for a, b in splits for c in LETTERS}
    out.discard(word)
    return out


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
