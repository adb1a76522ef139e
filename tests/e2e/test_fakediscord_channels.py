"""The fake Discord's threads, file uploads, history, nonces and permission errors, driven by
the real discord.py client (the small bot of ``test_fakediscord.py``)."""

from __future__ import annotations

import io
import struct
import zlib

import discord
import pytest

from tests.e2e import test_fakediscord as base
from tests.fakediscord import FakeDiscord

BotFactory = base.BotFactory
start_bot = base.start_bot  # the fixture: the small bot of test_fakediscord.py


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid PNG of the given size (grey pixels), built by hand to keep the test small."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


async def channel_of(bot: discord.Client, fake: FakeDiscord) -> discord.TextChannel:
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


# ----- threads -------------------------------------------------------------------------------
async def test_a_thread_started_on_a_message_takes_messages(fake: FakeDiscord,
                                                            start_bot: BotFactory) -> None:
    bot = await start_bot()
    channel = await channel_of(bot, fake)
    starter = await channel.send("poll")
    thread = await starter.create_thread(name="Poll #1: the ending", auto_archive_duration=10080)
    assert thread.id == starter.id and thread.parent_id == fake.channel_id
    assert thread.name == "Poll #1: the ending" and thread.auto_archive_duration == 10080
    [stored] = fake.threads()
    assert stored["type"] == 11 and stored["guild_id"] == str(fake.guild_id)
    assert fake.messages[starter.id]["flags"] & 32  # HAS_THREAD
    await fake.wait_until(lambda: bot.get_channel(thread.id) is not None, 3, "THREAD_CREATE")
    assert isinstance(bot.get_channel(thread.id), discord.Thread)

    said = await thread.send("let's talk")
    assert fake.channel_messages(thread.id)[-1]["id"] == str(said.id)
    assert said.id not in [int(m["id"]) for m in fake.channel_messages()]  # not in the channel
    assert stored["message_count"] == 1 and stored["last_message_id"] == str(said.id)
    fetched = await bot.fetch_channel(thread.id)
    assert isinstance(fetched, discord.Thread) and fetched.name == thread.name


async def test_thread_mistakes_get_discords_errors(fake: FakeDiscord,
                                                   start_bot: BotFactory) -> None:
    bot = await start_bot()
    channel = await channel_of(bot, fake)
    starter = await channel.send("poll")
    with pytest.raises(discord.HTTPException) as long_name:
        await starter.create_thread(name="x" * 101)
    assert long_name.value.code == 50035 and "name" in long_name.value.text
    thread = await starter.create_thread(name="talk")
    with pytest.raises(discord.HTTPException) as twice:
        await starter.create_thread(name="again")
    assert twice.value.code == 160004
    inner = await thread.send("inside")
    with pytest.raises(discord.HTTPException) as nested:
        await inner.create_thread(name="nested")
    assert nested.value.code == 50024

    await fake.delete_channel(thread.id)
    with pytest.raises(discord.NotFound) as gone:
        await thread.send("anyone?")
    assert gone.value.code == 10003


async def test_archived_thread_is_unarchived_by_a_message_unless_locked(
        fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot()
    thread = await (await (await channel_of(bot, fake)).send("poll")).create_thread(name="t")
    await fake.archive_thread(thread.id)
    await thread.send("wake up")
    assert fake.channels[thread.id]["thread_metadata"]["archived"] is False
    await fake.archive_thread(thread.id, locked=True)
    with pytest.raises(discord.HTTPException) as locked:
        await thread.send("still there?")
    assert locked.value.code == 50083


# ----- permissions ---------------------------------------------------------------------------
async def test_missing_permissions_are_50013_per_channel(fake: FakeDiscord,
                                                         start_bot: BotFactory) -> None:
    other = fake.add_channel("other")
    bot = await start_bot()
    channel = await channel_of(bot, fake)
    starter = await channel.send("poll")
    fake.deny_bot(fake.channel_id, "CREATE_PUBLIC_THREADS", "ATTACH_FILES")
    with pytest.raises(discord.Forbidden) as threads:
        await starter.create_thread(name="talk")
    assert threads.value.code == 50013 and fake.threads() == []
    with pytest.raises(discord.Forbidden):
        await channel.send("chart", file=discord.File(io.BytesIO(tiny_png()), "chart.png"))
    await channel.send("no chart")  # text still goes
    other_channel = bot.get_channel(other)
    assert isinstance(other_channel, discord.TextChannel)
    await other_channel.send("chart", file=discord.File(io.BytesIO(tiny_png()), "c.png"))

    fake.allow_bot(fake.channel_id, "CREATE_PUBLIC_THREADS")
    thread = await starter.create_thread(name="talk")
    fake.deny_bot(fake.channel_id, "SEND_MESSAGES_IN_THREADS")  # threads follow their parent
    with pytest.raises(discord.Forbidden):
        await thread.send("hello")
    fake.allow_bot(fake.channel_id)
    await thread.send("hello")


async def test_interactions_carry_the_bots_permissions_in_that_channel(
        fake: FakeDiscord, start_bot: BotFactory) -> None:
    await start_bot()
    fake.deny_bot(fake.channel_id, "ATTACH_FILES")
    handle = await fake.slash("ask", {"question": "perms?"})
    perms = discord.Permissions(int(handle.payload["app_permissions"]))
    assert not perms.attach_files and perms.send_messages and perms.create_public_threads
    assert (await handle.wait_response(timeout=3))["type"] == 4  # answering needs none of them


# ----- files ---------------------------------------------------------------------------------
async def test_uploads_are_stored_served_and_shown_in_embeds(fake: FakeDiscord,
                                                              start_bot: BotFactory) -> None:
    bot = await start_bot()
    channel = await channel_of(bot, fake)
    png = tiny_png(3, 2)
    embed = discord.Embed(title="chart").set_image(url="attachment://chart.png")
    sent = await channel.send(embed=embed, file=discord.File(io.BytesIO(png), "chart.png"))
    [attachment] = sent.attachments
    assert (attachment.filename, attachment.size, attachment.content_type) == (
        "chart.png", len(png), "image/png")
    assert (attachment.width, attachment.height) == (3, 2)
    assert await attachment.read() == png  # served back by the fake, on 127.0.0.1
    assert sent.embeds[0].image.url == attachment.url
    request = fake.find_requests("POST", r"/messages$")[-1]
    assert request.json["embeds"][0]["image"]["url"] == "attachment://chart.png"  # as sent

    edited = await sent.edit(attachments=[])  # an edit can drop the file
    assert edited.attachments == [] and fake.messages[sent.id]["attachments"] == []


async def test_upload_limits(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot()
    channel = await channel_of(bot, fake)
    fake.uploads.limit = 100
    with pytest.raises(discord.HTTPException) as big:
        await channel.send(file=discord.File(io.BytesIO(b"x" * 101), "big.bin"))
    assert (big.value.status, big.value.code) == (413, 40005)
    files = [discord.File(io.BytesIO(b"x"), f"{n}.txt") for n in range(11)]
    with pytest.raises(discord.HTTPException) as many:
        await channel.send(files=files)
    assert many.value.code == 50035
    assert fake.channel_messages() == []


# ----- nonces and history --------------------------------------------------------------------
async def test_enforced_nonce_returns_the_first_message(fake: FakeDiscord,
                                                        start_bot: BotFactory) -> None:
    bot = await start_bot()
    channel = await channel_of(bot, fake)
    first = await channel.send("results", nonce="poll-7-results")
    again = await channel.send("results", nonce="poll-7-results")
    assert again.id == first.id and len(fake.channel_messages()) == 1
    fetched = await channel.fetch_message(first.id)
    assert fetched.nonce is None  # Discord does not keep it
    fake.nonce_window = 0.0  # "the past few minutes" are over
    later = await channel.send("results", nonce="poll-7-results")
    assert later.id != first.id and len(fake.channel_messages()) == 2
    with pytest.raises(discord.HTTPException) as long_nonce:
        await channel.send("x", nonce="n" * 26)
    assert long_nonce.value.code == 50035


async def test_history_newest_first_before_after_around(fake: FakeDiscord,
                                                        start_bot: BotFactory) -> None:
    bot = await start_bot()
    channel = await channel_of(bot, fake)
    sent = [await channel.send(f"m{n}") for n in range(6)]
    ids = [m.id for m in sent]
    assert [m.id async for m in channel.history(limit=3)] == ids[:2:-1]
    assert [m.id async for m in channel.history(limit=2, after=sent[1])] == ids[2:4]
    assert [m.id async for m in channel.history(limit=10, before=sent[2])] == ids[1::-1]
    around = [m.id async for m in channel.history(limit=3, around=sent[3])]
    assert sorted(around) == ids[2:5]
    fake.deny_bot(fake.channel_id, "READ_MESSAGE_HISTORY")
    with pytest.raises(discord.Forbidden):
        [m async for m in channel.history(limit=1)]
