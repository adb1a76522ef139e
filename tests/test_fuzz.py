"""Hypothesis fuzzing of every way users hand us data: clear errors, nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import polls, votes
from bot.app import App
from bot.cogs.poll_views import RetractButton, VoteButton, VoteSelect
from bot.cogs.views import FeedbackButton, RelatedButton
from bot.curation import add_entry
from bot.errors import BotError, KnowledgeError
from bot.forms import entry_data_from_form
from bot.knowledge import load_knowledge
from bot.moderators import Actor
from tests.poll_support import (
    member,
    moderator,
)

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
MOD = Actor(user_id=7, guild_id=1, is_moderator=True)
PROBLEM = re.compile(r"^knowledge/drive-my-car/[\w./-]+:\d+: .+")


def counts(app: App) -> tuple[int, ...]:
    tables = ("polls", "poll_options", "ballots", "vote_events", "mod_entries", "audit_log")
    return (*(app.db[t].count for t in tables), app.index.count())


@FUZZ
@given(question=st.text(max_size=400), labels=st.lists(st.text(max_size=100), max_size=30),
       ids=st.lists(st.text(max_size=45), max_size=30),
       max_choices=st.integers(-3, 40), hours=st.none() | st.floats(-10, 10))
def test_poll_creation_arguments(app: App, question: str, labels: list[str], ids: list[str],
                                 max_choices: int, hours: float | None) -> None:
    from datetime import UTC, datetime, timedelta

    before = counts(app)
    options = [polls.Option(i, label) for i, label in zip(ids, labels, strict=False)]
    deadline = None if hours is None else datetime.now(UTC) + timedelta(hours=hours)
    try:
        poll = polls.create_poll(app.db, moderator(1), question=question, options=options,
                                 max_choices=max_choices, deadline=deadline)
    except BotError as exc:
        assert str(exc)
        assert counts(app) == before
    else:
        assert 2 <= len(poll.options) <= 25 and 1 <= poll.max_choices <= len(poll.options)


@FUZZ
@given(poll_id=st.integers(-5, 10**19) | st.text(max_size=20),
       choices=st.lists(st.text(max_size=50), max_size=4), user=st.integers(1, 10**18))
def test_forged_votes_change_nothing(app: App, poll_id: object, choices: list[str],
                                     user: int) -> None:
    poll = polls.create_ending_poll(app.db, member(1), film="drive-my-car")
    before = counts(app)
    valid = {o.id for o in poll.options}
    try:
        votes.vote(app.db, member(user), poll_id, choices)  # type: ignore[arg-type]
    except BotError as exc:
        assert str(exc)
        assert counts(app) == before
    else:  # only a real poll with real options can take a vote
        assert poll_id == poll.id and set(choices) <= valid


@FUZZ
@given(custom_id=st.text(max_size=120))
def test_custom_id_templates_accept_only_well_formed_ids(custom_id: str) -> None:
    for item in (VoteButton, VoteSelect, RetractButton, FeedbackButton, RelatedButton):
        match = item.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match is None:
            continue
        assert len(custom_id) <= 100
        if "poll" in match.groupdict():
            assert 0 <= int(match["poll"]) < 10**18


@FUZZ
@given(title=st.text(max_size=250), questions=st.text(max_size=600),
       answer=st.text(max_size=1700), sources=st.text(max_size=300),
       tags=st.text(max_size=120))
def test_modal_inputs(app: App, title: str, questions: str, answer: str, sources: str,
                      tags: str) -> None:
    before = counts(app)
    try:
        data = entry_data_from_form(title, questions, answer, sources, tags)
        entry = add_entry(app, MOD, data)
    except BotError as exc:
        assert str(exc)
        assert counts(app) == before
    else:
        assert app.index.get(entry.id) == entry


def _entry_file(pack: Path) -> Path:
    return pack / "drive-my-car" / "entries" / "fuzzed.yaml"


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_loader_on_random_bytes(pack: Path, raw: bytes) -> None:
    _entry_file(pack).write_bytes(raw)
    try:
        load_knowledge(pack)
    except KnowledgeError as exc:
        assert exc.problems and all(PROBLEM.match(p) for p in exc.problems), exc.problems


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=5),
    max_leaves=20)


@FUZZ
@given(doc=st.dictionaries(
    st.sampled_from(["id", "title", "questions", "answer", "sources", "tags", "spoiler",
                     "related", "aliases", "extra"]), YAML_VALUES, max_size=10))
def test_loader_on_random_documents(pack: Path, doc: dict) -> None:
    _entry_file(pack).write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        kb = load_knowledge(pack)
    except KnowledgeError as exc:
        assert exc.problems and all(PROBLEM.match(p) for p in exc.problems), exc.problems
    else:
        assert "fuzzed" in kb.entries


@pytest.mark.parametrize("text", [
    "key: [" * 5000,  # deep nesting
    "- " * 50000 + "x",
    "a: " + "b" * 300_000,  # over the size limit
    "\ufeffid: bom\n",
    "%YAML 9.9\n---\nid: x\n",
    "id: !!python/name:os.system\n",
    "--- !<tag:yaml.org,2002:python/object:object> {}\n",
])
def test_loader_on_hostile_documents(pack: Path, text: str) -> None:
    _entry_file(pack).write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(pack)
    assert all(PROBLEM.match(p) for p in info.value.problems), info.value.problems
