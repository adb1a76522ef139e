"""Training questions for the confidence model that are not an evaluation set.

The eval sets measure the bot, so the model must not be fitted on them. It learns from:

- **positives from the pack itself**, held out: each entry's title and listed questions are
  split into FOLDS folds; for each fold, every entry is indexed without that fold's
  phrasings and the held-out phrasings are asked. The entry they came from is the right
  answer. Each is also asked in chat style (``chat_variants``: lowercase, fillers, a typo,
  a remark around it), since that is how people type. The chat variants are also asked of
  the whole pack, as close paraphrases of a listed question;
- **negatives written for the purpose**, ``data/training-negatives.yaml``: out-of-scope chat
  (other films, the actors' other work, Murakami's other books, the Beatles song, buying a
  Saab, that year's Oscars, unknown details, far-off topics), written fresh, not taken from
  any eval set. No candidate is right for them.

``bot.calibration.refit`` fits the model on the candidates of these questions.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import yaml

from bot.knowledge import Entry, KnowledgeBase
from bot.words import words

FOLDS = 10
NEGATIVES = "training-negatives.yaml"
# How people wrap a question in chat. Written for this file, from no eval set.
_OPENERS = ("ngl ", "ok so ", "wait ", "quick q: ", "can someone explain ", "hmm ",
            "so uh ", "genuine question, ", "lowkey confused: ", "help: ")
_CLOSERS = (" lol", " tho", "??", " fr", " ?", " pls", " i dont get it", " someone help",
            " its been bugging me", " no spoilers for the rest pls")
_REMARKS = ("just finished it. ", "rewatched it yesterday. ", "still thinking about this one. ",
            "that movie wrecked me. ", "finally saw it on a plane. ", "")


@dataclass(frozen=True)
class Example:
    """A training question and the entry that answers it (None: nothing does)."""

    question: str
    entry_id: str | None
    style: str  # "pack", "chat" or "negative"


def folded(entries: Sequence[Entry], fold: int, folds: int = FOLDS
           ) -> tuple[list[Entry], list[Example]]:
    """The entries without this fold's phrasings, and those phrasings as questions.

    Which fold a phrasing falls in depends only on the entry id and the text (crc32), so the
    folds are the same on every run. An entry keeps at least one phrasing as its title.
    """
    kept, held = [], []
    for entry in entries:
        phrasings = list(dict.fromkeys((entry.title, *entry.questions)))
        out = [p for p in phrasings if zlib.crc32(f"{entry.id}\n{p}".encode()) % folds == fold]
        stay = [p for p in phrasings if p not in out]
        if not stay:  # nothing left to find it by: hold out all but one
            stay, out = out[:1], out[1:]
        kept.append(replace(entry, title=stay[0], questions=tuple(stay[1:]) or (stay[0],)))
        held += [Example(p, entry.id, "pack") for p in out]
    return kept, held


def chat_variants(question: str, seed: int) -> list[str]:
    """Two chat-style versions of a question: lowercase without punctuation and with a
    filler or remark around it; and the same with one typo in a long word."""
    rng = random.Random(seed)
    bare = " ".join(words(question))
    chatty = (rng.choice(_REMARKS) + rng.choice(_OPENERS) + bare + rng.choice(_CLOSERS)).strip()
    long_words = [w for w in bare.split() if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return [chatty]
    word = rng.choice(long_words)
    i = rng.randrange(1, len(word) - 1)
    typo = rng.choice((word[:i] + word[i + 1:],  # a letter dropped
                       word[:i] + word[i + 1] + word[i] + word[i + 2:]))  # two swapped
    return [chatty, " ".join(typo if w == word else w for w in bare.split())]


def negatives(path: Path | None = None) -> list[Example]:
    """The written out-of-scope questions (``data/training-negatives.yaml``)."""
    text = (path.read_text(encoding="utf-8") if path else
            (resources.files("bot") / "data" / NEGATIVES).read_text(encoding="utf-8"))
    data = yaml.safe_load(text)
    return [Example(q, None, "negative") for group in data.values() for q in group]


def pack_examples(kb: KnowledgeBase, folds: int = FOLDS) -> Iterator[tuple[list[Entry],
                                                                           list[Example]]]:
    """The entries to index and the questions to ask them: per fold, the held-out
    phrasings and their chat variants; then every entry with the chat variants of its own
    phrasings (people often ask a listed question in their own words: the model must learn
    what a close paraphrase looks like, which held-out phrasings never show it)."""
    entries = list(kb.entries.values())
    near = []
    for entry in entries:
        for n, phrasing in enumerate((entry.title, *entry.questions)):
            seed = zlib.crc32(f"near:{entry.id}:{n}".encode())
            near += [Example(v, entry.id, "paraphrase") for v in chat_variants(phrasing, seed)]
    yield entries, near
    for fold in range(folds):
        kept, held = folded(list(kb.entries.values()), fold, folds)
        examples = []
        for n, example in enumerate(held):
            examples.append(example)
            seed = zlib.crc32(f"{fold}:{n}:{example.question}".encode())
            examples += [Example(v, example.entry_id, "chat")
                         for v in chat_variants(example.question, seed)]
        yield kept, examples
