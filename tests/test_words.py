"""Words and question analysis: one stemmer, real words kept, typos fixed, bounded work."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import query, words
from bot.app import App
from bot.english import is_word
from bot.knowledge import Entry, Source
from bot.store import FTS_TOKENIZE

HOSTILE_ALPHABET = "㌖ﷺ\ud800\udfffaé ?!🚗ñ‍" + "abcdefghijklmnopqrstuvwxyz"


def entry(entry_id: str, title: str, answer: str = "An answer.", *questions: str) -> Entry:
    return Entry(id=entry_id, film="drive-my-car", title=title,
                 questions=questions or (title,), answer=answer,
                 sources=(Source(scene="a scene"),), tags=("test",), spoiler=False)


# ---------------------------------------------------------------- bounded work (issue 12)


@pytest.mark.parametrize("char", ["㌖", "ﷺ", "a", "🚗", "\ud800"])
def test_normalizing_any_text_is_bounded(char: str) -> None:
    text = char * 50_000
    assert len(words.normalize(text)) <= words.MAX_NORMALIZED
    found = words.words(text)
    assert len(found) <= words.MAX_WORDS
    assert sum(map(len, found)) <= words.MAX_NORMALIZED


def test_edits_are_bounded_by_the_word_length() -> None:
    assert len(words.edits("a" * words.MAX_TYPO_LEN)) <= 54 * words.MAX_TYPO_LEN + 26
    assert "glaucoma" in words.edits("glaucma") and "korea" in words.edits("koera")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=HOSTILE_ALPHABET, min_size=500, max_size=4000))
def test_hostile_text_does_bounded_work(app: App, monkeypatch: pytest.MonkeyPatch,
                                        text: str) -> None:
    """The class of slow questions: however long or odd the text, the analysis looks at a
    bounded number of words, fixes a bounded number of typos, each of bounded length, and
    sends a bounded query to the index."""
    looked_up: list[str] = []
    real_edits = query.edits
    monkeypatch.setattr(query, "edits", lambda w: looked_up.append(w) or real_edits(w))
    matches: list[str] = []
    real_ranked = app.index._ranked
    monkeypatch.setattr(app.index, "_ranked",
                        lambda match, limit: matches.append(match) or real_ranked(match, limit))
    analysed = app.index.analyse(text)
    assert analysed.words <= words.MAX_WORDS
    assert len(analysed.terms) <= query.MAX_TERMS
    assert len(looked_up) <= query.MAX_TYPOS
    assert all(len(w) <= words.MAX_TYPO_LEN for w in looked_up)
    app.index.search(text)
    assert all(match.count('"') <= 2 * query.MAX_TERMS * 8 for match in matches)


@pytest.mark.parametrize("text", ["\ud800", "misaki \udfff korea", "\udcff" * 3000,
                                  "kafuku\ud83d"])
def test_lone_surrogates_never_raise(app: App, text: str) -> None:
    from bot.answers import ask

    cleaned = words.clean(text)
    cleaned.encode("utf-8")  # encodable
    answer = ask(app, text, source="test\ud800")  # searched, logged, never raises
    assert answer.question == cleaned or len(text) > words.MAX_INPUT
    answer.question.encode("utf-8")
    (row,) = list(app.db["question_log"].rows)
    row["text"].encode("utf-8")


# ---------------------------------------------------------------- one stemmer


def test_the_index_holds_the_same_stems_the_questions_get(app: App) -> None:
    """FTS5 indexes Snowball stems with a tokenizer that does not stem again, so a word
    whose Porter and Snowball stems differ ("dying": dy / die) still finds its entry."""
    assert "porter" not in FTS_TOKENIZE
    app.index.upsert(entry("who-dies", "Is anyone dying at the end?"))
    (stored,) = app.db.execute(
        "SELECT f.title FROM entries_fts f JOIN entries e ON e.rowid = f.rowid "
        "WHERE e.id = 'who-dies'").fetchone()
    assert stored == words.term_sequence("Is anyone dying at the end?")
    assert app.index.search("who died at the end")[0].id == "who-dies"


def test_a_word_family_finds_its_entry(app: App) -> None:
    """"directed" and "director" stem differently; the family still matches."""
    app.index.upsert(entry("the-director", "Who is the director of the film?"))
    assert app.index.search("who directed it")[0].id == "the-director"


# ---------------------------------------------------------------- typos


def test_real_words_are_never_turned_into_other_words(app: App) -> None:
    assert is_word("locked") and is_word("canes")
    analysed = app.index.analyse("why is the car locked")
    assert analysed.unknown == 1 and analysed.foreign == 0
    assert all(t.word != "look" for t in analysed.terms)


def test_typos_of_known_words_are_fixed(app: App) -> None:
    analysed = app.index.analyse("why is misaky in koera")
    stems = {s for t in analysed.terms for s in t.stems}
    assert {"misaki", "korea"} <= stems and analysed.foreign == 0
    assert [t.typo for t in analysed.terms if "korea" in t.stems] == [True]


def test_short_chat_words_are_read_as_the_words_they_stand_for(app: App) -> None:
    typed = app.index.analyse("wat happend to takatsuki")
    spelled = app.index.analyse("what happened to takatsuki")
    assert [t.word for t in typed.terms] == [t.word for t in spelled.terms] == ["takatsuki"]
    assert typed.asked == spelled.asked
    assert app.index.search("wat happend to takatsuki")[0].id == \
        app.index.search("what happened to takatsuki")[0].id


def test_words_nobody_knows_are_foreign(app: App) -> None:
    analysed = app.index.analyse("is the new zeldazz worth it")
    assert analysed.foreign == 1 and analysed.elsewhere


def test_chat_shorthand_is_not_content() -> None:
    for word in ("ngl", "tbh", "fr", "bc", "tho", "abt", "smth", "lowkey"):
        assert words.is_filler(word), word
    assert not words.is_filler("misaki")
