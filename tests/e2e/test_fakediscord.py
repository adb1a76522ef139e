"""End-to-end checks that the real discord.py client works against tests.fakediscord."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable

import discord
import pytest
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from tests.fakediscord import FakeDiscord
from tests.fakediscord.limits import (
    validate_autocomplete,
    validate_commands,
    validate_message,
    validate_modal,
)

BotFactory = Callable[..., Awaitable[commands.Bot]]


class Vote(discord.ui.View):
    """A one-button view whose callback edits the message it lives on."""

    @discord.ui.button(label="Agree", custom_id="vote:agree", style=discord.ButtonStyle.green)
    async def agree(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        button.disabled = True
        content = f"{interaction.user.name} agreed"
        await interaction.response.edit_message(content=content, view=self)

    @discord.ui.select(custom_id="vote:why", options=[discord.SelectOption(label=x)
                                                      for x in ("grief", "guilt", "hope")])
    async def why(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"because {select.values[0]}", ephemeral=True)


class Feedback(discord.ui.Modal, title="Feedback"):
    """A modal with one text input, answered ephemerally."""

    thoughts = discord.ui.TextInput(label="Your thoughts", custom_id="thoughts", max_length=200)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.thoughts.value}", ephemeral=True)


def make_bot(*, message_content: bool = True, sharded: bool = False) -> commands.Bot:
    """A tiny bot covering slash commands, groups, views, modals, autocomplete and replies."""
    intents = discord.Intents.default()
    intents.message_content = message_content
    kind = commands.AutoShardedBot if sharded else commands.Bot
    # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE before on_ready.
    bot = kind(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    bot.seen: list[str] = []  # type: ignore[attr-defined]

    @bot.tree.command(description="Ask a question")
    @app_commands.describe(question="What to ask")
    async def ask(interaction: discord.Interaction, question: str, private: bool = False) -> None:
        embed = discord.Embed(title="Answer", description=f"You asked: {question}")
        await interaction.response.send_message(embed=embed, view=Vote(), ephemeral=private)

    @bot.tree.command(description="Open the feedback form")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @bot.tree.command(description="Pick a scene")
    async def scene(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"scene {name}")

    @scene.autocomplete("name")
    async def scene_names(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        count = 30 if current == "many" else 3
        return [Choice(name=f"{current}{i}", value=f"v{i}") for i in range(count)]

    @bot.tree.command(description="Where am I?")
    @app_commands.guild_only()
    async def where(interaction: discord.Interaction) -> None:
        member = isinstance(interaction.user, discord.Member)
        await interaction.response.send_message(
            f"guild {interaction.guild_id} channel {type(interaction.channel).__name__} "
            f"member {member}")

    @bot.tree.command(description="Answers too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        await interaction.response.send_message("late")

    poll = app_commands.Group(name="poll", description="Polls")
    admin = app_commands.Group(name="admin", description="Poll admin", parent=poll)

    @admin.command(description="Close a poll")
    async def close(interaction: discord.Interaction, poll_id: int) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"closed poll {poll_id}")

    bot.tree.add_command(poll)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        bot.seen.append(message.content)  # type: ignore[attr-defined]
        if message.author.bot or bot.user not in message.mentions:
            return
        if "file" in message.content:
            await message.channel.send("here", file=discord.File(io.BytesIO(b"hi"), "a.txt"))
        elif "long" in message.content:
            await message.channel.send(embed=discord.Embed(title="x" * 300))
        else:
            await message.reply("pong", allowed_mentions=discord.AllowedMentions.none())

    return bot


@pytest.fixture
async def start_bot(fake: FakeDiscord) -> AsyncIterator[BotFactory]:
    """Start bots against the fake and always close them (and their tasks) at teardown."""
    running: list[tuple[commands.Bot, asyncio.Task[None]]] = []

    async def start(**kwargs: bool) -> commands.Bot:
        bot = make_bot(**kwargs)
        task = asyncio.create_task(bot.start(fake.token))
        running.append((bot, task))
        ready = asyncio.ensure_future(fake.wait_ready(timeout=5, identifies=len(running)))
        await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():  # surface a login/connect failure instead of a bare timeout
            ready.cancel()
            task.result()
            raise RuntimeError("bot.start() returned before the bot was ready")
        await ready
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)


async def test_connects_and_receives_guild(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot()
    assert bot.user is not None and bot.user.id == int(fake.bot_user["id"])
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None and guild.get_channel(fake.channel_id) is not None
    assert bot.application_id == fake.application_id
    await asyncio.sleep(0.05)
    assert fake.heartbeat_acks >= 1 and bot.latency < 1
    assert fake.gateway_received[0]["op"] in (1, 2)


async def test_two_guilds_each_with_their_own_members_and_roles(fake: FakeDiscord,
                                                                 start_bot: BotFactory) -> None:
    second = fake.add_guild("Second Guild")
    role = fake.add_role("mods", 0x20, guild_id=second)
    both = fake.make_user(name="both")  # a member of the first guild...
    fake.join(both, second, roles=[role])  # ...and of the second, with a role there only
    only_second = fake.make_user(name="second-only", guild_id=second)
    bot = await start_bot()
    await bot.tree.sync()
    assert {g.id for g in bot.guilds} == {fake.guild_id, second}
    assert bot.get_guild(second).get_channel(fake.guilds[second].channel_id) is not None
    here = await fake.slash("where", user=both, channel_id=fake.guilds[second].channel_id)
    assert (await here.wait_response(timeout=3))["data"]["content"] == (
        f"guild {second} channel TextChannel member True")
    assert handle_member_roles(here) == [str(role)]
    with pytest.raises(ValueError, match="not a member"):
        await fake.slash("where", user=only_second)  # in the first guild: not a member


def handle_member_roles(handle: object) -> list[str]:
    return handle.payload["member"]["roles"]  # type: ignore[attr-defined]


async def test_dms_carry_a_user_and_no_guild(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot(message_content=False)
    await bot.tree.sync()
    dm = fake.dm_channel(fake.default_user)
    asked = await fake.slash("ask", {"question": "why?"}, channel_id=dm)
    await asked.wait_response(timeout=3)
    payload = asked.payload
    assert "guild_id" not in payload and "member" not in payload and payload["user"]
    assert payload["channel"]["type"] == 1 and payload["context"] == 1
    assert fake.channel_messages(dm)[-1]["id"] == asked.original["id"]
    assert "guild_id" not in asked.original
    with pytest.raises(ValueError, match="not available in DMs"):
        await fake.slash("where", channel_id=dm)  # guild-only: Discord does not offer it
    forced = await fake.slash("where", channel_id=dm, force=True)  # a forged client
    assert (await forced.wait_response(timeout=3))["data"]["content"] == (
        "guild None channel DMChannel member False")
    await fake.send_message("hello in private", channel_id=dm)
    async with asyncio.timeout(3):  # on_message runs in the bot: poll for it
        while "hello in private" not in bot.seen:  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)  # the content arrives: DMs need no content intent


async def test_sync_stores_commands_and_rejects_bad_ones(
    fake: FakeDiscord, start_bot: BotFactory
) -> None:
    bot = await start_bot()
    synced = await bot.tree.sync()
    assert {c.name for c in synced} == {"ask", "feedback", "scene", "slow", "poll", "where"}
    assert [c["name"] for c in fake.commands] == [c.name for c in synced]
    bad = [{"name": "Bad Name", "description": "d" * 101, "type": 1}]
    with pytest.raises(discord.HTTPException) as exc:
        await bot.http.bulk_upsert_guild_commands(fake.application_id, fake.guild_id, bad)
    assert exc.value.status == 400 and exc.value.code == 50035
    assert "0.name" in exc.value.text and "0.description" in exc.value.text


async def test_slash_embed_then_button_click(fake: FakeDiscord, start_bot: BotFactory) -> None:
    await (await start_bot()).tree.sync()
    handle = await fake.slash("ask", {"question": "why the red car?"})
    response = await handle.wait_response(timeout=3)
    assert response["type"] == 4 and handle.latency is not None and handle.latency < 1
    ask = next(c for c in fake.commands if c["name"] == "ask")
    assert handle.payload["data"]["id"] == ask["id"]
    original = handle.original
    assert original is not None and original["embeds"][0]["description"].endswith("red car?")
    assert fake.channel_messages()[-1]["id"] == original["id"]

    voter = fake.make_user(name="misaki")
    click = await fake.click("vote:agree", int(original["id"]), user=voter)
    assert (await click.wait_response(timeout=3))["type"] == 7
    assert original["content"] == "misaki agreed"
    assert original["components"][0]["components"][0]["disabled"] is True
    with pytest.raises(ValueError, match="disabled"):
        await fake.click("vote:agree", int(original["id"]))


async def test_select_menu_callback(fake: FakeDiscord, start_bot: BotFactory) -> None:
    await start_bot()
    handle = await fake.slash("ask", {"question": "q"})
    await handle.wait_response(timeout=3)
    assert handle.original is not None
    picked = await fake.select("vote:why", ["hope"], int(handle.original["id"]))
    assert (await picked.wait_response(timeout=3))["data"]["content"] == "because hope"


async def test_ephemeral_response_stays_out_of_channel(
    fake: FakeDiscord, start_bot: BotFactory
) -> None:
    await start_bot()
    handle = await fake.slash("ask", {"question": "q", "private": True})
    await handle.wait_response(timeout=3)
    assert handle.original is not None and handle.original["flags"] & 64
    assert fake.channel_messages() == []


async def test_subcommand_group_defer_then_followup(
    fake: FakeDiscord, start_bot: BotFactory
) -> None:
    await (await start_bot()).tree.sync()
    handle = await fake.slash("poll", {"poll_id": 7}, group="admin", subcommand="close")
    assert handle.payload["data"]["options"][0]["options"][0]["options"][0]["value"] == 7
    assert (await handle.wait_response(timeout=3))["type"] == 5
    followups = await handle.wait_followups(1, timeout=3)
    assert followups[0]["content"] == "closed poll 7"
    assert handle.original is followups[0] and not followups[0]["flags"] & 128
    with pytest.raises(ValueError, match="missing"):
        await fake.slash("poll", {}, group="admin", subcommand="close")


async def test_modal_open_and_submit(fake: FakeDiscord, start_bot: BotFactory) -> None:
    await start_bot()
    handle = await fake.slash("feedback")
    modal = await handle.wait_response(timeout=3)
    assert modal["type"] == 9 and modal["data"]["title"] == "Feedback"
    submit = await fake.submit_modal(modal["data"]["custom_id"], {"Your thoughts": "the ending"})
    reply = await submit.wait_response(timeout=3)
    assert reply["data"]["content"] == "thanks: the ending" and reply["data"]["flags"] & 64


async def test_autocomplete_and_its_limit(fake: FakeDiscord, start_bot: BotFactory) -> None:
    await (await start_bot()).tree.sync()
    ok = await fake.autocomplete("scene", {"name": "ro"}, focused="name")
    assert [c["value"] for c in (await ok.wait_response(timeout=3))["data"]["choices"]] == [
        "v0", "v1", "v2"]
    await fake.autocomplete("scene", {"name": "many"}, focused="name")
    rejected = await fake.wait_for(lambda r: r.path.endswith("/callback") and r.status == 400, 3)
    assert "25" in str(rejected.response)


async def test_mention_reply_records_allowed_mentions(
    fake: FakeDiscord, start_bot: BotFactory
) -> None:
    await start_bot()
    msg = await fake.send_message("hello", mentions_bot=True)
    sent = await fake.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages"), 3)
    assert sent.status == 200
    assert str(sent.json["message_reference"]["message_id"]) == msg["id"]
    assert sent.json["allowed_mentions"]["parse"] == []
    reply = fake.channel_messages()[-1]
    assert reply["type"] == 19 and reply["referenced_message"]["id"] == msg["id"]


async def test_attachment_upload_is_parsed(fake: FakeDiscord, start_bot: BotFactory) -> None:
    await start_bot()
    await fake.send_message("send a file", mentions_bot=True)
    sent = await fake.wait_for(lambda r: r.files != [], 3)
    assert sent.json["attachments"][0]["filename"] == "a.txt" and sent.files[0]["data"] == b"hi"
    assert fake.channel_messages()[-1]["attachments"][0]["size"] == 2


async def test_embed_over_limit_is_rejected(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot()
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as exc:
        await channel.send(embed=discord.Embed(title="t" * 300))
    assert exc.value.status == 400 and "embeds.0.title" in exc.value.text
    with pytest.raises(discord.HTTPException):
        await channel.send("x" * 2001)
    with pytest.raises(discord.HTTPException) as empty:
        await channel.send(embed=None)
    assert empty.value.code == 50006


async def test_content_redacted_without_intent(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot(message_content=False)
    await fake.send_message("secret words")
    await fake.send_message("hi there", mentions_bot=True)
    await fake.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages"), 3)
    assert bot.seen[:2] == ["", f"<@{fake.bot_user['id']}> hi there"]  # type: ignore[attr-defined]


async def test_restart_and_reconnect(fake: FakeDiscord, start_bot: BotFactory) -> None:
    first = await start_bot()
    await first.close()
    await start_bot()
    assert fake.identify_count == 2 and len(fake.sessions) == 1
    await fake.request_reconnect()
    await fake.wait_until(lambda: fake.resume_count == 1 and any(s.ready for s in fake.sessions))
    assert fake.identify_count == 2
    handle = await fake.slash("ask", {"question": "still there?"})
    assert (await handle.wait_response(timeout=3))["type"] == 4


async def test_late_callback_is_unknown_interaction(
    fake: FakeDiscord, start_bot: BotFactory
) -> None:
    await start_bot()
    fake.callback_deadline = 0.1
    handle = await fake.slash("slow")
    late = await fake.wait_for(lambda r: r.path.endswith("/callback"), 3)
    assert late.status == 404 and late.response["code"] == 10062 and handle.response is None


async def test_autosharded_bot_uses_gateway_bot(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot(sharded=True)
    assert bot.shard_count == 1 and fake.find_requests("GET", r"^/gateway/bot$")
    assert (await (await fake.slash("feedback")).wait_response(timeout=3))["type"] == 9


async def test_unknown_route_and_double_ack(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot()
    with pytest.raises(discord.NotFound):
        await bot.http.get_bans(fake.guild_id, limit=10)
    assert fake.unknown_routes[-1].path.startswith(f"/guilds/{fake.guild_id}/bans")
    handle = await fake.slash("ask", {"question": "q"})
    await handle.wait_response(timeout=3)
    route = discord.http.Route(
        "POST", "/interactions/{i}/{t}/callback", i=handle.id, t=handle.token)
    with pytest.raises(discord.HTTPException) as exc:
        await bot.http.request(route, json={"type": 4, "data": {"content": "again"}})
    assert exc.value.code == 40060
    followup = discord.Webhook.partial(fake.application_id, handle.token, client=bot)
    assert (await followup.send("more", wait=True)).content == "more"
    assert [m["content"] for m in handle.followups] == ["more"]


def _rows(*rows: list[dict]) -> list[dict]:
    """Action rows from component lists, to keep limit cases short."""
    return [{"type": 1, "components": row} for row in rows]


def _button(cid: str, label: str = "b") -> dict:
    return {"type": 2, "style": 1, "custom_id": cid, "label": label}


def _select(n: int) -> dict:
    return {"type": 3, "custom_id": "s", "options": [{"label": f"o{i}", "value": str(i)}
                                                     for i in range(n)]}


@pytest.mark.parametrize(("payload", "fragment"), [
    ({"content": "x" * 2001}, "content"),
    ({"embeds": [{"title": "t"}] * 11}, "embeds"),
    ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds.0.fields"),
    ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "fields.0.value"),
    ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "Embed size"),
    ({"embeds": [{"footer": {"text": "f" * 2049}, "author": {"name": "a" * 257}}]}, "author.name"),
    ({"components": _rows(*[[_button(f"b{i}")] for i in range(6)])}, "components"),
    ({"components": _rows([_button(f"b{i}") for i in range(6)])}, "components.0.components"),
    ({"components": _rows([_select(2), _button("x")])}, "alone"),
    ({"components": _rows([_button("same"), _button("same")])}, "duplicated"),
    ({"components": _rows([_button("b", "l" * 81)])}, "label"),
    ({"components": _rows([_button("c" * 101)])}, "custom_id"),
    ({"components": _rows([_select(26)])}, "options"),
    ({"components": _rows([{**_select(1), "placeholder": "p" * 151}])}, "placeholder"),
    ({"allowed_mentions": {"parse": ["users"], "users": ["1"]}}, "exclusive"),
])
def test_message_limits_reject(payload: dict, fragment: str) -> None:
    assert any(fragment in e for e in validate_message(payload)), validate_message(payload)


def test_real_discordpy_payloads_pass_limits() -> None:
    view = discord.ui.View()
    for i in range(20):
        view.add_item(discord.ui.Button(label="l" * 80, custom_id=f"b{i}"))
    options = [discord.SelectOption(label=f"o{i}") for i in range(25)]
    view.add_item(discord.ui.Select(custom_id="s", options=options, placeholder="p" * 150))
    embeds = [discord.Embed(title="t" * 256, description="d" * 1000).to_dict()] * 4
    payload = {"content": "c" * 2000, "embeds": embeds, "components": view.to_components()}
    assert validate_message(payload) == []
    assert validate_modal(Feedback().to_dict()) == []
    assert validate_modal({**Feedback().to_dict(), "title": "t" * 46}) != []
    too_many = {"title": "t", "custom_id": "m", "components": _rows(*[[]] * 6)}
    assert any("data.components" in e for e in validate_modal(too_many))


def test_command_limits() -> None:
    def cmd(name: str, **extra: object) -> dict:
        return {"name": name, "description": "d", "type": 1, **extra}

    assert validate_commands([cmd(f"c{i}") for i in range(100)]) == []
    assert validate_commands([cmd(f"c{i}") for i in range(101)]) != []
    opt = {"name": "o", "description": "d", "type": 3}
    assert validate_commands([cmd("x", options=[{**opt, "name": f"o{i}"} for i in range(26)])])
    choices = [{"name": f"n{i}", "value": f"v{i}"} for i in range(26)]
    assert validate_commands([cmd("x", options=[{**opt, "choices": choices}])])
    order = [opt, {**opt, "name": "p", "required": True}]
    assert any("required" in e for e in validate_commands([cmd("x", options=order)]))
    assert validate_commands([cmd("Upper")]) and validate_commands([cmd("x" * 33)])
    assert validate_autocomplete({"choices": choices}) != []
