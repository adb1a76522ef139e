"""Synthetic knowledge packs and question sets for the benchmarks, deterministic from a seed.

A pack is a real folder in the format of ``knowledge/README.md`` (``drive-my-car/film.yaml``,
``interpretations.yaml``, ``entries/<id>.yaml``), so the benchmarks exercise the same load,
validation and indexing code as production. Entries look like curated ones: a title of about
60 characters, 4-8 questions, a 300-900 character answer, tags, aliases, sources and related ids.

Words are drawn from a Zipf distribution over one vocabulary: Drive My Car words and common
English words at the top ranks, then generated pseudo-words (its size follows Heaps' law, so
bigger packs have more distinct words, as real text does). Function words fill about 40% of
the running text. Each entry has two topic words, which appear in its title, questions, tags
and answer, so questions have a right answer and the ranking is not trivial.

Questions paraphrase an entry question (fillers, dropped words, synonyms, a typo in a long
word) or, for about 15%, are about something else entirely (other films, other topics).

Packs are cached by size and seed (default ``/tmp/dmc-bench-cache``), so reruns are quick:

    python benchmarks/synth.py --size 10000            # builds (or finds) the pack, prints its path
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

VERSION = 2  # bump when the generator changes, so stale caches are not reused
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "dmc-bench-cache"
FILM = "drive-my-car"

NAMES = "kafuku misaki oto takatsuki yusuke watari yoona yoonsu janice sonya vanya".split()
FILM_WORDS = """
    saab hiroshima korea tokyo hokkaido chekhov uncle theatre rehearsal festival cassette tape
    glaucoma scar lamprey story wife affair daughter grief guilt road driver car red cigarette
    sunroof snow landslide village mother dog supermarket mask ending epilogue hamaguchi
    murakami novel stories women sign language audition actor play multilingual performance
    script screenplay oscar cannes award ferry incinerator garbage plant hospital funeral
    stroke silence voice recording lines seat highway tunnel bridge island apartment hotel
    lobby dinner bar interview mirror child death living scene stage director cast crew
    """.split()
ENGLISH = """
    time life way year day world hand part place case week work point home water room area
    money fact month night line end member city name family story eye head house friend hour
    game power change minute idea body face others level office door health person art war
    history party result morning reason research girl guy moment air teacher force education
    foot boy age policy process music market sense nation plan college interest experience
    death field development role effect class control care field paper space ground form
    event matter center couple site project activity star table need court american oil
    situation cost industry figure street image phone data picture practice piece land
    product doctor wall patient worker news test movie north love support technology step
    baby computer type attention film tree source organization hair window evidence
    """.split()
FUNCTION = """
    the of and to a in is that it was for on are as with his they at be this from have or by
    one had not but what all were when we there can an your which their said if do will each
    about how up out them then she many some so these would other into has her two more him
    see could no way than been who its did now after over just where most also back only
    """.split()
SYNONYMS = [["kafuku", "yusuke"], ["takatsuki", "koji"], ["misaki", "watari"],
            ["oto", "wife"], ["ending", "epilogue", "finale"], ["korea", "korean"],
            ["dog", "puppy"], ["tape", "cassette", "recording"], ["driver", "chauffeur"],
            ["mother", "mom", "mum"], ["theatre", "theater"], ["die", "death", "dead"]]
OTHER_FILMS = """
    parasite titanic inception oppenheimer barbie godzilla totoro amelie jaws alien matrix
    interstellar gladiator casablanca vertigo psycho rashomon akira shoplifters burning
    roma arrival joker dune moonlight whiplash memento tenet avatar frozen coco up
    """.split()
OTHER_TOPICS = """
    recipe weather football bitcoin stocks homework python minecraft vaccine election pizza
    guitar marathon volcano dinosaur spaceship quarterback lasagna mortgage printer wifi
    netflix playstation tarot horoscope skincare sourdough crypto nba chess anime
    """.split()
HEAD = 60  # topic words never come from the 60 most frequent content words
SYLLABLES = [c + v for c in "bdfghkmnprstvyz" for v in "aeiou"] + ["n", "ri", "sho", "kyo"]


@dataclass(frozen=True)
class Question:
    text: str
    expected: str | None  # entry id, or None when the bot should abstain


class Vocabulary:
    """Zipf-distributed content words and function words, built from one seed."""

    def __init__(self, rng: random.Random, corpus_tokens: int):
        generated: list[str] = []
        seen = set(NAMES) | set(FILM_WORDS) | set(ENGLISH) | set(FUNCTION) | set(OTHER_FILMS)
        seen |= set(OTHER_TOPICS) | {w for group in SYNONYMS for w in group}
        target = int(30 * corpus_tokens**0.5)  # Heaps' law, K=30, beta=0.5
        while len(generated) < target:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
            if len(word) >= 4 and word not in seen:
                seen.add(word)
                generated.append(word)
        core, rest = NAMES + FILM_WORDS[:12], FILM_WORDS[12:] + ENGLISH
        rng.shuffle(core)
        rng.shuffle(rest)
        self.content = core + rest + generated  # the film's words are the most frequent
        # Zipf over content words only: the offset stands for the function words above them,
        # so the top content word is in about half the entries, as "kafuku" is in the real pack.
        weights = [1 / (r + 20) ** 1.07 for r in range(len(self.content))]
        self._content_cw = list(accumulate(weights))
        self._tail, self._tail_cw = self.content[HEAD:], list(accumulate(weights[HEAD:]))
        self._function_cw = list(accumulate(1 / (r + 1) for r in range(len(FUNCTION))))
        self.rng = rng

    def words(self, k: int) -> list[str]:
        return self.rng.choices(self.content, cum_weights=self._content_cw, k=k)

    def topic(self) -> str:
        """A content word off the head of the distribution: distinctive, yet shared."""
        return self.rng.choices(self._tail, cum_weights=self._tail_cw)[0]

    def sentence(self, topics: list[str]) -> str:
        n = self.rng.randint(8, 20)
        content = iter(self.words(n))
        function = iter(self.rng.choices(FUNCTION, cum_weights=self._function_cw, k=n))
        out = [next(function) if self.rng.random() < 0.4 else next(content) for _ in range(n)]
        if topics and self.rng.random() < 0.6:
            out.insert(self.rng.randrange(len(out) + 1), self.rng.choice(topics))
        text = " ".join(out)
        return text[0].upper() + text[1:] + "."


def _entry(vocab: Vocabulary, i: int, ids: list[str]) -> dict:
    rng = vocab.rng
    t1, t2 = vocab.topic(), vocab.topic()
    name = rng.choice(NAMES)
    w1, w2, w3 = vocab.words(3)
    title = rng.choice([
        f"Why does {name.title()} {t1} the {t2} before the {w1}?",
        f"What does the {t1} {t2} mean for {name.title()} and the {w1}?",
        f"Is the {t1} in the {w1} scene really about {t2}?",
        f"Who is {t1.title()}, and why does the {t2} matter to {name.title()}?",
        f"How the {t1} {t2} {rng.choice(['changes', 'ends', 'begins', 'returns'])} after the "
        f"{w1} with {name.title()}",
    ])
    templates = [
        f"why does {name} {t1} the {t2}", f"what is the {t1} {t2}",
        f"{t1} {t2} {rng.choice(['meaning', 'explained', 'significance', 'ending'])}",
        f"what happens with the {t2} after the {w1}", f"is the {t1} about {w2}",
        f"who {t1} the {t2}", f"why {t1} in {w3}", f"{name} and the {t1}",
        f"what does the {t2} say about {name}",
        f"explain the {t1} {w2} {rng.choice(['part', 'bit', 'moment', 'scene'])}",
    ]
    rng.shuffle(templates)
    questions = templates[: rng.randint(4, 8)]
    answer_len = rng.randint(300, 900)
    sentences: list[str] = []
    while sum(len(s) + 1 for s in sentences) < answer_len:
        sentences.append(vocab.sentence([t1, t2, name]))
    answer = " ".join(sentences)[:answer_len].rstrip() + "."
    entry_id = f"e{i:06d}-{t1}-{t2}"[:64]
    return {
        "id": entry_id,
        "title": title,
        "questions": questions,
        "answer": answer,
        "tags": sorted({t1, t2, name, rng.choice(FILM_WORDS)}),
        "aliases": rng.sample([t1.title(), f"{t1} {t2}", name.title(), w1], rng.randint(0, 3)),
        "spoiler": rng.random() < 0.3,
        "related": rng.sample(ids[-50:], min(len(ids), rng.randint(0, 2))),
        "sources": [{"title": f"Source {k} on {t1}", "url": f"https://example.org/{entry_id}/{k}"}
                    for k in range(rng.randint(1, 3))],
        "topics": [t1, t2],
    }


def _q(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def entry_yaml(e: dict) -> str:
    lines = [f"id: {e['id']}", f"title: {_q(e['title'])}", "questions:"]
    lines += [f"  - {_q(q)}" for q in e["questions"]]
    lines += [f"spoiler: {'true' if e['spoiler'] else 'false'}",
              f"tags: [{', '.join(e['tags'])}]"]
    if e["aliases"]:
        lines.append(f"aliases: [{', '.join(_q(a) for a in e['aliases'])}]")
    lines += ["answer: |", f"  {e['answer']}", "sources:"]
    for s in e["sources"]:
        lines += [f"  - title: {_q(s['title'])}", f"    url: {_q(s['url'])}"]
    if e["related"]:
        lines.append(f"related: [{', '.join(e['related'])}]")
    return "\n".join(lines) + "\n"


FILM_YAML = (
    f"id: {FILM}\ntitle: Drive My Car\nyear: 2021\ndirector: Ryusuke Hamaguchi\n"
    "aliases: [DMC]\nspoilers: hidden\nsynonyms:\n"
    + "".join(f"  - [{', '.join(g)}]\n" for g in SYNONYMS)
)
INTERPRETATIONS_YAML = "".join(
    f"- id: reading-{n}\n  label: Reading number {n}\n  summary: One way to read the ending.\n"
    f"  sources:\n    - scene: the epilogue\n" for n in range(4)
)


def build_pack(size: int, seed: int, target: Path) -> None:
    """Write a ``size``-entry pack to ``target`` (knowledge root) plus ``manifest.json``."""
    rng = random.Random(seed)
    vocab = Vocabulary(rng, corpus_tokens=size * 120)
    entries_dir = target / FILM / "entries"
    entries_dir.mkdir(parents=True)
    (target / FILM / "film.yaml").write_text(FILM_YAML, encoding="utf-8")
    (target / FILM / "interpretations.yaml").write_text(INTERPRETATIONS_YAML, encoding="utf-8")
    ids: list[str] = []
    manifest = []
    for i in range(size):
        e = _entry(vocab, i, ids)
        ids.append(e["id"])
        (entries_dir / f"{e['id']}.yaml").write_text(entry_yaml(e), encoding="utf-8")
        manifest.append([e["id"], e["title"], e["questions"], e["topics"]])
    (target.parent / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def pack_for(size: int, seed: int = 1, cache: Path | None = None) -> Path:
    """The knowledge root of the cached ``size``-entry pack, built on first use."""
    folder = Path(cache or DEFAULT_CACHE) / f"pack-v{VERSION}-n{size}-s{seed}"
    if not (folder / "manifest.json").exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
        build_pack(size, seed, tmp / "knowledge")
        try:
            os.rename(tmp, folder)  # atomic: a half-written pack is never used
        except OSError:  # another run finished first
            shutil.rmtree(tmp, ignore_errors=True)
    return folder / "knowledge"


def indexed_db(pack: Path, target: Path) -> Path:
    """Copy of a database already indexed for ``pack`` at ``target`` (cold start paid once).

    The indexed file is cached next to the pack, keyed by a hash of the code that writes it,
    so a change to the indexing code never reuses a stale index.
    """
    from bot.app import open_app
    from bot.config import Settings

    repo = Path(__file__).resolve().parents[1]
    code = hashlib.sha256()
    for name in ("app.py", "entry_rows.py", "knowledge.py", "search.py", "store.py", "words.py"):
        code.update((repo / "bot" / name).read_bytes())
    cached = pack.parent / f"index-{code.hexdigest()[:12]}.db"
    if not cached.exists():
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        open_app(Settings(db_path=tmp, knowledge_path=pack)).close()  # closing checkpoints WAL
        os.replace(tmp, cached)
    shutil.copyfile(cached, target)
    return target


SYNONYM_OF = {w: g for g in SYNONYMS for w in g}
FILLERS = ["", "", "", "hey ", "so ", "quick question: ", "can someone explain ", "ok so "]
ENDINGS = ["", "", "?", "??", "?!", " lol", " i dont get it"]


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: swap, drop, double or replace a letter."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioustnr") + word[i + 1 :]


def paraphrase(question: str, rng: random.Random) -> str:
    words = question.split()
    if len(words) > 3 and rng.random() < 0.3:
        del words[rng.randrange(len(words))]
    words = [rng.choice(SYNONYM_OF[w]) if w in SYNONYM_OF and rng.random() < 0.5 else w
             for w in words]
    long_words = [n for n, w in enumerate(words) if len(w) >= 6]
    if long_words and rng.random() < 0.4:
        n = rng.choice(long_words)
        words[n] = typo(words[n], rng)
    return rng.choice(FILLERS) + " ".join(words) + rng.choice(ENDINGS)


def out_of_scope(rng: random.Random) -> str:
    film, topic, other = rng.choice(OTHER_FILMS), rng.choice(OTHER_TOPICS), rng.choice(OTHER_TOPICS)
    return rng.choice([
        f"what does the ending of {film} mean", f"who directed {film}",
        f"is {topic} better than {other}", f"how do i fix my {topic}",
        f"best {topic} for {other}?", f"{film} {topic} explained", f"when is {film} on {topic}",
    ])


def questions_for(pack: Path, n: int, seed: int = 7, oos_share: float = 0.15) -> list[Question]:
    """``n`` questions for the pack at ``pack`` (from its manifest), about 15% out of scope."""
    manifest = json.loads((pack.parent / "manifest.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if rng.random() < oos_share:
            out.append(Question(out_of_scope(rng), None))
            continue
        entry_id, title, questions, _topics = rng.choice(manifest)
        base = rng.choice([*questions, title.lower().rstrip("?")])
        out.append(Question(paraphrase(base, rng), entry_id))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="entries (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, help=f"cache folder (default {DEFAULT_CACHE})")
    parser.add_argument("--questions", type=int, default=0, help="also print N sample questions")
    args = parser.parse_args(argv)
    pack = pack_for(args.size, args.seed, args.cache)
    print(pack)
    for q in questions_for(pack, args.questions):
        print(f"{q.expected or '(abstain)':40}  {q.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
