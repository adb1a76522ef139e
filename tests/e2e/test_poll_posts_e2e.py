"""Results posts, charts, discussion threads and crash recovery of poll messages, through the
real discord.py client and the fake Discord (issue 16, issue 12 item 2).

Restarts stop one bot and start another on the same database. A kill -9 in a window is
reproduced by leaving the database exactly as the killed process would have (the close
committed and nothing else; or the results post made on Discord and not yet recorded):
``test_run_process.py`` kills a real process in the middle of the post as well.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot import poll_messages, polls, votes
from bot.cogs.client import BotClient
from bot.moderators import OPERATOR, Actor
from bot.store import open_db, write
from tests.e2e.conftest import StartBot, stop
from tests.e2e.test_polls_e2e import (
    GAVE_CAR,
    NEW_LIFE,
    QUESTION,
    custom_ids,
    edits_of,
    embed,
    ephemeral_text,
    run,
    start_ending_poll,
    status,
)
from tests.fakediscord import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n"


async def eventually(condition: Any, what: str, timeout: float = 5.0) -> None:
    """Poll ``condition`` (database writes come after the request Discord answered)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def results_posts(fake: FakeDiscord, poll_id: int) -> list[dict[str, Any]]:
    """Every results post of a poll that exists on the fake, in any channel or thread."""
    marker = f"Poll #{poll_id} · final results"
    return [m for m in fake.messages.values()
            if m["author"]["id"] == fake.bot_user["id"] and m.get("embeds")
            and (m["embeds"][0].get("footer") or {}).get("text", "").startswith(marker)]


def result_post_requests(fake: FakeDiscord, poll_id: int) -> list:
    marker = f"Poll #{poll_id} · final results"
    return [r for r in fake.find_requests("POST", r"^/channels/\d+/messages$")
            if r.json and marker in str(r.json.get("embeds"))]


async def one_results_post(fake: FakeDiscord, poll_id: int,
                           client: BotClient | None = None) -> dict[str, Any]:
    """The poll's one results post, once it exists (and ``client`` recorded it)."""
    await fake.wait_until(lambda: len(results_posts(fake, poll_id)) >= 1, timeout=5,
                          what="the results post")
    await fake.settle()
    [post] = results_posts(fake, poll_id)
    if client is not None:
        await eventually(lambda: bookkeeping(client, poll_id).results_message_id
                         == int(post["id"]) and not bookkeeping(client, poll_id).results_due,
                         "the results post to be recorded")
    return post


async def chart_bytes(fake: FakeDiscord, message: dict[str, Any]) -> bytes:
    """The chart a message shows: its one attachment, the image of its embed."""
    [attachment] = message["attachments"]
    assert attachment["content_type"] == "image/png" and attachment["width"] > 0
    assert embed(message)["image"]["url"] == attachment["url"]
    aid = int(attachment["id"])
    return fake.uploads.data[aid][1]


def closed_cleanly(message: dict[str, Any]) -> bool:
    return message["components"] == [] and status(message).startswith("Closed")


def bookkeeping(client: BotClient, poll_id: int) -> poll_messages.PollPost:
    return poll_messages.state(client.app.db, poll_id)


async def vote(fake: FakeDiscord, poll_id: int, message_id: int, option: str,
               name: str) -> dict[str, Any]:
    user = fake.make_user(name=name)
    handle = await fake.click(f"poll:{poll_id}:{option}", message_id, user=user)
    assert ephemeral_text(await handle.wait_response(timeout=3)).startswith("You voted")
    return user


# ----- the results post ----------------------------------------------------------------------
async def test_closing_posts_the_results_once_with_the_chart(fake: FakeDiscord,
                                                             start_dmc: StartBot) -> None:
    client = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    await vote(fake, poll_id, message_id, "gave-car", "alice")
    closed = await run(fake, "close", {"poll": poll_id})
    assert ephemeral_text(closed) == f"Poll #{poll_id} is closed; the results are final."
    post = await one_results_post(fake, poll_id, client)
    assert post["channel_id"] == str(fake.channel_id)  # no thread: in the poll's channel
    shown = embed(post)
    assert shown["title"] == f"Final results: {QUESTION}"
    assert f"**{GAVE_CAR}** 🏆\n`██████████` 100% (1)" in shown["description"]
    assert shown["footer"]["text"] == f"Poll #{poll_id} · final results · 1 voter · public"
    assert f"/{fake.guild_id}/{fake.channel_id}/{message_id})" in str(shown["fields"])
    assert (await chart_bytes(fake, post)).startswith(PNG)
    sent = result_post_requests(fake, poll_id)
    assert len(sent) == 1 and sent[0].json["allowed_mentions"] == {"parse": []}
    assert sent[0].json["nonce"] and sent[0].json["enforce_nonce"] is True

    final = fake.messages[message_id]  # the poll message: final results with the chart
    assert closed_cleanly(final)
    assert (await chart_bytes(fake, final)).startswith(PNG)
    record = bookkeeping(client, poll_id)
    assert record.results_message_id == int(post["id"]) and not record.results_due
    assert not record.message_lags and record.results_nonce is None

    await stop(client)  # a restart posts nothing more and edits nothing
    requests = len(fake.requests)
    await start_dmc(sync=False)
    await asyncio.sleep(0.3)
    await fake.settle()
    assert [r for r in fake.requests[requests:] if r.method in ("POST", "PATCH")] == []
    assert len(results_posts(fake, poll_id)) == 1


async def test_results_command_comes_with_the_chart_and_anonymous_posts_name_nobody(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    poll_id, message_id = await start_ending_poll(fake, anonymous=True)
    voters = [await vote(fake, poll_id, message_id, "new-life", f"v{n}") for n in range(3)]
    shown = await run(fake, "results", {"poll": poll_id})
    assert shown["type"] == 4 and shown["data"]["flags"] & 64
    assert shown["data"]["embeds"][0]["image"]["url"] == f"attachment://poll-{poll_id}.png"
    [upload] = fake.find_requests("POST", r"/callback$")[-1].files
    assert upload["filename"] == f"poll-{poll_id}.png" and upload["data"].startswith(PNG)
    fake.deny_bot(fake.channel_id, "ATTACH_FILES")
    bars_only = await run(fake, "results", {"poll": poll_id})
    assert "image" not in bars_only["data"]["embeds"][0]
    assert "100% (3)" in bars_only["data"]["embeds"][0]["description"]
    assert fake.find_requests("POST", r"/callback$")[-1].files == []
    fake.allow_bot(fake.channel_id)

    await run(fake, "close", {"poll": poll_id})
    post = await one_results_post(fake, poll_id)
    assert embed(post)["footer"]["text"].endswith("· 3 voters · anonymous")
    text = str(post) + str(fake.messages[message_id])
    assert not any(v["id"] in text for v in voters)  # counts only, never who
    assert "<@" not in text


async def test_a_poll_closed_while_the_bot_was_down_catches_up_at_start(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    """Issue 12, item 2: the close committed, then the bot died before the edit."""
    first = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    await vote(fake, poll_id, message_id, "new-life", "alice")
    await fake.settle()
    db_path = first.app.settings.db_path
    await stop(first)
    db = open_db(db_path)  # what `/poll close` committed before the kill
    polls.close(db, Actor(int(fake.default_user["id"]), fake.guild_id, True), poll_id)
    db.close()
    assert custom_ids(fake.messages[message_id])  # still shows its buttons

    second = await start_dmc(sync=False)
    await fake.wait_until(lambda: closed_cleanly(fake.messages[message_id]), timeout=5,
                          what="the poll message to show it is closed")
    final = fake.messages[message_id]
    assert f"**{NEW_LIFE}** 🏆" in embed(final)["description"]
    assert (await chart_bytes(fake, final)).startswith(PNG)
    post = await one_results_post(fake, poll_id, second)
    assert bookkeeping(second, poll_id).results_message_id == int(post["id"])
    assert not bookkeeping(second, poll_id).message_lags


async def test_deadline_passed_while_down_posts_the_results_once(fake: FakeDiscord,
                                                                 start_dmc: StartBot) -> None:
    first = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake, hours=1.0)
    await vote(fake, poll_id, message_id, "gave-car", "alice")
    await fake.settle()
    with write(first.app.db):
        first.app.db.execute("UPDATE polls SET deadline = '2020-01-01T00:00:00.000000+00:00' "
                             "WHERE id = ?", [poll_id])
    await stop(first)
    second = await start_dmc(sync=False)
    post = await one_results_post(fake, poll_id)
    assert "1 voter" in embed(post)["footer"]["text"]
    await fake.wait_until(lambda: closed_cleanly(fake.messages[message_id]), timeout=5,
                          what="the final edit")
    await stop(second)
    await start_dmc(sync=False)
    await asyncio.sleep(0.3)
    await fake.settle()
    assert len(results_posts(fake, poll_id)) == 1 and len(result_post_requests(fake, poll_id)) == 1


def rewind_to_in_flight(db_path: Any, poll_id: int, nonce: str) -> None:
    """Leave the bookkeeping as a kill -9 between the results POST and its record would:
    the post marked with its nonce, no message id, not shown to be this closing's."""
    db = open_db(db_path)
    with write(db):
        db.execute("UPDATE poll_posts SET results_message_id = NULL, results_for = NULL, "
                   "results_nonce = ?, results_started_at = ? WHERE poll_id = ?",
                   [nonce, "2000-01-01T00:00:00.000000+00:00", poll_id])
    db.close()


@pytest.mark.parametrize("how", ["found in history", "refused by the nonce"])
async def test_a_restart_between_posting_and_recording_posts_nothing_twice(
        fake: FakeDiscord, start_dmc: StartBot, how: str) -> None:
    first = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    await vote(fake, poll_id, message_id, "gave-car", "alice")
    await run(fake, "close", {"poll": poll_id})
    post = await one_results_post(fake, poll_id, first)
    [sent] = result_post_requests(fake, poll_id)
    db_path = first.app.settings.db_path
    await stop(first)
    rewind_to_in_flight(db_path, poll_id, sent.json["nonce"])
    if how == "found in history":
        fake.nonce_window = 0.0  # long after: Discord no longer remembers the nonce
    else:
        fake.deny_bot(fake.channel_id, "READ_MESSAGE_HISTORY")  # the search finds nothing

    second = await start_dmc(sync=False)
    await eventually(lambda: not bookkeeping(second, poll_id).results_due,
                     "the results post to be recorded")
    await fake.settle()
    assert results_posts(fake, poll_id) == [post]
    assert bookkeeping(second, poll_id).results_message_id == int(post["id"])
    retried = result_post_requests(fake, poll_id)[1:]
    if how == "found in history":
        assert retried == [] and fake.find_requests("GET", r"/messages$")
    else:
        assert [r.json["nonce"] for r in retried] == [sent.json["nonce"]]  # the same nonce


async def test_a_restart_after_marking_but_before_posting_posts_once(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    first = await start_dmc()
    poll_id, _ = await start_ending_poll(fake)
    await fake.settle()
    db_path = first.app.settings.db_path
    await stop(first)
    db = open_db(db_path)  # closed and marked, then killed before the POST left
    polls.close(db, OPERATOR, poll_id)
    poll_messages.mark_shown(db, poll_id, poll_messages.state(db, poll_id).closed_at)
    marked = poll_messages.begin_results(db, poll_id, fake.channel_id, "marked-nonce",
                                         polls.utc(None))
    db.close()
    assert marked.results_in_flight
    second = await start_dmc(sync=False)
    post = await one_results_post(fake, poll_id, second)
    assert [r.json["nonce"] for r in result_post_requests(fake, poll_id)] == ["marked-nonce"]
    assert bookkeeping(second, poll_id).results_message_id == int(post["id"])


async def test_reopening_and_closing_again_updates_the_same_post(fake: FakeDiscord,
                                                                 start_dmc: StartBot) -> None:
    client = await start_dmc()
    client.get_cog("Polls").updater.interval = 0.05
    poll_id, message_id = await start_ending_poll(fake)
    await vote(fake, poll_id, message_id, "gave-car", "alice")
    await run(fake, "close", {"poll": poll_id})
    post = await one_results_post(fake, poll_id)
    assert ephemeral_text(await run(fake, "reopen", {"poll": poll_id})).endswith("open again.")
    await fake.wait_until(lambda: status(fake.messages[message_id]) == "Open", timeout=5,
                          what="the reopened poll message")
    assert fake.messages[message_id]["attachments"] == []  # an open poll shows no chart
    await vote(fake, poll_id, message_id, "new-life", "bob")
    await run(fake, "close", {"poll": poll_id})
    await fake.wait_until(lambda: "2 voters" in embed(fake.messages[int(post["id"])])[
        "footer"]["text"], timeout=5, what="the results post to show the new closing")
    assert results_posts(fake, poll_id) == [fake.messages[int(post["id"])]]
    assert "A tie." in str(embed(fake.messages[int(post["id"])])["fields"])

    await fake.delete_message(int(post["id"]))  # a moderator removes it; the next closing
    await run(fake, "reopen", {"poll": poll_id})  # posts a new one
    await run(fake, "close", {"poll": poll_id})
    again = await one_results_post(fake, poll_id)
    assert again["id"] != post["id"]


# ----- the discussion thread -----------------------------------------------------------------
async def test_a_thread_for_the_discussion_gets_the_results(fake: FakeDiscord,
                                                            start_dmc: StartBot) -> None:
    client = await start_dmc()
    handle = await fake.slash("poll", {"thread": True}, subcommand="ending")
    await handle.wait_response(timeout=3)
    await fake.settle()
    message_id = int(handle.original["id"])
    poll_id = int(re.match(r"Poll #(\d+) ", embed(handle.original)["footer"]["text"])[1])
    [thread] = fake.threads()
    assert thread["name"] == f"Poll #{poll_id}: {QUESTION}"
    assert int(thread["id"]) == message_id and thread["parent_id"] == str(fake.channel_id)
    assert bookkeeping(client, poll_id).thread_id == message_id
    assert handle.followups == []  # nothing went wrong: nothing to say

    await vote(fake, poll_id, message_id, "gave-car", "alice")
    await run(fake, "close", {"poll": poll_id})
    post = await one_results_post(fake, poll_id, client)
    assert post["channel_id"] == thread["id"]  # in the thread, not the channel
    assert (await chart_bytes(fake, post)).startswith(PNG)
    assert results_posts(fake, poll_id) == fake.channel_messages(int(thread["id"]))


async def test_custom_polls_get_threads_too_and_a_deleted_thread_falls_back(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    client = await start_dmc()
    created = await run(fake, "create", {"question": "Which car?", "options": "saab | volvo",
                                         "thread": True})
    poll_id = int(re.search(r"Poll #(\d+) ", created["data"]["embeds"][0]["footer"]["text"])[1])
    await fake.settle()
    [thread] = fake.threads()
    assert thread["name"] == f"Poll #{poll_id}: Which car?"
    await fake.delete_channel(int(thread["id"]))
    await run(fake, "close", {"poll": poll_id})
    post = await one_results_post(fake, poll_id, client)
    assert post["channel_id"] == str(fake.channel_id)
    assert bookkeeping(client, poll_id).thread_id is None


async def notes_after(handle: Any, count: int = 1) -> str:
    followups = await handle.wait_followups(count)
    assert all(f["flags"] & 64 for f in followups)  # private
    return "\n".join(f["content"] for f in followups)


async def test_without_create_public_threads_the_poll_still_works(fake: FakeDiscord,
                                                                  start_dmc: StartBot) -> None:
    await start_dmc()
    fake.deny_bot(fake.channel_id, "CREATE_PUBLIC_THREADS")
    handle = await fake.slash("poll", {"thread": True}, subcommand="ending")
    await handle.wait_response(timeout=3)
    note = await notes_after(handle)
    assert "Create Public Threads" in note and "The poll works without one." in note
    assert fake.threads() == []
    message_id = int(handle.original["id"])
    poll_id = int(re.match(r"Poll #(\d+) ", embed(handle.original)["footer"]["text"])[1])
    await vote(fake, poll_id, message_id, "gave-car", "alice")
    await run(fake, "close", {"poll": poll_id})
    assert (await one_results_post(fake, poll_id))["channel_id"] == str(fake.channel_id)


async def test_without_attach_files_or_thread_posting_the_results_still_come(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    fake.deny_bot(fake.channel_id, "ATTACH_FILES", "SEND_MESSAGES_IN_THREADS")
    handle = await fake.slash("poll", {"thread": True}, subcommand="ending")
    await handle.wait_response(timeout=3)
    note = await notes_after(handle)
    assert "Send Messages in Threads" in note and "Attach Files" in note
    [thread] = fake.threads()  # the thread itself could be made
    message_id = int(handle.original["id"])
    poll_id = int(re.match(r"Poll #(\d+) ", embed(handle.original)["footer"]["text"])[1])
    await vote(fake, poll_id, message_id, "gave-car", "alice")

    close = await fake.slash("poll", {"poll": poll_id}, subcommand="close")
    assert ephemeral_text(await close.wait_response(timeout=3)).startswith(f"Poll #{poll_id}")
    told = await notes_after(close)
    assert "the results are in the channel" in told and "without the chart" in told
    post = await one_results_post(fake, poll_id)
    assert post["channel_id"] == str(fake.channel_id) and post["attachments"] == []
    assert "image" not in embed(post) and "100% (1)" in embed(post)["description"]
    final = fake.messages[message_id]
    assert closed_cleanly(final) and final["attachments"] == [] and "image" not in embed(final)
    assert fake.channel_messages(int(thread["id"])) == []


async def test_permissions_lost_after_the_poll_started_are_told_at_close(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    fake.deny_bot(fake.channel_id, "SEND_MESSAGES")
    close = await fake.slash("poll", {"poll": poll_id}, subcommand="close")
    await close.wait_response(timeout=3)
    told = await notes_after(close)
    assert f"I could not post the final results in <#{fake.channel_id}>" in told
    await fake.wait_until(lambda: closed_cleanly(fake.messages[message_id]), timeout=5,
                          what="the final edit, which needs no Send Messages")
    assert results_posts(fake, poll_id) == []


async def test_a_poll_started_inside_a_thread_has_no_thread_of_its_own(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    await start_ending_poll(fake, thread=True)
    [thread] = fake.threads()
    inner = await fake.slash("poll", {"thread": True}, subcommand="ending",
                             channel_id=int(thread["id"]))
    await inner.wait_response(timeout=3)
    assert "already in a thread" in await notes_after(inner)
    assert len(fake.threads()) == 1
    assert inner.original["channel_id"] == thread["id"]


# ----- My vote -------------------------------------------------------------------------------
@pytest.mark.parametrize("anonymous", [False, True], ids=["public", "anonymous"])
async def test_my_vote_shows_your_ballot_and_retracts_it(fake: FakeDiscord, start_dmc: StartBot,
                                                         anonymous: bool) -> None:
    client = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake, anonymous=anonymous)
    alice = await vote(fake, poll_id, message_id, "gave-car", "alice")
    mine = await fake.click(f"pollme:{poll_id}", message_id, user=alice)
    response = await mine.wait_response(timeout=3)
    assert ephemeral_text(response) == f"Your vote in poll #{poll_id}: **{GAVE_CAR}**."
    assert custom_ids(mine.original) == [f"pollx:{poll_id}"]
    await stop(client)  # the buttons outlive the bot that sent them
    client = await start_dmc(sync=False)
    retract = await fake.click(f"pollx:{poll_id}", mine.original_id, user=alice)
    assert ephemeral_text(await retract.wait_response(timeout=3)) == "Your vote was retracted."
    again = await fake.click(f"pollme:{poll_id}", message_id, user=alice)
    assert ephemeral_text(await again.wait_response(timeout=3)) == (
        f"You have not voted in poll #{poll_id}; pick an option on the poll message.")
    tally = client.get_cog("Polls")
    assert tally is not None
    assert votes.ballot(client.app.db, Actor(int(alice["id"]), fake.guild_id), poll_id) == ()


async def test_my_vote_in_a_final_poll_has_no_retract(fake: FakeDiscord,
                                                      start_dmc: StartBot) -> None:
    await start_dmc()
    poll_id, message_id = await start_ending_poll(fake, final=True)
    alice = await vote(fake, poll_id, message_id, "new-life", "alice")
    mine = await fake.click(f"pollme:{poll_id}", message_id, user=alice)
    response = await mine.wait_response(timeout=3)
    assert ephemeral_text(response) == (
        f"Your vote in poll #{poll_id}: **{NEW_LIFE}**. Votes in this poll are final.")
    assert not response["data"].get("components")


async def test_edits_of_the_poll_message_record_what_it_shows(fake: FakeDiscord,
                                                              start_dmc: StartBot) -> None:
    client = await start_dmc()
    poll_id, message_id = await start_ending_poll(fake)
    assert bookkeeping(client, poll_id).shown == poll_messages.OPEN
    edits = len(edits_of(fake, message_id))
    await run(fake, "close", {"poll": poll_id})
    await fake.wait_until(lambda: len(edits_of(fake, message_id)) > edits, timeout=5,
                          what="the final edit")
    await eventually(lambda: not bookkeeping(client, poll_id).message_lags, "the record")
    record = bookkeeping(client, poll_id)
    assert record.shown == record.closed_at
    await one_results_post(fake, poll_id, client)
