"""Buttons on private /kb replies survive a restart, expire politely and check every press
(issue 12, item 11), through the real discord.py client and the fake Discord."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.cogs import kb_buttons
from bot.curation import add_entry
from bot.forms import entry_data_from_form
from bot.moderators import OPERATOR
from tests.e2e.conftest import StartBot, stop
from tests.e2e.test_curate_e2e import (
    NEW,
    UNANSWERABLE,
    ask_title,
    buttons,
    content,
    fields_of,
    kb,
    moderator,
    submit,
)
from tests.fakediscord import FakeDiscord


def disabled(message: dict) -> dict[str, bool]:
    return {c["label"]: bool(c.get("disabled")) for row in message.get("components") or []
            for c in row["components"]}


async def test_remove_confirmation_works_after_a_restart(fake: FakeDiscord,
                                                         start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    handle = await fake.slash("kb", {"id": "no-kiss"}, subcommand="remove", user=mod)
    await handle.wait_response(timeout=3)
    keep_too = await fake.slash("kb", {"id": "why-a-driver"}, subcommand="remove", user=mod)
    await keep_too.wait_response(timeout=3)
    assert re.fullmatch(r"kbrm:y:[0-9a-z]+:[0-9a-z]+:no-kiss", buttons(handle.original)["Remove"])
    await stop(client)

    client = await start_dmc(sync=False)
    kept = await fake.click(buttons(keep_too.original)["Keep it"], int(keep_too.original["id"]),
                            user=mod)
    assert content(await kept.wait_response(timeout=3)) == (
        "Kept `why-a-driver`; nothing changed.")
    click = await fake.click(buttons(handle.original)["Remove"], int(handle.original["id"]),
                             user=mod)
    removed = await click.wait_response(timeout=3)
    assert removed["type"] == 7 and content(removed).startswith("Removed `no-kiss`")
    assert client.app.index.get("no-kiss") is None
    assert client.app.index.get("why-a-driver") is not None


async def test_an_expired_confirmation_is_disabled_and_refuses_politely(
        fake: FakeDiscord, start_dmc: StartBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kb_buttons, "REMOVE_SECONDS", 0.5)
    mod = moderator(fake)
    client = await start_dmc()
    watched = await fake.slash("kb", {"id": "no-kiss"}, subcommand="remove", user=mod)
    await watched.wait_response(timeout=3)
    await fake.wait_until(lambda: all(disabled(watched.original).values()), timeout=3,
                          what="the buttons to be disabled at the expiry")
    assert disabled(watched.original) == {"Remove": True, "Keep it": True}
    assert content({"data": watched.original}).endswith(
        "This confirmation expired; nothing was removed.")

    orphan = await fake.slash("kb", {"id": "no-kiss"}, subcommand="remove", user=mod)
    await orphan.wait_response(timeout=3)
    await stop(client)  # the timer dies with the bot: the buttons stay enabled
    await asyncio.sleep(0.6)
    client = await start_dmc(sync=False)
    late = await fake.click(buttons(orphan.original)["Remove"], int(orphan.original["id"]),
                            user=mod)
    answer = await late.wait_response(timeout=3)
    assert answer["type"] == 7 and content(answer).startswith(
        "This confirmation expired; `no-kiss` was not removed.")
    assert disabled(orphan.original) == {"Remove": True, "Keep it": True}
    assert client.app.index.get("no-kiss") is not None


async def test_pages_and_unanswered_buttons_work_after_a_restart(fake: FakeDiscord,
                                                                 start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    for n in range(8):
        add_entry(client.app, OPERATOR, entry_data_from_form(
            f"Extra question number {n}", f"extra question {n}", "An answer.",
            "scene: The epilogue", "extra"))
    assert (await ask_title(fake, UNANSWERABLE)).startswith(("I don't have", "I'm not sure"))
    listing = await fake.slash("kb", {}, subcommand="list", user=mod)
    await listing.wait_response(timeout=3)
    assert disabled(listing.original) == {"Previous": True, "Next": False}
    unanswered = await fake.slash("kb", {}, subcommand="unanswered", user=mod)
    await unanswered.wait_response(timeout=3)
    await stop(client)

    await start_dmc(sync=False)
    turn = await fake.click(buttons(listing.original)["Next"], int(listing.original["id"]),
                            user=mod)
    assert (await turn.wait_response(timeout=3))["type"] == 7
    assert listing.original["embeds"][0]["footer"]["text"].startswith("Page 2 of 2")
    assert disabled(listing.original) == {"Previous": False, "Next": True}
    back = await fake.click(buttons(listing.original)["Previous"], int(listing.original["id"]),
                            user=mod)
    await back.wait_response(timeout=3)
    assert listing.original["embeds"][0]["footer"]["text"].startswith("Page 1 of 2")

    click = await fake.click(buttons(unanswered.original)["Answer 1"],
                             int(unanswered.original["id"]), user=mod)
    modal = await click.wait_response(timeout=3)
    assert fields_of(modal)["questions"] == UNANSWERABLE
    values = {"title": "What song plays over the end credits?", "answer": "No song is named.",
              "sources": "scene: The end credits", "tags": "music"}
    done = await (await submit(fake, modal, values, mod)).wait_response(timeout=3)
    assert content(done).startswith("Added `what-song-plays-over-the-end-credits`")
    again = await fake.click(buttons(unanswered.original)["Answer 1"],
                             int(unanswered.original["id"]), user=mod)
    assert content(await again.wait_response(timeout=3)).startswith(
        "That question is no longer unanswered")


async def test_fix_and_resubmit_keeps_the_text_across_a_restart(fake: FakeDiscord,
                                                                start_dmc: StartBot) -> None:
    mod, other = moderator(fake), moderator(fake, "other-mod")
    client = await start_dmc()
    modal = await kb(fake, "add", {"spoiler": True}, mod)
    bad = {**NEW, "sources": "my memory of the film"}
    refused = await submit(fake, modal, bad, mod)
    assert "Nothing was saved" in content(await refused.wait_response(timeout=3))
    await stop(client)

    client = await start_dmc(sync=False)
    fix = buttons(refused.original)["Fix and resubmit"]
    stranger = await fake.click(fix, int(refused.original["id"]), user=other)
    assert "opened by someone else" in content(await stranger.wait_response(timeout=3))
    reopened = await (await fake.click(fix, int(refused.original["id"]), user=mod)
                      ).wait_response(timeout=3)
    assert fields_of(reopened) == bad  # every word they typed
    done = await (await submit(fake, reopened, {"sources": NEW["sources"]}, mod)
                  ).wait_response(timeout=3)
    assert content(done).startswith("Added `does-misaki-smile-at-the-end`")
    assert client.app.index.get("does-misaki-smile-at-the-end").spoiler is True  # kept too


async def test_the_entry_form_shows_the_entry_limits(fake: FakeDiscord,
                                                     start_dmc: StartBot) -> None:
    mod = moderator(fake)
    await start_dmc()
    modal = await kb(fake, "add", {}, mod)
    limits = {c["custom_id"]: c["max_length"] for row in modal["data"]["components"]
              for c in row["components"]}
    assert limits == {"title": 200, "questions": 2411, "answer": 1500, "sources": 4000,
                      "tags": 418}
    labels = {c["custom_id"]: c["label"] for row in modal["data"]["components"]
              for c in row["components"]}
    assert "1500 max" in labels["answer"] and "200 max" in labels["title"]
