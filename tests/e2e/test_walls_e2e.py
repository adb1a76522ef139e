"""Two servers and a DM, through the real discord.py client and the fake Discord: each server
sees its own polls, voters, results, standings and questions, and a DM sees none of them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot import suggestions
from bot.cogs.client import BotClient
from bot.moderators import Actor
from tests.e2e.conftest import StartBot
from tests.fakediscord import FakeDiscord

EPHEMERAL = 64
MANAGE_GUILD = 0x20
COMMUNITY = "what does everyone think the ending means"
STANDS = re.compile(r"Where this server stands \(poll #(\d+)\)")


class Place:
    """One server as a test plays it: its general channel, a moderator and a member."""

    def __init__(self, fake: FakeDiscord, guild_id: int, name: str) -> None:
        self.fake, self.guild_id = fake, guild_id
        self.channel = fake.guilds[guild_id].channel_id
        role = fake.add_role(f"{name}-mods", MANAGE_GUILD, guild_id=guild_id)
        self.mod = fake.make_user(name=f"{name}-mod", roles=[role], guild_id=guild_id)
        self.member = fake.make_user(name=f"{name}-member", guild_id=guild_id)

    async def poll(self, sub: str, options: dict[str, Any] | None = None,
                   user: dict[str, Any] | None = None) -> dict[str, Any]:
        handle = await self.fake.slash("poll", options, subcommand=sub,
                                       user=user or self.member, channel_id=self.channel)
        return await handle.wait_response(timeout=3)

    async def complete(self, sub: str, typed: str = "") -> list[dict[str, Any]]:
        handle = await self.fake.autocomplete("poll", {"poll": typed}, "poll", subcommand=sub,
                                              user=self.member, channel_id=self.channel)
        response = await handle.wait_response(timeout=3)
        assert response["type"] == 8
        return response["data"]["choices"]

    async def ask(self, question: str, user: dict[str, Any] | None = None) -> dict[str, Any]:
        handle = await self.fake.slash("ask", {"question": question}, user=user or self.member,
                                       channel_id=self.channel)
        return (await handle.wait_response(timeout=3))["data"]["embeds"][0]

    async def kb(self, sub: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return await (await self.kb_handle(sub, options)).wait_response(timeout=3)

    async def kb_handle(self, sub: str, options: dict[str, Any] | None = None) -> Any:
        return await self.fake.slash("kb", options or {}, subcommand=sub, user=self.mod,
                                     channel_id=self.channel)

    async def start_poll(self) -> int:
        handle = await self.fake.slash("poll", None, subcommand="ending", user=self.member,
                                       channel_id=self.channel)
        await handle.wait_response(timeout=3)
        footer = handle.original["embeds"][0]["footer"]["text"]
        await self.fake.settle()
        return int(re.match(r"Poll #(\d+) ", footer)[1])

    async def vote(self, poll_id: int, option: str) -> dict[str, Any]:
        custom_id = f"poll:{poll_id}:{option}"
        message = next(m for m in reversed(self.fake.channel_messages(self.channel))
                       if custom_id in str(m.get("components")))
        click = await self.fake.click(custom_id, int(message["id"]), user=self.member)
        return await click.wait_response(timeout=3)


def private(response: dict[str, Any]) -> str:
    """The text of an ephemeral reply (fails on anything else)."""
    assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL, response
    return response["data"].get("content") or ""


def standings(embed: dict[str, Any]) -> int | None:
    """The poll an answer quotes as "where this server stands", if any."""
    found = [STANDS.fullmatch(f["name"]) for f in embed.get("fields", [])]
    return next((int(m[1]) for m in found if m), None)


def missing(poll_id: int) -> str:
    return f"There is no poll #{poll_id} here; it may have been removed."


@pytest.fixture
async def two_servers(fake: FakeDiscord, start_dmc: StartBot
                      ) -> tuple[BotClient, Place, Place, dict[str, Any]]:
    a = Place(fake, fake.guild_id, "a")
    b = Place(fake, fake.add_guild("Second Guild"), "b")
    both = fake.make_user(name="both")  # a member of both servers
    fake.join(both, b.guild_id)
    client = await start_dmc()
    return client, a, b, both


async def test_polls_voters_results_and_autocomplete_stay_in_their_server(
        fake: FakeDiscord, two_servers: tuple[BotClient, Place, Place, dict[str, Any]]) -> None:
    client, a, b, both = two_servers
    poll_a = await a.start_poll()
    assert private(await a.vote(poll_a, "new-life")).startswith("You voted for")

    # server B knows nothing about it, however it asks
    assert private(await b.poll("list")).startswith("No open polls here")
    assert private(await b.poll("results")).startswith("There are no polls in this server yet")
    for sub in ("results", "voters"):
        assert private(await b.poll(sub, {"poll": poll_a})) == missing(poll_a)
        assert private(await b.poll(sub, {"poll": poll_a}, user=both)) == missing(poll_a)
    for sub in ("close", "reopen"):
        assert private(await b.poll(sub, {"poll": poll_a}, user=b.mod)) == missing(poll_a)
    assert await b.complete("results") == [] and await b.complete("voters", str(poll_a)) == []
    assert client.app.db.execute("SELECT status FROM polls WHERE id = ?",
                                 [poll_a]).fetchone()[0] == "open"

    # server A sees its own poll, its voters and its results
    assert [c["value"] for c in await a.complete("voters")] == [poll_a]
    voters = (await a.poll("voters", {"poll": poll_a}))["data"]["embeds"][0]
    assert a.member["id"] in str(voters)
    results = (await a.poll("results"))["data"]["embeds"][0]
    assert f"Poll #{poll_a} " in results["footer"]["text"]

    # a poll in B is B's alone, even for someone in both servers
    poll_b = await b.start_poll()
    assert private(await b.vote(poll_b, "gave-car")).startswith("You voted for")
    assert [c["value"] for c in await b.complete("results")] == [poll_b]
    assert [c["value"] for c in await a.complete("results")] == [poll_a]
    assert private(await a.poll("voters", {"poll": poll_b}, user=both)) == missing(poll_b)
    assert "1 voter" in private(await b.poll("list"))


async def test_ask_quotes_the_asking_servers_latest_poll_and_a_dm_none(
        fake: FakeDiscord, two_servers: tuple[BotClient, Place, Place, dict[str, Any]]) -> None:
    client, a, b, both = two_servers
    poll_a = await a.start_poll()
    await a.vote(poll_a, "new-life")
    assert standings(await a.ask(COMMUNITY)) == poll_a
    assert standings(await b.ask(COMMUNITY)) is None  # B has no poll: nothing from A
    assert standings(await b.ask(COMMUNITY, user=both)) is None
    dm = await fake.slash("ask", {"question": COMMUNITY}, user=both,
                          channel_id=fake.dm_channel(both))
    answer = (await dm.wait_response(timeout=3))["data"]["embeds"][0]
    assert answer["fields"] is not None and standings(answer) is None
    poll_b = await b.start_poll()
    assert standings(await b.ask(COMMUNITY)) == poll_b
    assert standings(await a.ask(COMMUNITY)) == poll_a
    # the log keeps where each question was asked, never who asked it
    rows = client.app.db.execute("SELECT source, guild_id FROM question_log").fetchall()
    assert {g for _, g in rows} == {a.guild_id, b.guild_id, None}
    logged = repr(client.app.db.execute("SELECT * FROM question_log").fetchall())
    for user in (a.member, b.member, both):
        assert user["id"] not in logged and user["username"] not in logged


async def test_a_dm_gets_no_poll_commands_and_no_server_data(
        fake: FakeDiscord, two_servers: tuple[BotClient, Place, Place, dict[str, Any]]) -> None:
    client, a, _, both = two_servers
    poll_a = await a.start_poll()
    await a.vote(poll_a, "new-life")
    poll = next(c for c in fake.commands if c["name"] == "poll")
    assert poll["contexts"] == [0] and poll["dm_permission"] is False  # guild-only
    dm = fake.dm_channel(both)
    with pytest.raises(ValueError, match="not available in DMs"):
        await fake.slash("poll", {}, subcommand="list", user=both, channel_id=dm)
    # a forged or outdated client sends them anyway: refused, and nothing about any poll
    for sub, options in (("list", {}), ("results", {}), ("results", {"poll": poll_a}),
                         ("voters", {"poll": poll_a}), ("ending", {})):
        handle = await fake.slash("poll", options, subcommand=sub, user=both, channel_id=dm,
                                  force=True)
        text = private(await handle.wait_response(timeout=3))
        assert text.startswith("Polls belong to a server"), text
    handle = await fake.autocomplete("poll", {"poll": ""}, "poll", subcommand="voters",
                                     user=both, channel_id=dm, force=True)
    assert (await handle.wait_response(timeout=3))["data"]["choices"] == []
    assert client.app.db.execute("SELECT count(*) FROM polls").fetchone()[0] == 1


async def test_kb_unanswered_and_queue_show_each_server_its_own(
        fake: FakeDiscord, two_servers: tuple[BotClient, Place, Place, dict[str, Any]]) -> None:
    client, a, b, _ = two_servers
    await a.ask("is there a sequel planned")
    await b.ask("who plays the piano at the end")
    shown_a = (await a.kb("unanswered"))["data"]["embeds"][0]["description"]
    shown_b = (await b.kb("unanswered"))["data"]["embeds"][0]["description"]
    assert "sequel" in shown_a and "piano" not in shown_a
    assert "piano" in shown_b and "sequel" not in shown_b
    made = suggestions.suggest(client.app, Actor(int(a.member["id"]), a.guild_id), a.channel,
                               "Whose dog?", "Please explain the dog.")
    queue_a = (await a.kb("queue"))["data"]["embeds"][0]
    queued_b = await b.kb_handle("queue")
    queue_b = (await queued_b.wait_response(timeout=3))["data"]["embeds"][0]
    assert f"#{made.id} · Whose dog?" in str(queue_a)
    assert "Whose dog?" not in str(queue_b) and "Nothing is waiting" in queue_b["description"]
    # B's moderator forges A's queue buttons onto B's own queue message: not found
    for action in ("approve", "reject"):
        forged = {**queued_b.original, "components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "x", "custom_id": f"kbq:{action}:{made.id}"}]}]}
        press = await fake.press(f"kbq:{action}:{made.id}", forged, user=b.mod)
        assert private(await press.wait_response(timeout=3)) == f"No suggestion #{made.id} here."
    assert client.app.db["suggestions"].get(made.id)["status"] == "pending"


async def test_the_bot_purges_the_question_log_daily(fake: FakeDiscord,
                                                      start_dmc: StartBot) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.store import iso

    client = await start_dmc(log_days=5)
    purge = client.get_cog("Ask").purge_log  # type: ignore[union-attr]
    assert purge.is_running() and purge.hours == 24
    old = iso(datetime.now(UTC) - timedelta(days=6))
    client.app.db["question_log"].insert({"asked_at": old, "source": "discord:1/2",
                                          "guild_id": 1, "text": "stale", "confidence": 0.0})
    await purge()  # what the loop runs once a day
    assert client.app.db["question_log"].count == 0
