"""Search: any text is safe, typos and aliases are forgiven, weak matches abstain."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import words
from bot.answers import ask, unanswered
from bot.app import App, open_app, sync_knowledge
from bot.config import Settings
from bot.knowledge import Entry, Source

ODD_INPUTS = [
    "",
    "   ",
    '"',
    '"unbalanced quote',
    "misaki AND korea OR NOT NEAR(kiss, 2)",
    "* - : ( ) ^ + {} [] \\",
    "title:korea questions:*",
    "'; DROP TABLE entries; --",
    "SELECT * FROM entries WHERE 1=1",
    "🚗💨 misaki 🐕",
    "ドライブ・マイ・カー 結末 韓国",
    "Почему Мисаки в Корее?",
    "@everyone @here <@123> <@&456> why is misaki in korea",
    "x" * 10_000,
    "misaki " * 2_000,
    "\x00\x01\x02 null bytes",
    "NEAR NEAR NEAR",
    "-",
    "AND",
]


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_odd_questions_never_raise(app: App, text: str) -> None:
    answer = ask(app, text, source="test")
    assert answer.question == text
    assert isinstance(answer.answered, bool)
    assert len(answer.alternatives) <= 3


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_is_safe_to_search(app: App, text: str) -> None:
    hits = app.index.search(text)
    assert all(0.0 <= h.confidence <= 1.0 for h in hits)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("why is misaky in korea", "ending-korea"),
        ("takatski arrested??", "takatsuki-arrest"),
        ("do kafku and misaki kiss", "no-kiss"),
        ("why can't yūsuke drive his own car", "why-a-driver"),
        ("why does KAFUKU need a chauffeur driver", "why-a-driver"),
        ("what happened to koji", "takatsuki-arrest"),  # film synonym: Koji = Takatsuki
        ("watari epilogue", "ending-korea"),  # entry alias
    ],
)
def test_typos_and_aliases_find_the_entry(app: App, question: str, expected: str) -> None:
    answer = ask(app, question)
    assert answer.answered, answer
    assert answer.entry is not None and answer.entry.id == expected


@pytest.mark.parametrize(
    "question",
    [
        "what does the ending of parasite mean",  # another film, named by an English word
        "what does the ending of zvyagintsev's leviafan mean",
        "how do i bake sourdough bread",
        "who won the world cup in 2018",
        "explain the inception spinning top ending",
        "what is the weather in hiroshima tomorrow",
        "asdfghjkl qwerty",
    ],
)
def test_out_of_scope_questions_abstain_with_closest_topics(app: App, question: str) -> None:
    answer = ask(app, question)
    assert not answer.answered
    assert answer.entry is None
    assert answer.confidence < 0.6


def test_abstention_offers_closest_topics(app: App) -> None:
    answer = ask(app, "misaki's childhood friends and school teachers")
    assert not answer.answered
    offered = [a.id for a in answer.alternatives]
    if answer.suggested is not None:  # a closest match is offered first, then the rest
        offered.insert(0, answer.suggested.id)
    assert "ending-korea" in offered


def test_every_question_is_logged_with_its_outcome(app: App) -> None:
    ask(app, "why is misaki in korea", source="discord:1/2")
    ask(app, "Who directed Parasite?", source="console:you")
    ask(app, "who directed parasite?  ", source="console:you")
    rows = list(app.db["question_log"].rows)
    assert [(r["source"], r["entry_id"]) for r in rows] == [
        ("discord:1/2", "ending-korea"), ("console:you", None), ("console:you", None)]
    assert unanswered(app.db)[0][:2] == ("who directed parasite?", 2)


def test_index_is_rebuilt_only_when_yaml_changes(settings: Settings, pack: Path) -> None:
    first = open_app(settings)
    assert sync_knowledge(first) is None  # unchanged: nothing reloaded
    entry = pack / "drive-my-car" / "entries" / "no-kiss.yaml"
    entry.write_text(entry.read_text().replace("do they kiss", "do they smooch"))
    assert sync_knowledge(first) is not None
    assert ask(first, "smooch").entry.id == "no-kiss"
    first.close()
    started = time.perf_counter()
    second = open_app(settings)
    assert second.index.count() == 5
    assert time.perf_counter() - started < 2  # generous: only catches a rebuild loop
    assert sync_knowledge(second) is None
    second.close()


def test_upsert_and_delete_are_searchable_at_once(app: App) -> None:
    entry = Entry(id="the-dog", film="drive-my-car", title="Whose dog is in the last scene?",
                  questions=("whose dog is that",), answer="It looks like the couple's dog.",
                  sources=(Source(scene="Epilogue"),), tags=("dog",), spoiler=True)
    assert not ask(app, "whose dog is it").answered
    app.index.upsert(entry)
    assert ask(app, "whose dog is it").entry.id == "the-dog"
    app.index.upsert(entry)  # replacing an entry re-indexes it, no stale text is left
    app.index.delete("the-dog")
    assert not ask(app, "whose dog is it").answered
    assert app.index.get("the-dog") is None
    # FTS5 raises "database disk image is malformed" here if index and table disagree
    app.db.execute("INSERT INTO entries_fts(entries_fts, rank) VALUES('integrity-check', 1)")


def test_an_entry_added_by_another_process_is_found_at_once(app: App) -> None:
    """The bot keeps recent search results; a CLI process writing to the same database
    must not leave it answering from them."""
    entry = Entry(id="the-dog", film="drive-my-car", title="Whose dog is in the last scene?",
                  questions=("whose dog is that",), answer="It looks like the couple's dog.",
                  sources=(Source(scene="Epilogue"),), tags=("dog",), spoiler=True)
    assert not ask(app, "whose dog is it", log=False).answered  # now remembered
    other = open_app(app.settings)  # its own connection, as `python -m bot kb add` has
    other.index.upsert(entry)
    other.close()
    assert ask(app, "whose dog is it", log=False).entry.id == "the-dog"
    assert app.index.count() == app.db.execute("SELECT count(*) FROM entries").fetchone()[0]


def test_answer_json_shape(app: App) -> None:
    data = ask(app, "why is misaki in korea").to_dict()
    assert data["answered"] is True
    assert data["entry_id"] == "ending-korea"
    assert data["sources"][0]["url"].startswith("https://")
    assert data["spoiler"] is True
    assert 0.6 <= data["score"] <= 1
    offered = ask(app, "misaki's childhood friends and school teachers").to_dict()
    listed = ([offered["suggested"]] if offered["suggested"] else []) + offered["alternatives"]
    assert listed and all({"id", "title", "spoiler"} <= set(a) for a in listed)


def test_terms_stem_cache_stays_bounded_and_changes_nothing(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    texts = ["Misaki drives the red Saab through Hiroshima", "Kafuku listens to Oto's tapes",
             "The festival's rule: residents may not drive", "Driving, driven, drivers"]
    monkeypatch.setattr(words, "_STEMS", {})
    monkeypatch.setattr(words, "_STEMS_MAX", 8)
    for text in texts * 3:  # more distinct words than the cache holds, seen several times
        uncached = {words.stem(w) for w in set(words.words(text)) - words.STOPWORDS}
        assert words.terms(text) == uncached
        assert len(words._STEMS) <= 8
