"""Interpretation polls through the real discord.py client, against the local fake Discord.

What a user sees (the poll message, its bars and buttons, the ephemeral confirmations) and
what the bot stores (ballots, the vote log) are checked together, so each test can fail on
either side.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import poll_results, polls, votes
from bot.cogs.client import BotClient
from bot.moderators import OPERATOR, Actor
from bot.store import open_db, write
from tests.e2e.conftest import StartBot, stop
from tests.fakediscord import FakeDiscord
from tests.fakediscord.server import InteractionHandle

EPHEMERAL = 64
MANAGE_GUILD = 0x20
NO_PINGS = {"parse": []}
QUESTION = "What does the ending of the film mean to you?"
NEW_LIFE = "Misaki has started a new life, free of her past"
GAVE_CAR = "Kafuku gave Misaki the Saab"
EMPTY_BAR = "`░░░░░░░░░░` 0% (0)"


# ----- helpers -------------------------------------------------------------------------------
def make_admin(fake: FakeDiscord, name: str = "admin") -> dict:
    """A member holding Manage Server through a role; call it before the bot connects.

    discord.py computes ``guild_permissions`` from the cached roles (the tester who owns the
    guild has every permission), so a realistic moderator gets the permission from a role.
    """
    role = fake.add_role(f"{name}-role", MANAGE_GUILD)
    return fake.make_user(name=name, roles=[role])


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or []
            for c in row["components"] if "custom_id" in c]


def embed(message: dict) -> dict:
    return message["embeds"][0]


def status(message: dict) -> str:
    return next(f["value"] for f in embed(message)["fields"] if f["name"] == "Status")


def ephemeral_text(response: dict) -> str:
    """The content of an ephemeral type-4 callback (fails on anything else)."""
    assert response["type"] == 4, response
    assert response["data"]["flags"] & EPHEMERAL, response
    return response["data"]["content"]


async def run(fake: FakeDiscord, command: str, options: dict | None = None,
              user: dict | None = None) -> dict:
    """/poll <command> [options] as `user`; returns the callback body."""
    handle = await fake.slash("poll", options, subcommand=command, user=user)
    return await handle.wait_response(timeout=3)


async def start_ending_poll(fake: FakeDiscord, user: dict | None = None,
                            **options: Any) -> tuple[int, int]:
    """/poll ending; returns (poll id, poll message id) once the message id is stored."""
    handle = await fake.slash("poll", options or None, subcommand="ending", user=user)
    response = await handle.wait_response(timeout=3)
    assert response["type"] == 4 and not response["data"].get("flags", 0) & EPHEMERAL
    message = handle.original
    assert message is not None
    poll_id = int(re.match(r"Poll #(\d+) ", embed(message)["footer"]["text"])[1])
    await fake.settle()  # the bot stores the message id after GET @original
    return poll_id, int(message["id"])


def ballots(client: BotClient, poll_id: int) -> dict[int, list[str]]:
    db = client.app.db
    return {user: json.loads(choices) for user, choices in db.execute(
        "SELECT user_id, choices FROM ballots WHERE poll_id = ?", [poll_id])}


def event_count(client: BotClient, poll_id: int | None = None) -> int:
    sql, params = "SELECT count(*) FROM vote_events", []
    if poll_id is not None:
        sql, params = sql + " WHERE poll_id = ?", [poll_id]
    return client.app.db.execute(sql, params).fetchone()[0]


def edits_of(fake: FakeDiscord, message_id: int) -> list:
    """PATCHes of the poll message (the tally updater edits it as a channel message)."""
    return fake.find_requests("PATCH", rf"/channels/\d+/messages/{message_id}$")


def forged_message(message: dict, custom_id: str) -> dict:
    """A copy of the poll message whose only button carries `custom_id`."""
    forged = copy.deepcopy(message)
    forged["components"] = [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Vote", "custom_id": custom_id}]}]
    return forged


def responses_sent_by_bot(fake: FakeDiscord) -> list[tuple[str, dict]]:
    """(path, body) of every message the bot created or edited, autocomplete excluded."""
    out = []
    for r in fake.requests:
        if r.method == "POST" and r.path.endswith("/callback"):
            if r.json.get("type") in (4, 7):
                out.append((r.path, r.json["data"]))
        elif r.method in ("POST", "PATCH") and re.search(r"/(messages|webhooks)(/|$)", r.path):
            out.append((r.path, r.json))
    return out


# ----- posting -------------------------------------------------------------------------------
async def test_poll_ending_posts_bars_status_footer_and_buttons(fake: FakeDiscord,
                                                               start_dmc: StartBot) -> None:
    client = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    message = fake.messages[message_id]
    assert message in fake.channel_messages()  # public, in the channel
    shown = embed(message)
    assert shown["title"] == QUESTION
    assert shown["description"] == f"**{NEW_LIFE}**\n{EMPTY_BAR}\n**{GAVE_CAR}**\n{EMPTY_BAR}"
    assert status(message) == "Open"
    assert shown["footer"]["text"] == f"Poll #{poll_id} · 0 voters · public · one choice"
    buttons = [c for row in message["components"] for c in row["components"]]
    assert [(b["type"], b["custom_id"], b["label"]) for b in buttons] == [
        (2, f"poll:{poll_id}:new-life", NEW_LIFE), (2, f"poll:{poll_id}:gave-car", GAVE_CAR),
        (2, f"pollme:{poll_id}", "My vote")]
    assert [len(row["components"]) for row in message["components"]] == [2, 1]  # own row
    poll = polls.get_poll(client.app.db, OPERATOR, poll_id)
    assert poll.message_id == message_id and poll.channel_id == fake.channel_id
    assert poll.kind == "interpretations" and poll.creator_id == int(fake.default_user["id"])


async def test_custom_poll_with_six_options_uses_a_select(fake: FakeDiscord,
                                                          start_dmc: StartBot) -> None:
    mod = make_admin(fake)
    client = await start_dmc()
    options = {"question": "Best scene?", "options": "a | b | c | d | e | f"}
    handle = await fake.slash("poll", options, subcommand="create", user=mod)
    await handle.wait_response(timeout=3)
    message = handle.original
    poll_id = int(re.match(r"Poll #(\d+) ", embed(message)["footer"]["text"])[1])
    [row, mine] = message["components"]
    [select] = row["components"]
    assert [c["custom_id"] for c in mine["components"]] == [f"pollme:{poll_id}"]
    assert select["type"] == 3 and select["custom_id"] == f"pollsel:{poll_id}"
    assert [o["label"] for o in select["options"]] == list("abcdef")
    assert select["max_values"] == 1
    assert embed(message)["description"].count(EMPTY_BAR) == 6

    voter = fake.make_user(name="voter")
    pick = await fake.select(f"pollsel:{poll_id}", ["o3"], int(message["id"]), user=voter)
    assert ephemeral_text(await pick.wait_response(timeout=3)) == "You voted for **c**."
    assert ballots(client, poll_id) == {int(voter["id"]): ["o3"]}
    await fake.wait_until(lambda: "(1)" in embed(fake.messages[int(message["id"])])[
        "description"], timeout=6, what="the tally edit")
    assert "**c**\n`██████████` 100% (1)" in embed(fake.messages[int(message["id"])])[
        "description"]


# ----- voting --------------------------------------------------------------------------------
async def test_vote_change_retract_and_revote(fake: FakeDiscord, start_dmc: StartBot) -> None:
    client = await start_dmc()
    client.get_cog("Polls").updater.interval = 0.2
    poll_id, message_id = await start_ending_poll(fake)
    alice = fake.make_user(name="alice")
    uid = int(alice["id"])

    first = await fake.click(f"poll:{poll_id}:new-life", message_id, user=alice)
    assert ephemeral_text(await first.wait_response(timeout=3)) == f"You voted for **{NEW_LIFE}**."
    assert custom_ids(first.original) == [f"pollx:{poll_id}"]
    assert ballots(client, poll_id) == {uid: ["new-life"]}

    change = await fake.click(f"poll:{poll_id}:gave-car", message_id, user=alice)
    assert ephemeral_text(await change.wait_response(timeout=3)) == f"You voted for **{GAVE_CAR}**."
    assert ballots(client, poll_id) == {uid: ["gave-car"]}  # replaced: still one ballot

    retract = await fake.click(f"pollx:{poll_id}", change.original_id, user=alice)
    assert ephemeral_text(await retract.wait_response(timeout=3)) == "Your vote was retracted."
    assert ballots(client, poll_id) == {}
    again = await fake.click(f"pollx:{poll_id}", first.original_id, user=alice)
    assert ephemeral_text(await again.wait_response(timeout=3)) == "You had no vote in that poll."

    revote = await fake.click(f"poll:{poll_id}:new-life", message_id, user=alice)
    assert ephemeral_text(await revote.wait_response(timeout=3)) == f"You voted for **{NEW_LIFE}**."
    assert ballots(client, poll_id) == {uid: ["new-life"]}
    events = list(client.app.db.query(
        "SELECT old, new FROM vote_events WHERE poll_id = ? ORDER BY id", [poll_id]))
    assert [(e["old"], e["new"]) for e in events] == [
        (None, '["new-life"]'), ('["new-life"]', '["gave-car"]'), ('["gave-car"]', None),
        (None, '["new-life"]')]
    counts = poll_results.tally(client.app.db, OPERATOR, poll_id).counts
    assert counts == {"new-life": 1, "gave-car": 0}

    def shows_one_vote() -> bool:
        text = embed(fake.messages[message_id])
        return f"**{NEW_LIFE}**\n`██████████` 100% (1)" in text["description"] and \
            "· 1 voter ·" in text["footer"]["text"]

    await fake.wait_until(shows_one_vote, timeout=3, what="the poll message to show 1 vote")


async def test_a_deleted_poll_message_is_no_longer_edited(
        fake: FakeDiscord, start_dmc: StartBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.cogs.tally_updates")
    client = await start_dmc()
    client.get_cog("Polls").updater.interval = 0.05
    poll_id, message_id = await start_ending_poll(fake)
    alice, bob = fake.make_user(name="alice"), fake.make_user(name="bob")
    first = await fake.click(f"poll:{poll_id}:gave-car", message_id, user=alice)
    await first.wait_response(timeout=3)
    await fake.wait_until(lambda: "(1)" in embed(fake.messages[message_id])["description"],
                          timeout=3, what="the tally edit")
    stale = copy.deepcopy(fake.messages[message_id])
    await fake.delete_message(message_id)  # a moderator removes the poll message
    late = await fake.press(f"poll:{poll_id}:new-life", stale, user=bob)
    assert ephemeral_text(await late.wait_response(timeout=3)) == f"You voted for **{NEW_LIFE}**."
    await fake.wait_until(lambda: any(r.status == 404 for r in edits_of(fake, message_id)),
                          timeout=3, what="an edit of the deleted message")
    await fake.settle()
    assert polls.get_poll(client.app.db, OPERATOR, poll_id).message_id is None  # forgotten
    assert any(f"message of poll {poll_id} is gone" in r.getMessage() for r in caplog.records)
    await fake.settle()
    tries = len(edits_of(fake, message_id))
    again = await fake.press(f"poll:{poll_id}:gave-car", stale, user=bob)
    await again.wait_response(timeout=3)
    await asyncio.sleep(0.2)
    await fake.settle()
    assert len(edits_of(fake, message_id)) == tries  # no more edits of a message that is gone
    assert ballots(client, poll_id) == {int(alice["id"]): ["gave-car"],
                                        int(bob["id"]): ["gave-car"]}


# ----- closing and reopening -----------------------------------------------------------------
async def test_close_by_creator_refuses_others_and_stale_buttons(fake: FakeDiscord,
                                                                 start_dmc: StartBot) -> None:
    creator, other = fake.make_user(name="creator"), fake.make_user(name="other")
    client = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake, user=creator)
    vote = await fake.click(f"poll:{poll_id}:new-life", message_id, user=other)
    await vote.wait_response(timeout=3)
    await fake.wait_until(lambda: "(1)" in embed(fake.messages[message_id])["description"],
                          timeout=5, what="the tally edit")
    stale = copy.deepcopy(fake.messages[message_id])  # what a client that did not refresh shows
    await fake.settle()
    edits = len(edits_of(fake, message_id))

    refused = await run(fake, "close", {"poll": poll_id}, user=other)
    assert ephemeral_text(refused) == "Only a moderator or the poll's creator can close this poll."
    await fake.settle()
    assert polls.get_poll(client.app.db, OPERATOR, poll_id).is_open
    assert len(edits_of(fake, message_id)) == edits
    assert custom_ids(fake.messages[message_id]) == custom_ids(stale)

    closed = await run(fake, "close", {"poll": poll_id}, user=creator)
    assert ephemeral_text(closed) == f"Poll #{poll_id} is closed; the results are final."
    await fake.wait_until(lambda: len(edits_of(fake, message_id)) > edits, timeout=3,
                          what="the final edit")
    final = fake.messages[message_id]
    assert final["components"] == [] and edits_of(fake, message_id)[-1].json["components"] == []
    assert status(final) == "Closed: final results"
    assert f"**{NEW_LIFE}** 🏆\n`██████████` 100% (1)" in embed(final)["description"]
    assert "· 1 voter ·" in embed(final)["footer"]["text"]
    poll = polls.get_poll(client.app.db, OPERATOR, poll_id)
    assert poll.status == "closed" and poll.closed_by == int(creator["id"])

    late = await fake.press(f"poll:{poll_id}:gave-car", stale, user=other)
    assert ephemeral_text(await late.wait_response(timeout=3)) == (
        f"Poll #{poll_id} is closed, so it no longer accepts votes.")
    assert ballots(client, poll_id) == {int(other["id"]): ["new-life"]}
    assert event_count(client, poll_id) == 1
    again = await run(fake, "close", {"poll": poll_id}, user=creator)
    assert ephemeral_text(again) == f"Poll #{poll_id} is already closed."


async def _moderator(fake: FakeDiscord, start_dmc: StartBot, how: str) -> tuple[dict, BotClient]:
    if how == "manage-server":
        mod = make_admin(fake, "manager")
        return mod, await start_dmc()
    role = fake.add_role("poll-mods", permissions=0)  # no Manage Server: only the setting counts
    mod = fake.make_user(name="poll-mod", roles=[role])
    return mod, await start_dmc(mod_roles=frozenset({role}))


@pytest.mark.parametrize("how", ["manage-server", "mod-role"])
async def test_moderator_closes_and_only_moderators_reopen(fake: FakeDiscord, start_dmc: StartBot,
                                                           how: str) -> None:
    creator = fake.make_user(name="creator")
    mod, client = await _moderator(fake, start_dmc, how)
    client.get_cog("Polls").updater.interval = 0.2
    poll_id, message_id = await start_ending_poll(fake, user=creator)
    buttons = custom_ids(fake.messages[message_id])

    closed = await run(fake, "close", {"poll": poll_id}, user=mod)
    assert ephemeral_text(closed) == f"Poll #{poll_id} is closed; the results are final."
    await fake.wait_until(lambda: fake.messages[message_id]["components"] == [], timeout=3,
                          what="the final edit")
    assert status(fake.messages[message_id]) == "Closed: final results"
    assert polls.get_poll(client.app.db, OPERATOR, poll_id).closed_by == int(mod["id"])

    await fake.settle()
    edits = len(edits_of(fake, message_id))
    refused = await run(fake, "reopen", {"poll": poll_id}, user=creator)  # creators can't
    assert ephemeral_text(refused) == "Only moderators can reopen a poll."
    await fake.settle()
    assert not polls.get_poll(client.app.db, OPERATOR, poll_id).is_open
    assert len(edits_of(fake, message_id)) == edits

    opened = await run(fake, "reopen", {"poll": poll_id}, user=mod)
    assert ephemeral_text(opened) == f"Poll #{poll_id} is open again."
    await fake.wait_until(lambda: custom_ids(fake.messages[message_id]) == buttons, timeout=3,
                          what="the buttons to come back")
    assert status(fake.messages[message_id]) == "Open"
    vote = await fake.click(f"poll:{poll_id}:gave-car", message_id, user=creator)
    assert ephemeral_text(await vote.wait_response(timeout=3)) == f"You voted for **{GAVE_CAR}**."
    assert ballots(client, poll_id) == {int(creator["id"]): ["gave-car"]}


async def test_a_rate_limited_tally_edit_is_retried_and_shows_the_latest_votes(
        fake: FakeDiscord, start_dmc: StartBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="discord.http")
    client = await start_dmc()
    client.get_cog("Polls").updater.interval = 0.05
    poll_id, message_id = await start_ending_poll(fake)
    fake.rate_limit("PATCH", rf"/messages/{message_id}$", retry_after=0.3)
    voters = [fake.make_user(name=f"v{n}") for n in range(5)]
    for user in voters:  # votes keep being confirmed while the edit waits out the 429
        vote = await fake.click(f"poll:{poll_id}:gave-car", message_id, user=user)
        assert ephemeral_text(await vote.wait_response(timeout=3)).startswith("You voted")
    await fake.wait_until(lambda: "(5)" in embed(fake.messages[message_id])["description"],
                          timeout=5, what="the tally edit after the 429")
    statuses = [r.status for r in edits_of(fake, message_id)]
    assert statuses[0] == 429 and statuses[-1] == 200
    assert any("rate limited" in r.getMessage() for r in caplog.records)


async def test_a_slow_close_edit_never_lands_after_the_reopen_edit(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    await fake.settle()
    fake.slow_down("PATCH", rf"/messages/{message_id}$", 0.3)  # the "closed" edit is slow
    closed = await run(fake, "close", {"poll": poll_id})
    assert ephemeral_text(closed).startswith(f"Poll #{poll_id} is closed")
    opened = await run(fake, "reopen", {"poll": poll_id})
    assert ephemeral_text(opened) == f"Poll #{poll_id} is open again."
    await fake.wait_until(lambda: len(edits_of(fake, message_id)) >= 2, timeout=3,
                          what="both edits")
    await fake.settle()
    assert status(fake.messages[message_id]) == "Open"  # the message agrees with the database
    assert custom_ids(fake.messages[message_id]) == [f"poll:{poll_id}:new-life",
                                                     f"poll:{poll_id}:gave-car",
                                                     f"pollme:{poll_id}"]


async def test_deadline_that_passed_while_down_closes_on_startup(
        fake: FakeDiscord, start_dmc: StartBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.cogs.polls")
    first = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake, hours=1.0)
    assert status(fake.messages[message_id]).startswith("Open until <t:")
    voter = fake.make_user(name="voter")
    vote = await fake.click(f"poll:{poll_id}:gave-car", message_id, user=voter)
    await vote.wait_response(timeout=3)
    await fake.wait_until(lambda: "(1)" in embed(fake.messages[message_id])["description"],
                          timeout=5, what="the tally edit")
    due = datetime.now(UTC) + timedelta(seconds=0.5)
    with write(first.app.db):
        first.app.db.execute("UPDATE polls SET deadline = ? WHERE id = ?",
                             [due.isoformat(timespec="microseconds"), poll_id])
    await stop(first)
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.2)
    with sqlite3.connect(first.app.settings.db_path) as conn:  # nobody closed it while down
        assert conn.execute("SELECT status FROM polls WHERE id = ?", [poll_id]).fetchone() == (
            "open",)
    edits = len(edits_of(fake, message_id))

    second = await start_dmc(sync=False)
    await fake.wait_until(lambda: len(edits_of(fake, message_id)) > edits, timeout=5,
                          what="the final edit after the restart")
    final = fake.messages[message_id]
    assert final["components"] == []
    assert status(final) == "Closed: final results"
    assert f"**{GAVE_CAR}** 🏆\n`██████████` 100% (1)" in embed(final)["description"]
    poll = polls.get_poll(second.app.db, OPERATOR, poll_id)
    assert poll.status == "closed" and poll.closed_at == poll.deadline
    assert any(f"poll {poll_id} closed at its deadline" in r.getMessage()
               for r in caplog.records)
    late = await fake.press(f"poll:{poll_id}:new-life", vote.payload["message"],
                       user=fake.make_user(name="late"))
    assert ephemeral_text(await late.wait_response(timeout=3)) == (
        f"Poll #{poll_id} is closed, so it no longer accepts votes.")
    assert event_count(second, poll_id) == 1


async def test_open_poll_messages_catch_up_after_a_restart(fake: FakeDiscord,
                                                           start_dmc: StartBot) -> None:
    first = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    await stop(first)
    # a vote that was confirmed, but whose tally edit was still waiting when the bot died
    db = open_db(first.app.settings.db_path)
    votes.vote(db, Actor(77, fake.guild_id), poll_id, ["gave-car"])
    db.close()
    second = await start_dmc(sync=False)
    second.get_cog("Polls").updater.interval = 0.05
    await fake.wait_until(lambda: "(1)" in embed(fake.messages[message_id])["description"],
                          timeout=5, what="the poll message to catch up")
    assert f"**{GAVE_CAR}**\n`██████████` 100% (1)" in embed(fake.messages[message_id])[
        "description"]


# ----- forged and stale ids ------------------------------------------------------------------
async def test_forged_and_stale_custom_ids_are_refused_logged_and_write_nothing(
        fake: FakeDiscord, start_dmc: StartBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    client = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    closed_id, closed_message_id = await start_ending_poll(fake)
    current = copy.deepcopy(fake.messages[message_id])
    stale = copy.deepcopy(fake.messages[closed_message_id])
    await run(fake, "close", {"poll": closed_id})  # the tester owns the guild: a moderator
    await fake.wait_until(lambda: fake.messages[closed_message_id]["components"] == [],
                          timeout=3, what="the final edit")
    await fake.settle()
    edits = len(fake.find_requests("PATCH"))
    forger = fake.make_user(name="forger")
    cases = [
        (forged_message(current, "poll:999:x"), "poll:999:x", "There is no poll #999"),
        (forged_message(current, f"poll:{poll_id}:not-an-option"),
         f"poll:{poll_id}:not-an-option", f"'not-an-option' is not an option in poll #{poll_id}"),
        (stale, f"poll:{closed_id}:new-life", f"Poll #{closed_id} is closed"),
    ]
    for message, custom_id, refusal in cases:
        caplog.clear()
        handle = await fake.press(custom_id, message, user=forger)
        assert ephemeral_text(await handle.wait_response(timeout=3)).startswith(refusal)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("refused vote" in w and str(forger["id"]) in w for w in warnings), warnings
    assert ballots(client, poll_id) == {} and ballots(client, closed_id) == {}
    assert event_count(client) == 0
    await fake.settle()
    assert len(fake.find_requests("PATCH")) == edits  # no poll message was touched


# ----- other commands ------------------------------------------------------------------------
async def test_create_is_for_moderators_and_results_list_autocomplete_work(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    fan = fake.make_user(name="fan")
    client = await start_dmc()
    refused = await run(fake, "create", {"question": "Which car?", "options": "saab | volvo"},
                        user=fan)
    assert ephemeral_text(refused) == (
        "Only moderators can create polls with custom options; anyone can start a poll on the "
        "film's readings of the ending (poll ending).")
    assert polls.list_polls(client.app.db, OPERATOR, status=None) == []
    assert fake.channel_messages() == []
    assert ephemeral_text(await run(fake, "list", user=fan)).startswith("No open polls here.")
    assert ephemeral_text(await run(fake, "results", user=fan)).startswith(
        "There are no polls in this server yet")

    ending_id, message_id = await start_ending_poll(fake, user=fan)
    vote = await fake.click(f"poll:{ending_id}:gave-car", message_id, user=fan)
    await vote.wait_response(timeout=3)
    car = await run(fake, "create", {"question": "Which car?", "options": "saab | volvo"})
    car_id = int(re.search(r"Poll #(\d+) ", car["data"]["embeds"][0]["footer"]["text"])[1])

    for options, poll_id in (({"poll": ending_id}, ending_id), (None, car_id)):
        response = await run(fake, "results", options, user=fan)
        assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL
        shown = response["data"]["embeds"][0]
        assert shown["footer"]["text"].startswith(f"Poll #{poll_id} · ")
    assert shown["title"] == "Which car?"  # the latest poll by default
    response = await run(fake, "results", {"poll": ending_id}, user=fan)
    shown = response["data"]["embeds"][0]
    assert shown["title"] == QUESTION and f"**{GAVE_CAR}**\n`██████████` 100% (1)" in \
        shown["description"]
    missing = await run(fake, "results", {"poll": 999}, user=fan)
    assert ephemeral_text(missing).startswith("There is no poll #999")

    listing = ephemeral_text(await run(fake, "list", user=fan))
    assert listing.splitlines() == [f"**#{car_id}** Which car? (0 voters)",
                                    f"**#{ending_id}** {QUESTION} (1 voter)"]

    async def choices(command: str, typed: str) -> list[dict]:
        handle = await fake.autocomplete("poll", {"poll": typed}, "poll", subcommand=command,
                                         user=fan)
        response = await handle.wait_response(timeout=3)
        assert response["type"] == 8
        return response["data"]["choices"]

    assert await choices("results", "") == [
        {"name": f"#{car_id} Which car?", "value": car_id},
        {"name": f"#{ending_id} {QUESTION}", "value": ending_id}]
    assert await choices("close", "car") == [{"name": f"#{car_id} Which car?", "value": car_id}]
    assert await choices("reopen", str(ending_id)) == [
        {"name": f"#{ending_id} {QUESTION}", "value": ending_id}]


async def test_voters_of_a_public_poll_are_shown_and_of_an_anonymous_one_never(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    alice, bob = fake.make_user(name="alice"), fake.make_user(name="bob")
    await start_dmc()
    public_id, public_message = await start_ending_poll(fake)
    secret_id, secret_message = await start_ending_poll(fake, anonymous=True)
    for user, option in ((alice, "gave-car"), (bob, "gave-car")):
        for poll_id, message_id in ((public_id, public_message), (secret_id, secret_message)):
            vote = await fake.click(f"poll:{poll_id}:{option}", message_id, user=user)
            await vote.wait_response(timeout=3)

    shown = await run(fake, "voters", {"poll": public_id}, user=bob)
    assert shown["type"] == 4 and shown["data"]["flags"] & EPHEMERAL
    fields = {f["name"]: f["value"] for f in shown["data"]["embeds"][0]["fields"]}
    assert fields == {NEW_LIFE: "nobody yet", GAVE_CAR: f"<@{alice['id']}>, <@{bob['id']}>"}
    assert shown["data"]["allowed_mentions"] == NO_PINGS

    admin = await run(fake, "voters", {"poll": secret_id})  # the guild owner: a moderator
    assert ephemeral_text(admin) == (
        f"Poll #{secret_id} is anonymous: nobody can see who voted for what.")
    latest = await run(fake, "voters", user=alice)  # no number: the latest poll here
    assert ephemeral_text(latest).startswith(f"Poll #{secret_id} is anonymous")


async def test_voters_of_a_big_poll_fit_in_one_embed(fake: FakeDiscord,
                                                     start_dmc: StartBot) -> None:
    client = await start_dmc()
    labels = [f"reading {n} " + "x" * 60 for n in range(1, 26)]
    created = await run(fake, "create", {"question": "Which?", "options": " | ".join(labels)})
    poll_id = int(re.search(r"Poll #(\d+) ", created["data"]["embeds"][0]["footer"]["text"])[1])
    first_voter = 10**17
    for n in range(600):  # as if clicked: 600 voters on o1 to o24 in turn, one on o25
        votes.vote(client.app.db, Actor(first_voter + n, fake.guild_id), poll_id,
                   [f"o{n % 24 + 1}"])
    votes.vote(client.app.db, Actor(42, fake.guild_id), poll_id, ["o25"])
    shown = await run(fake, "voters", {"poll": poll_id})
    assert shown["type"] == 4, shown  # the fake answers 400 to anything over Discord's limits
    fields = shown["data"]["embeds"][0]["fields"]
    assert len(fields) == 25 and fields[-1]["value"] == "<@42>"
    listed = re.findall(r"<@(\d+)>", fields[0]["value"])
    assert listed == [str(first_voter + 24 * n) for n in range(len(listed))]  # earliest first
    assert listed and fields[0]["value"].endswith(f" and {25 - len(listed)} more")


async def test_a_final_multiple_choice_poll_takes_the_whole_ballot_once(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    mod, fan = make_admin(fake), fake.make_user(name="fan")
    client = await start_dmc()
    created = await fake.slash("poll", {"question": "Which scenes matter?",
                                        "options": "snow | theatre | tapes",
                                        "max_choices": 2, "final": True},
                               subcommand="create", user=mod)
    await created.wait_response(timeout=3)
    message = created.original
    poll_id = int(re.match(r"Poll #(\d+) ", embed(message)["footer"]["text"])[1])
    assert embed(message)["footer"]["text"].endswith("· up to 2 choices · votes are final")
    [row, mine] = message["components"]
    [select] = row["components"]  # not three buttons that would lock in the first click
    assert [c["custom_id"] for c in mine["components"]] == [f"pollme:{poll_id}"]
    assert (select["type"], select["max_values"]) == (3, 2)

    pick = await fake.select(f"pollsel:{poll_id}", ["o3", "o1"], int(message["id"]), user=fan)
    response = await pick.wait_response(timeout=3)
    assert ephemeral_text(response) == (
        "You voted for **snow**, **tapes**. Votes in this poll are final.")
    assert not response["data"].get("components")  # no retract button
    again = await fake.select(f"pollsel:{poll_id}", ["o2"], int(message["id"]), user=fan)
    assert ephemeral_text(await again.wait_response(timeout=3)) == (
        f"Votes in poll #{poll_id} can't be changed once cast.")
    assert ballots(client, poll_id) == {int(fan["id"]): ["o1", "o3"]}
    assert event_count(client, poll_id) == 1


async def test_another_servers_poll_is_unknown_here(fake: FakeDiscord, start_dmc: StartBot,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    client = await start_dmc()
    here_id, message_id = await start_ending_poll(fake)
    there = fake.guild_id + 1
    elsewhere = polls.create_ending_poll(client.app.db, Actor(5, there), film="drive-my-car",
                                         channel_id=1)
    votes.vote(client.app.db, Actor(6, there), elsewhere.id, ["gave-car"])
    unknown = f"There is no poll #{elsewhere.id} here; it may have been removed."
    for command in ("results", "voters", "close", "reopen"):  # as the guild owner: a moderator
        assert ephemeral_text(await run(fake, command, {"poll": elsewhere.id})) == unknown
    custom_id = f"poll:{elsewhere.id}:new-life"
    forged = await fake.press(custom_id, forged_message(fake.messages[message_id], custom_id))
    assert ephemeral_text(await forged.wait_response(timeout=3)) == unknown
    assert any("refused vote" in r.getMessage() for r in caplog.records)
    other = polls.get_poll(client.app.db, OPERATOR, elsewhere.id)
    assert other.is_open and ballots(client, elsewhere.id) == {6: ["gave-car"]}
    assert event_count(client, elsewhere.id) == 1 and event_count(client, here_id) == 0


# ----- load ----------------------------------------------------------------------------------
async def test_a_burst_of_500_votes_gets_coalesced_tally_edits(fake: FakeDiscord,
                                                               start_dmc: StartBot) -> None:
    interval, voters, batch = 0.5, 500, 50
    client = await start_dmc()
    client.get_cog("Polls").updater.interval = interval
    poll_id, message_id = await start_ending_poll(fake)
    message = copy.deepcopy(fake.messages[message_id])
    users = [fake.make_user(name=f"voter{n}") for n in range(voters)]
    picks = {int(u["id"]): "new-life" if n % 3 else "gave-car" for n, u in enumerate(users)}
    edits_before = len(edits_of(fake, message_id))

    started = time.monotonic()
    handles: list[InteractionHandle] = []
    for first in range(0, voters, batch):
        group = users[first:first + batch]
        sent = await asyncio.gather(*(fake.press(f"poll:{poll_id}:{picks[int(u['id'])]}",
                                            message, user=u) for u in group))
        await asyncio.gather(*(h.wait_response(timeout=5) for h in sent))
        handles += sent
    want = {"new-life": sum(p == "new-life" for p in picks.values())}
    want["gave-car"] = voters - want["new-life"]

    def final_shown() -> bool:
        shown = embed(fake.messages[message_id])
        return f"· {voters} voters ·" in shown["footer"]["text"] and all(
            f"({count})" in shown["description"] for count in want.values())

    await fake.wait_until(final_shown, timeout=10, what="the final tally on the poll message")
    duration = time.monotonic() - started

    labels = {"new-life": NEW_LIFE, "gave-car": GAVE_CAR}
    for handle in handles:
        uid = int(handle.payload["member"]["user"]["id"])
        assert ephemeral_text(handle.response) == f"You voted for **{labels[picks[uid]]}**."
    assert ballots(client, poll_id) == {uid: [pick] for uid, pick in picks.items()}
    assert event_count(client, poll_id) == voters
    counts = poll_results.tally(client.app.db, OPERATOR, poll_id).counts
    assert counts == poll_results.tally_from_events(client.app.db, OPERATOR, poll_id) == want
    edits = len(edits_of(fake, message_id)) - edits_before
    print(f"burst: {voters} votes, {edits} edits in {duration:.2f}s")
    assert 1 <= edits <= duration / interval + 3, (edits, duration)
    assert "`███████░░░` 67% (333)" in embed(fake.messages[message_id])["description"]
    await fake.settle()
    assert len(edits_of(fake, message_id)) - edits_before == edits  # nothing left pending


# ----- mentions ------------------------------------------------------------------------------
async def test_poll_messages_and_responses_never_ping(fake: FakeDiscord,
                                                      start_dmc: StartBot) -> None:
    admin, fan = make_admin(fake), fake.make_user(name="fan")
    client = await start_dmc()
    client.get_cog("Polls").updater.interval = 0.1
    created = await fake.slash("poll", {"question": "@everyone @here <@&1> which reading?",
                                        "options": "@everyone | <@1> | c | d | e | f"},
                               subcommand="create", user=admin)
    await created.wait_response(timeout=3)
    message = created.original
    assert embed(message)["title"] == "@everyone @here <@&1> which reading?"
    poll_id = int(re.search(r"Poll #(\d+) ", embed(message)["footer"]["text"])[1])
    message_id = int(message["id"])
    pick = await fake.select(f"pollsel:{poll_id}", ["o1"], message_id, user=fan)
    await pick.wait_response(timeout=3)
    retract = await fake.click(f"pollx:{poll_id}", pick.original_id, user=fan)
    await retract.wait_response(timeout=3)
    for command, options, user in [("close", {"poll": poll_id}, fan),  # refused
                                   ("close", {"poll": poll_id}, admin),
                                   ("reopen", {"poll": poll_id}, admin),
                                   ("results", {"poll": poll_id}, fan),
                                   ("voters", {"poll": poll_id}, fan),
                                   ("list", None, fan),
                                   ("create", {"question": "@everyone", "options": "a | b"}, fan)]:
        await run(fake, command, options, user)
    forged = await fake.press("poll:999:x", forged_message(message, "poll:999:x"), user=fan)
    await forged.wait_response(timeout=3)
    await fake.wait_until(lambda: status(fake.messages[message_id]) == "Open", timeout=3,
                          what="the reopened poll message")
    await fake.settle()

    sent = responses_sent_by_bot(fake)
    assert len([p for p, _ in sent if p.endswith("/callback")]) >= 10
    assert len([p for p, _ in sent if re.search(rf"/messages/{message_id}$", p)]) >= 2
    assert [(p, body.get("allowed_mentions")) for p, body in sent
            if body.get("allowed_mentions") != NO_PINGS] == []
