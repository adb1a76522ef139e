"""Refused entry forms kept for "Fix and resubmit" (bot.drafts), against real SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import drafts
from bot.errors import InvalidInput, NotAllowed, NotFound
from tests.poll_support import GUILD, OTHER_GUILD, T0, member, moderator

FIELDS = {"title": "Does Misaki smile?", "answer": "She does, briefly. " * 80,
          "sources": "my memory of the film"}
TARGET = {"kind": "add", "entry_id": None, "spoiler": True, "question": "does misaki smile"}


def test_a_draft_comes_back_to_its_writer_as_it_was_left(db) -> None:
    writer = moderator(7)
    saved = drafts.save_draft(db, writer, TARGET, FIELDS, now=T0)
    again = drafts.load_draft(db, writer, saved.id, now=T0 + timedelta(hours=23))
    assert again == saved
    assert (again.target, again.fields, again.owner_id, again.guild_id) == (
        TARGET, FIELDS, 7, GUILD)


@pytest.mark.parametrize("who", [moderator(8), moderator(7, OTHER_GUILD), member(7)])
def test_nobody_else_and_nowhere_else(db, who) -> None:
    saved = drafts.save_draft(db, moderator(7), TARGET, FIELDS, now=T0)
    with pytest.raises(NotFound) as refused:
        drafts.load_draft(db, who if who.is_moderator else member(8), saved.id, now=T0)
    assert str(refused.value).startswith("That form is no longer kept")


def test_a_day_later_it_is_gone_and_the_next_save_deletes_it(db) -> None:
    writer = moderator(7)
    old = drafts.save_draft(db, writer, TARGET, FIELDS, now=T0)
    later = T0 + drafts.KEEP + timedelta(seconds=1)
    with pytest.raises(NotFound):
        drafts.load_draft(db, writer, old.id, now=later)
    new = drafts.save_draft(db, writer, TARGET, FIELDS, now=later)
    ids = [r[0] for r in db.execute("SELECT id FROM form_drafts")]
    assert ids == [new.id]


@pytest.mark.parametrize(("target", "fields"), [
    (TARGET, {"answer": "x" * 4001}),
    (TARGET, {f"f{n}": "" for n in range(11)}),
    (TARGET, {"answer": 5}),
    ({"kind": object()}, FIELDS),
    ({"kind": "x" * 3000}, FIELDS),
])
def test_odd_forms_are_refused_and_nothing_is_kept(db, target, fields) -> None:
    with pytest.raises(InvalidInput):
        drafts.save_draft(db, moderator(7), target, fields, now=T0)
    assert db.execute("SELECT count(*) FROM form_drafts").fetchone() == (0,)


def test_members_keep_no_drafts(db) -> None:
    with pytest.raises(NotAllowed):
        drafts.save_draft(db, member(7), TARGET, FIELDS, now=T0)
    with pytest.raises(InvalidInput):
        drafts.load_draft(db, moderator(7), "1")
