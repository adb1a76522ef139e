"""Members' suggestions and the moderators' queue: approve, reject, limits."""

from __future__ import annotations

import pytest

from bot import suggestions
from bot.answers import ask
from bot.app import App
from bot.audit import audit_log
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.moderators import OPERATOR, Actor
from tests.curation_support import GUILD, MOD, dog_data

# ---------------------------------------------------------------- suggestions


def test_suggestion_approve_flow(app: App) -> None:
    s = suggestions.suggest(app, Actor(501, GUILD), 22, "Whose dog is it?",
                            "Please explain the dog.")
    assert (s.status, s.author_id, s.channel_id, s.guild_id) == ("pending", 501, 22, GUILD)
    assert suggestions.queue(app, MOD) == [s]
    decided, entry = suggestions.approve(app, MOD, s.id, dog_data())
    assert decided.status == "approved" and decided.reviewer_id == MOD.user_id
    assert decided.entry_id == entry.id and decided.author_id == 501
    assert decided.channel_id == 22
    assert ask(app, "whose dog is it at the end", source="t").entry == entry
    assert suggestions.queue(app, MOD) == []
    assert [r.action for r in audit_log(app, OPERATOR)] == ["approve", "add"]
    with pytest.raises(InvalidInput, match="already approved"):
        suggestions.approve(app, MOD, s.id, dog_data(id="other"))
    with pytest.raises(InvalidInput, match="already approved"):
        suggestions.reject(app, MOD, s.id, "too late")


def test_correction_suggestion_edits_the_entry(app: App) -> None:
    s = suggestions.suggest(app, Actor(501, GUILD), None, "Wrong detail", "It is a man he hit.",
                            entry_id="takatsuki-arrest")
    assert suggestions.suggestion_form(app, s)["title"] == "Why is Takatsuki arrested?"
    _, entry = suggestions.approve(app, MOD, s.id, {"answer": "A man he hit died."})
    assert entry.id == "takatsuki-arrest" and entry.answer == "A man he hit died."
    assert [r.action for r in audit_log(app, OPERATOR, "takatsuki-arrest")] == ["approve", "edit"]


def test_failed_approval_leaves_the_suggestion_pending(app: App) -> None:
    s = suggestions.suggest(app, Actor(501, GUILD), None, "Dog", "The dog.")
    with pytest.raises(InvalidInput):
        suggestions.approve(app, MOD, s.id, dog_data(tags=[]))
    assert suggestions.get_suggestion(app, MOD, s.id).status == "pending"
    assert audit_log(app, OPERATOR) == []


def test_reject_needs_a_reason_and_is_final(app: App) -> None:
    s = suggestions.suggest(app, Actor(501, GUILD), None, "Dog", "The dog.")
    with pytest.raises(InvalidInput, match="reason is empty"):
        suggestions.reject(app, MOD, s.id, "  ")
    decided = suggestions.reject(app, MOD, s.id, "Already covered by ending-korea.")
    assert decided.status == "rejected" and decided.reason.startswith("Already")
    assert decided.author_id == 501
    with pytest.raises(InvalidInput, match="already rejected"):
        suggestions.approve(app, MOD, s.id, dog_data())
    assert app.index.get("whose-dog-is-in-the-saab-at-the-end") is None
    (record,) = audit_log(app, OPERATOR)
    assert record.action == "reject" and record.after["status"] == "rejected"
    with pytest.raises(NotFound):
        suggestions.reject(app, MOD, 999, "x")


def test_suggestion_limits(app: App) -> None:
    with pytest.raises(InvalidInput, match="title is empty"):
        suggestions.suggest(app, Actor(1, GUILD), None, " ", "text")
    with pytest.raises(InvalidInput, match="2001 characters; the limit is 2000"):
        suggestions.suggest(app, Actor(1, GUILD), None, "t", "x" * 2001)
    with pytest.raises(NotFound):
        suggestions.suggest(app, Actor(1, GUILD), None, "t", "x", entry_id="nope")
    for n in range(suggestions.MAX_PENDING_PER_USER):
        suggestions.suggest(app, Actor(1, GUILD), None, f"t{n}", "x")
    with pytest.raises(NotAllowed, match="already have 5 suggestions waiting"):
        suggestions.suggest(app, Actor(1, GUILD), None, "one more", "x")
    suggestions.suggest(app, Actor(2, GUILD), None, "another member", "x")
    assert [s.title for s in suggestions.queue(app, MOD)] == ["t0", "t1", "t2", "t3", "t4",
                                                          "another member"]
    assert len(suggestions.queue(app, MOD, limit=2)) == 2
