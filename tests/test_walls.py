"""Walls between servers, as one table: every public core function that takes an actor is
called by an actor from the wrong server, from a DM, and without rights.

Each refusal must be the right error with a message fit for a person, and must leave every
table of the database exactly as it was. Where an attacker is allowed (members vote, any
moderator may start polls in their own server), the row says why and checks that the
victim server's data still does not come back. The table is complete by construction: a
public core function that takes an ``Actor`` and has no row fails ``test_the_table_covers``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import bot
from bot import (
    answers,
    audit,
    curation,
    drafts,
    exchange,
    guilds,
    moderators,
    poll_results,
    polls,
    suggestions,
    votes,
)
from bot.app import App, open_app
from bot.config import Settings
from bot.errors import BotError, NotAllowed, NotFound, PollNotFound
from bot.moderators import OPERATOR, Actor
from tests.curation_support import dog_data

A, B = 111, 222  # the victim's server, and another server the bot is in
MOD_A, MEMBER_A = Actor(10, A, True), Actor(11, A)
ATTACKERS = {
    "wrong server": Actor(20, B, True),  # a moderator, of another server
    "dm": Actor(10, None, True),  # the victim server's own moderator, writing from a DM
    "no rights": Actor(12, A),  # a member of the victim server, no roles, no poll of theirs
}
UNANSWERED = "is there a sequel planned"


@dataclass(frozen=True)
class World:
    """Server A's data: a public, an anonymous and a closed poll, a suggestion, a spoiler
    setting, an unanswered question and an audited entry change."""

    app: App
    poll: int
    anonymous: int
    closed: int
    suggestion: int
    tmp: Path
    draft: int


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    app = open_app(replace(settings, kb_guilds=frozenset({A})))
    db = app.db
    poll = polls.create_ending_poll(db, MOD_A, film="drive-my-car", channel_id=5)
    anonymous = polls.create_ending_poll(db, MOD_A, film="drive-my-car", anonymous=True)
    closed = polls.create_poll(db, MOD_A, question="Which car?", options=(
        polls.Option("saab", "Saab"), polls.Option("volvo", "Volvo")))
    polls.close(db, MOD_A, closed.id)
    for p in (poll, anonymous):
        votes.vote(db, MEMBER_A, p.id, ["new-life"])
    guilds.set_shows_spoilers(db, MOD_A, True)
    answers.ask(app, UNANSWERED, source="discord:111/5", asker=MEMBER_A)
    curation.edit_entry(app, MOD_A, "no-kiss", {"answer": "They never kiss."})
    made = suggestions.suggest(app, MEMBER_A, 5, "Whose dog?", "Please explain the dog.")
    draft = drafts.save_draft(db, MOD_A, {"kind": "add"}, {"answer": "A long answer."})
    incoming = tmp_path / "incoming"
    exchange.export_entries(app, OPERATOR, incoming)  # a file for import_entries to read
    try:
        yield World(app, poll.id, anonymous.id, closed.id, made.id, incoming, draft.id)
    finally:
        app.close()


def dump(app: App) -> dict[str, list[str]]:
    """Every row of every table, as text: the whole database a refusal must not change."""
    names = [r[0] for r in app.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {name: sorted(map(repr, app.db.execute(f"SELECT * FROM [{name}]")))
            for name in names}


# ---------------------------------------------------------------- the table

Call = Callable[[World, Actor], Any]
Check = Callable[[World, Any], None]
REFUSE = "refuse"


@dataclass(frozen=True)
class Expect:
    """What one attacker gets: refused with ``error``, or allowed (``why``, then ``check``)."""

    error: type[BotError] | None = None
    why: str = ""
    check: Check | None = None


def refused(error: type[BotError] = NotAllowed) -> Expect:
    return Expect(error)


def allowed(why: str, check: Check | None = None) -> Expect:
    return Expect(None, why, check)


def each(error: type[BotError] = NotAllowed) -> dict[str, Expect]:
    """All three refused (the wrong server with ``error``, a DM and no rights: NotAllowed)."""
    return {"wrong server": refused(error), "dm": refused(), "no rights": refused()}


def hidden(poll_error: bool = True) -> dict[str, Expect]:
    """Another server's poll is "not found"; a DM is refused; members may do it."""
    return {"wrong server": refused(PollNotFound if poll_error else NotFound), "dm": refused(),
            "no rights": allowed("members of the poll's server do this")}


def nothing_of_a(world: World, result: Any) -> None:
    """Whatever came back holds none of server A's polls, suggestions or questions."""
    text = repr(result)
    assert UNANSWERED not in text and "Whose dog?" not in text
    assert "What does the ending of the film mean to you?" not in text


def new_poll_in_b(world: World, poll: polls.Poll) -> None:
    assert poll.guild_id == B  # their own server's poll: A sees nothing of it
    assert poll.id not in {p.id for p in polls.list_polls(world.app.db, MEMBER_A, status=None)}


def own_draft_in_b(world: World, draft: drafts.Draft) -> None:
    assert draft.guild_id == B and draft.id != world.draft  # their own, where they are


def a_keeps_its_setting(world: World, result: Any) -> None:
    assert guilds.shows_spoilers(world.app.db, MOD_A) is True


def no_standings_of_a(world: World, answer: answers.Answer) -> None:
    assert answer.entry is not None and answer.entry.id == "community-view"
    assert answer.standings is None


def own_standings(world: World, answer: answers.Answer) -> None:
    assert answer.standings is not None and answer.standings.poll.guild_id == A


COMMUNITY = "what does everyone think the ending means"

TABLE: dict[str, tuple[Call, dict[str, Expect]]] = {
    # ---- polls
    "polls.create_poll": (
        lambda w, a: polls.create_poll(w.app.db, a, question="Q?", options=(
            polls.Option("x", "X"), polls.Option("y", "Y"))),
        {"wrong server": allowed("a moderator starts a poll in their own server", new_poll_in_b),
         "dm": refused(), "no rights": refused()}),
    "polls.create_ending_poll": (
        lambda w, a: polls.create_ending_poll(w.app.db, a, film="drive-my-car"),
        {"wrong server": allowed("anyone starts one in their own server", new_poll_in_b),
         "dm": refused(), "no rights": allowed("anyone may start a poll on the readings")}),
    "polls.get_poll": (lambda w, a: polls.get_poll(w.app.db, a, w.poll), hidden()),
    "polls.close": (lambda w, a: polls.close(w.app.db, a, w.poll), each(PollNotFound)),
    "polls.reopen": (lambda w, a: polls.reopen(w.app.db, a, w.closed), each(PollNotFound)),
    "polls.list_polls": (
        lambda w, a: polls.list_polls(w.app.db, a, status=None),
        {"wrong server": allowed("lists their own server's polls", nothing_of_a),
         "dm": refused(), "no rights": allowed("members list their server's polls")}),
    "polls.latest_poll": (
        lambda w, a: polls.latest_poll(w.app.db, a, film="drive-my-car"),
        {"wrong server": allowed("their own server's latest poll", nothing_of_a),
         "dm": refused(), "no rights": allowed("members see their server's latest poll")}),
    "polls.accepting_votes": (
        lambda w, a: polls.accepting_votes(w.app.db, a, w.poll, polls.utc(None)), hidden()),
    # ---- votes
    "votes.vote": (lambda w, a: votes.vote(w.app.db, a, w.poll, ["gave-car"]), hidden()),
    "votes.toggle": (lambda w, a: votes.toggle(w.app.db, a, w.anonymous, "gave-car"), hidden()),
    "votes.press": (lambda w, a: votes.press(w.app.db, a, w.poll, "gave-car"), hidden()),
    "votes.retract": (lambda w, a: votes.retract(w.app.db, a, w.anonymous), hidden()),
    "votes.ballot": (lambda w, a: votes.ballot(w.app.db, a, w.poll), hidden()),
    # ---- results
    "poll_results.tally": (lambda w, a: poll_results.tally(w.app.db, a, w.poll), hidden()),
    "poll_results.tally_from_events": (
        lambda w, a: poll_results.tally_from_events(w.app.db, a, w.anonymous), hidden()),
    "poll_results.export_ballots": (
        lambda w, a: poll_results.export_ballots(w.app.db, a, w.poll), hidden()),
    "poll_results.voters": (lambda w, a: poll_results.voters(w.app.db, a, w.poll), hidden()),
    # ---- the asking server's standings
    "answers.ask": (
        lambda w, a: answers.ask(w.app, COMMUNITY, source="t", log=False, asker=a),
        {"wrong server": allowed("answers are for everyone; standings are their own server's",
                                 no_standings_of_a),
         "dm": allowed("answers are for everyone; a DM has no standings", no_standings_of_a),
         "no rights": allowed("members see their server's standings", own_standings)}),
    # ---- spoiler setting
    "guilds.shows_spoilers": (
        lambda w, a: guilds.shows_spoilers(w.app.db, a),
        {"wrong server": allowed("reads their own server's setting",
                                 lambda w, r: (r is None) or pytest.fail("A's setting leaked")),
         "dm": allowed("a DM has no setting", lambda w, r: r is None or pytest.fail(str(r))),
         "no rights": allowed("answers in A read A's setting")}),
    "guilds.set_shows_spoilers": (
        lambda w, a: guilds.set_shows_spoilers(w.app.db, a, False),
        {"wrong server": allowed("sets their own server's setting", a_keeps_its_setting),
         "dm": refused(), "no rights": refused()}),
    # ---- suggestions
    "suggestions.check_suggestions_here": (
        lambda w, a: suggestions.check_suggestions_here(w.app, a),
        {"wrong server": refused(), "dm": refused(),
         "no rights": allowed("members suggest in a curating server")}),
    "suggestions.suggest": (
        lambda w, a: suggestions.suggest(w.app, a, 5, "Spam", "spam"),
        {"wrong server": refused(), "dm": refused(),
         "no rights": allowed("members suggest in a curating server")}),
    "drafts.save_draft": (
        lambda w, a: drafts.save_draft(w.app.db, a, {"kind": "add"}, {"answer": "mine"}),
        {"wrong server": allowed("a moderator keeps their own form, in their own server",
                                 own_draft_in_b),
         "dm": refused(), "no rights": refused()}),
    "drafts.load_draft": (
        lambda w, a: drafts.load_draft(w.app.db, a, w.draft), each(NotFound) | {
            "dm": refused(NotFound), "no rights": refused(NotFound)}),
    "suggestions.get_suggestion": (
        lambda w, a: suggestions.get_suggestion(w.app, a, w.suggestion), each(NotFound)),
    "suggestions.queue": (
        lambda w, a: suggestions.queue(w.app, a),
        {"wrong server": allowed("their own server's queue", nothing_of_a),
         "dm": refused(), "no rights": refused()}),
    "suggestions.approve": (
        lambda w, a: suggestions.approve(w.app, a, w.suggestion, dog_data()), each()),
    "suggestions.reject": (
        lambda w, a: suggestions.reject(w.app, a, w.suggestion, "no"), each(NotFound)),
    # ---- the shared knowledge base (BOT_KB_GUILDS = A)
    "curation.check_curator": (lambda w, a: curation.check_curator(w.app, a, "add"), each()),
    "curation.save_entry": (
        lambda w, a: curation.save_entry(w.app, a, curation.get_entry(w.app, "no-kiss"),
                                         "edit", None), each()),
    "curation.add_entry": (lambda w, a: curation.add_entry(w.app, a, dog_data()), each()),
    "curation.edit_entry": (
        lambda w, a: curation.edit_entry(w.app, a, "no-kiss", {"answer": "Changed."}), each()),
    "curation.remove_entry": (lambda w, a: curation.remove_entry(w.app, a, "no-kiss"), each()),
    "curation.link_question": (
        lambda w, a: curation.link_question(w.app, a, UNANSWERED, "no-kiss"), each()),
    "curation.unanswered_questions": (
        lambda w, a: curation.unanswered_questions(w.app, a),
        {"wrong server": allowed("their own server's questions", nothing_of_a),
         "dm": refused(), "no rights": refused()}),
    "audit.audit_log": (lambda w, a: audit.audit_log(w.app, a), each()),
    "exchange.export_files": (lambda w, a: exchange.export_files(w.app, a), each()),
    "exchange.export_zip": (lambda w, a: exchange.export_zip(w.app, a), each()),
    "exchange.export_entries": (
        lambda w, a: exchange.export_entries(w.app, a, w.tmp / "out"), each()),
    "exchange.import_entries": (
        lambda w, a: exchange.import_entries(w.app, a, w.tmp), each()),
    "exchange.reload_knowledge": (lambda w, a: exchange.reload_knowledge(w.app, a), each()),
    # ---- the checks themselves
    "moderators.require_server": (
        lambda w, a: moderators.require_server(a, "polls"),
        {"wrong server": allowed("any server is a server; the data decides whose"),
         "dm": refused(), "no rights": allowed("members use their server")}),
    "moderators.require_moderator": (
        lambda w, a: moderators.require_moderator(a, "do this"),
        {"wrong server": allowed("they moderate their own server; the data decides whose"),
         "dm": refused(), "no rights": refused()}),
    "moderators.require_curator": (
        lambda w, a: moderators.require_curator(a, frozenset({A}), "curate"), each()),
}

# Public functions that take an actor but check nothing themselves, and why that is safe.
NOT_CHECKED = {
    "audit.record_audit": "writes the row of a change its caller has already authorised, in "
                          "the caller's transaction; front ends never call it",
}

# Public functions of the server-scoped modules that read or write server data with no
# actor: the bot's own housekeeping, never an answer to a person.
HOUSEKEEPING = {
    "polls.close_expired": "closes every server's polls whose deadline passed",
    "polls.posted_open_polls": "which poll messages to refresh after a restart",
    "polls.load_for_message": "the poll behind a message the bot posted, to redraw it there",
    "polls.set_message": "remembers the id of the message the bot posted",
    "polls.check_voter_key": "checks a poll its caller already fetched for the actor",
    "polls.interpretation_options": "the film pack's readings: shared, not server data",
    "poll_results.message_tally": "the bars on the poll's own message, in its own channel",
    "suggestions.suggestion_form": "pre-fills a form from a suggestion already fetched",
    "answers.log_question": "ask() records the question with the asker's server",
    "answers.unanswered": "the query behind curation.unanswered_questions, which checks",
    "answers.record_feedback": "feedback on a shared entry, kept under a pseudonym",
    "answers.feedback_counts": "counts for a shared entry",
    "retention.purge_question_log": "deletes old questions of every server",
    # the shared knowledge base, the same for every server:
    "curation.film_id": "which film an entry belongs to",
    "curation.get_entry": "one entry, as /ask answers it anyway",
    "curation.list_entries": "the entries, as /ask answers them anyway",
    "curation.search_entries": "entries by id, title or words",
    "exchange.removed_entry_paths": "file paths of entries moderators removed",
    # what the bot's own poll messages show, in the poll's own channel:
    "poll_messages.state": "the bot's record of its messages for one poll",
    "poll_messages.with_tally": "the bars on the poll's own message, with that bookkeeping",
    "poll_messages.lagging": "which poll messages and results posts to redo after a crash",
    "poll_messages.set_thread": "remembers the thread the bot started on its poll message",
    "poll_messages.mark_shown": "remembers what the bot's poll message shows",
    "poll_messages.begin_results": "marks the bot's results post before sending it",
    "poll_messages.record_results": "remembers the bot's results post",
    "poll_messages.skip_results": "no results post where the bot may not post",
    "poll_messages.forget_results_message": "the bot's results post was deleted",
}
SCOPED_MODULES = ("polls", "votes", "poll_results", "guilds", "suggestions", "answers",
                  "retention", "curation", "audit", "exchange", "poll_messages")
FRONT_ENDS_NEVER_CALL = ("record_audit", "load_for_message", "log_question", "unanswered")


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("attacker", list(ATTACKERS))
@pytest.mark.parametrize("name", list(TABLE))
def test_every_core_function_keeps_its_walls(world: World, name: str, attacker: str) -> None:
    call, expectations = TABLE[name]
    expect = expectations[attacker]
    actor = ATTACKERS[attacker]
    before = dump(world.app)
    if expect.error is None:
        assert expect.why, f"{name}: say why {attacker} may do this"
        result = call(world, actor)
        if expect.check is not None:
            expect.check(world, result)
        return
    with pytest.raises(BotError) as caught:
        call(world, actor)
    error = caught.value
    assert isinstance(error, expect.error), f"{name} as {attacker}: {error!r}"
    message = str(error)
    assert re.fullmatch(r"[A-Z].{10,400}[.?]", message, re.S), message  # a sentence
    if isinstance(error, NotFound):  # worded exactly like an id that never existed
        assert re.fullmatch(r"There is no poll #\d+ here; it may have been removed\.|"
                            r"No suggestion #\d+ here\.|That form is no longer kept "
                            r"\(drafts are kept for a day\); please run the command again\.",
                            message), message
    assert dump(world.app) == before, f"{name} as {attacker} changed the database"


def _core_functions() -> dict[str, Any]:
    """Every public function defined in the core (bot/, minus the cogs, CLI and console)."""
    found = {}
    for info in pkgutil.iter_modules(bot.__path__):
        if info.ispkg or info.name.startswith(("console", "__")):
            continue
        module = importlib.import_module(f"bot.{info.name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not fname.startswith("_"):
                found[f"{info.name}.{fname}"] = fn
    return found


def _takes_actor(fn: Any) -> bool:
    return any("Actor" in str(p.annotation) for p in inspect.signature(fn).parameters.values())


def test_the_table_covers_every_core_function_that_takes_an_actor() -> None:
    with_actor = {name for name, fn in _core_functions().items() if _takes_actor(fn)}
    missing = with_actor - set(TABLE) - set(NOT_CHECKED)
    stale = (set(TABLE) | set(NOT_CHECKED)) - with_actor
    assert not missing, f"add these to TABLE in tests/test_walls.py: {sorted(missing)}"
    assert not stale, f"these no longer take an actor: {sorted(stale)}"
    for expectations in (e for _, e in TABLE.values()):
        assert set(expectations) == set(ATTACKERS)


def test_server_scoped_modules_take_an_actor_or_say_why_not() -> None:
    for name, fn in _core_functions().items():
        module = name.split(".")[0]
        params = inspect.signature(fn).parameters
        if module in SCOPED_MODULES and ({"db", "app"} & set(params)) and not _takes_actor(fn):
            assert name in HOUSEKEEPING, (
                f"{name} reads or writes through db/app without an actor: take one, or add "
                "it to HOUSEKEEPING with the reason")
    assert set(HOUSEKEEPING) <= set(_core_functions())


def test_front_ends_never_call_the_unchecked_helpers() -> None:
    root = Path(bot.__file__).parent
    fronts = [*root.glob("cogs/*.py"), *root.glob("cli/*.py"), *root.glob("console*.py")]
    for path in fronts:
        text = path.read_text(encoding="utf-8")
        for helper in FRONT_ENDS_NEVER_CALL:
            assert not re.search(rf"(?<!def )\b{helper}\(", text), \
                f"{path.name} calls {helper}"


def test_the_operator_reaches_every_server(world: World) -> None:
    """The CLI's scope: every server's polls, questions and suggestions, still by the rules."""
    db = world.app.db
    assert {p.id for p in polls.list_polls(db, OPERATOR, status=None)} >= {world.poll}
    assert poll_results.tally(db, OPERATOR, world.poll).total_voters == 1
    assert [q.text for q in curation.unanswered_questions(world.app, OPERATOR)] == [UNANSWERED]
    assert [s.id for s in suggestions.queue(world.app, OPERATOR)] == [world.suggestion]
    with pytest.raises(NotAllowed, match="anonymous"):
        poll_results.voters(db, OPERATOR, world.anonymous)  # nobody sees anonymous voters


def test_without_kb_guilds_other_servers_curate_but_see_nothing_of_a(world: World) -> None:
    app = world.app
    app.settings = replace(app.settings, kb_guilds=frozenset())
    mod_b = ATTACKERS["wrong server"]
    assert curation.unanswered_questions(app, mod_b) == []
    assert suggestions.queue(app, mod_b) == []
    before = dump(app)
    for action in (lambda: suggestions.approve(app, mod_b, world.suggestion, dog_data()),
                   lambda: suggestions.reject(app, mod_b, world.suggestion, "no"),
                   lambda: curation.link_question(app, mod_b, UNANSWERED, "no-kiss")):
        with pytest.raises(NotFound):
            action()
    assert dump(app) == before
    curation.edit_entry(app, mod_b, "no-kiss", {"answer": "Changed by B."})  # shared KB
    rows = audit.audit_log(app, mod_b)
    assert {r.action for r in rows} == {"edit"}  # A's suggestion and link rows stay A's


def test_a_dm_actor_is_never_a_moderator_of_anything() -> None:
    dm = Actor(10, None, True)
    assert dm.in_dm and not dm.sees(None) and not dm.sees(A)
    assert not OPERATOR.in_dm and OPERATOR.sees(None) and OPERATOR.sees(A)
    with pytest.raises(BotError):
        Actor(10, "111")  # type: ignore[arg-type]
    with pytest.raises(BotError):
        Actor(True, A)  # type: ignore[arg-type]


def test_no_cog_can_reach_the_operators_scope() -> None:
    """Discord front ends build plain Actors in one place; nothing there names the operator."""
    import ast

    cogs = Path(bot.__file__).parent / "cogs"
    forbidden = {"Operator", "OPERATOR", "CLI_ACTOR"}
    for path in sorted(cogs.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = (node.id if isinstance(node, ast.Name) else node.attr
                    if isinstance(node, ast.Attribute) else None)
            assert name not in forbidden, f"{path.name}:{node.lineno} names {name}"
            if isinstance(node, ast.alias):
                assert node.name not in forbidden, f"{path.name} imports {node.name}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Actor":
                assert path.name == "members.py", f"{path.name}:{node.lineno} builds an Actor"


def test_members_builds_server_or_dm_actors_from_discords_data() -> None:
    """``actor_of`` for a guild interaction and a DM, with stand-ins for discord.py's objects."""
    from types import SimpleNamespace

    from bot.cogs.members import actor_of

    client = SimpleNamespace(app=SimpleNamespace(settings=Settings(mod_roles=frozenset({7}))))
    admin = SimpleNamespace(id=5, roles=[SimpleNamespace(id=7)], guild_permissions=None)
    for guild_id, expected in ((A, Actor(5, A, True)), (None, Actor(5, None, False))):
        interaction = SimpleNamespace(client=client, user=admin, guild_id=guild_id,
                                      permissions=SimpleNamespace(manage_guild=True))
        actor = actor_of(interaction)  # type: ignore[arg-type]
        assert type(actor) is Actor and not actor.is_operator
        assert actor == expected
