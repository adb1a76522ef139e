"""The synonym groups of film.yaml: each means one thing in every question.

A synonym group makes a question that uses one of its words also match the others, across
the whole knowledge base. That is only right when the words name the same thing whatever
the question: "korean" (the sign language, the couple, the cast) is not "korea" (the
epilogue), "yoon" starts both Yoon-su and Yoon-a, "drive" is a verb before it is a word of
the title, and "finale" stems to "final" (the final performance, Sonya's final speech).
Each group below states its meaning and a question that must reach the same entry
whichever of the group's words it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App, open_app
from bot.config import Settings
from bot.words import stem
from tests.test_knowledge_pack import FILM, REPO

# first word of the group: (what every word of it names, a question with {w}, the entry)
INTENT: dict[str, tuple[str, str, str]] = {
    "kafuku": ("Yūsuke Kafuku", "who is {w}", "who-is-kafuku"),
    "takatsuki": ("Takatsuki; Kōji and Kōshi romanise his given name", "who plays {w}",
                  "who-is-takatsuki"),
    "misaki": ("Misaki Watari", "how old is {w}", "misaki-age"),
    "oto": ("Oto; 'wife' means her in nearly every question, and Yoon-su's wife is named in "
            "her own entry", "how did {w} die", "oto-death"),
    "yoona": ("Lee Yoon-a, spelled Yoona, Yoonna or Yoo-na (never 'yoon', which starts "
              "Yoon-su too)", "who is {w}", "yoon-su-and-yoon-a"),
    "sonya": ("Sonya, Yoon-a's role (Sonia and Sonja are spellings)",
              "what does {w} say at the end of the play", "sonya-last-speech"),
    "vanya": ("Vanya, the title role", "why cast takatsuki as {w}", "takatsuki-cast-as-vanya"),
    "chekhov": ("Anton Chekhov", "how does the {w} play connect to the story",
                "uncle-vanya-parallels"),
    "murakami": ("Haruki Murakami", "did {w} like the movie", "murakami-reaction"),
    "hamaguchi": ("Ryūsuke Hamaguchi", "did {w} explain the ending", "ending-director-comments"),
    "ending": ("the film's ending, the Korea epilogue; 'end' shares the stem, and 'at the end' "
               "means the ending in nearly every question ('finale' stems to 'final': left out)",
               "what happens to the scar in the {w}", "ending-scar"),
    "dog": ("the dog in the epilogue", "whose {w} is in the car at the end", "ending-dog"),
    "supermarket": ("the grocery run in the epilogue", "why so much {w} at the end",
                    "ending-supermarket"),
    "mask": ("the face masks in the epilogue", "why is everyone wearing a {w} at the end",
             "ending-masks"),
    "covid": ("the COVID-19 pandemic", "is the epilogue set during {w}", "ending-masks"),
    "tape": ("Oto's cassette tapes", "whose voice is on the {w}", "cassette-tapes"),
    "driver": ("the chauffeur", "why does kafuku need a {w}", "why-a-driver"),
    "affair": ("Oto's infidelity", "how does kafuku find out about the {w}", "oto-affair"),
    "hug": ("the embrace in the snow", "do kafuku and misaki {w} in the snow", "snow-scene"),
    "kiss": ("a kiss (there is none)", "do kafuku and misaki {w} in the snow", "snow-scene"),
    "mother": ("a mother (Misaki's, in every question the pack answers)",
               "how did misaki's {w} die", "misaki-landslide"),
    "daughter": ("Kafuku and Oto's child", "how did kafuku's {w} die", "oto-daughter"),
    "die": ("dying", "how did oto {w}", "oto-death"),
    "haemorrhage": ("Oto's brain haemorrhage", "was it a {w} that killed oto", "oto-death"),
    "glaucoma": ("Kafuku's eye disease", "what is wrong with kafuku's {w}", "glaucoma"),
    "arrest": ("Takatsuki's arrest", "why does takatsuki get {w}", "takatsuki-arrest"),
    "hometown": ("Misaki's home village", "what is the name of misaki's {w}",
                 "misaki-hometown"),
    "runtime": ("the film's length", "what is the {w} of drive my car", "runtime-and-credits"),
    "lamprey": ("the lamprey of Oto's story", "what is the {w} story about", "lamprey-story"),
    "colour": ("spelling", "what {w} is kafuku's saab", "the-red-saab"),
    "theatre": ("spelling", "does the last act leave the {w} behind", "final-performance"),
    "symbolize": ("symbolism", "what does the saab {w}", "car-as-private-space"),
    "dui": ("drink-driving", "did kafuku get a driver because of a {w}", "why-a-driver"),
}

# Words that must never join a group, because they mean different things in different
# questions (checked after stemming, the way search matches them).
AMBIGUOUS = {
    "korean": "Korean Sign Language, the Korean couple and cast; not the country of the epilogue",
    "korea": "the epilogue's country; not everything Korean",
    "japanese": "the language, the nationality of the film and its awards; not the country",
    "yoon": "the first syllable of both Yoon-su and Yoon-a",
    "drive": "the verb, and a word of the title; not the abbreviation",
    "dmc": "the film's title: it names the film, not what the question is about",
    "finale": "stems to 'final': the final performance, Sonya's final speech",
    "final": "the final performance, Sonya's final speech, the final scene",
}

# Pairs that once shared a group, each of which was a mistake (issue 15).
NEVER_TOGETHER = [("dmc", "drive"), ("yoon", "yoona"), ("korean", "korea"),
                  ("japan", "japanese"), ("ending", "finale")]

GROUPS = [tuple(group) for group in FILM["synonyms"]]


def _stems(group: tuple[str, ...]) -> set[str]:
    return {stem(w) for w in group}


def test_every_group_states_its_meaning() -> None:
    assert [g[0] for g in GROUPS] == list(INTENT), \
        "add (or remove) the group's meaning and probe in INTENT"


def test_no_word_is_in_two_groups() -> None:
    seen: dict[str, str] = {}
    for group in GROUPS:
        for s in _stems(group):
            assert s not in seen, f"{group[0]} and {seen[s]} share '{s}': they would merge"
            seen[s] = group[0]


@pytest.mark.parametrize("word", sorted(AMBIGUOUS))
def test_ambiguous_words_stay_out_of_every_group(word: str) -> None:
    for group in GROUPS:
        assert stem(word) not in _stems(group), f"'{word}' in {group}: {AMBIGUOUS[word]}"


@pytest.mark.parametrize(("a", "b"), NEVER_TOGETHER)
def test_mistaken_merges_stay_undone(a: str, b: str) -> None:
    assert not any({stem(a), stem(b)} <= _stems(g) for g in GROUPS)


@pytest.fixture(scope="module")
def shipped_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    db = Path(tmp_path_factory.mktemp("synonyms")) / "bot.db"
    app = open_app(Settings(db_path=db, knowledge_path=REPO / "knowledge"))
    yield app
    app.close()


def _top(app: App, question: str) -> str | None:
    hits = app.index.search(question)
    return hits[0].id if hits else None


@pytest.mark.parametrize("group", GROUPS, ids=[g[0] for g in GROUPS])
def test_every_word_of_a_group_reaches_the_same_entry(shipped_app: App,
                                                       group: tuple[str, ...]) -> None:
    meaning, probe, expected = INTENT[group[0]]
    found = {w: _top(shipped_app, probe.format(w=w)) for w in group}
    assert all(entry == expected for entry in found.values()), (meaning, found)


@pytest.mark.parametrize(("question", "expected"), [
    ("what is korean sign language", "multilingual-play"),  # not the Korea epilogue
    ("why is misaki in korea", "ending-why-korea"),
    ("why do they drive all the way to hokkaido", "hokkaido-trip"),  # "drive" is a verb
    ("who is gong yoon-su", "yoon-su-and-yoon-a"),
    ("what happens at the final performance", "final-performance"),  # not the epilogue
])
def test_words_kept_apart_find_their_own_entries(shipped_app: App, question: str,
                                                 expected: str) -> None:
    assert _top(shipped_app, question) == expected
