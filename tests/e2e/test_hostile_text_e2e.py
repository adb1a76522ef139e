"""Lone surrogates in Discord's JSON (``"\\ud800"``) through the real discord.py client.

Every surface that takes text answers normally (the bad code units become U+FFFD) and
nothing is logged as an error: /ask, a mention, autocomplete, /poll create, /suggest,
/kb add through the modal.
"""

from __future__ import annotations

import logging

import pytest

from bot.usertext import REPLACEMENT
from tests.e2e.conftest import StartBot
from tests.e2e.test_curate_e2e import NEW, kb, moderator, submit
from tests.fakediscord import FakeDiscord

BAD = "\ud800"


def _no_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_lone_surrogates_in_every_text_input(fake: FakeDiscord, start_dmc: StartBot,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    mod = moderator(fake)
    client = await start_dmc()

    handle = await fake.slash("ask", {"question": f"why does kafuku need a driver {BAD}"})
    response = await handle.wait_response(timeout=3)
    assert response["data"]["embeds"][0]["title"] == "Why does Kafuku need a driver?"

    await fake.send_message(f"why is misaki in korea {BAD}", mentions_bot=True)
    await fake.wait_until(lambda: len(fake.channel_messages()) >= 2, what="mention reply")

    for name, options, focused, sub in (("ask", {"question": f"driv{BAD}"}, "question", None),
                                        ("kb", {"id": f"kis{BAD}"}, "id", "show")):
        done = await fake.autocomplete(name, options, focused, subcommand=sub, user=mod)
        assert (await done.wait_response(timeout=3))["type"] == 8

    created = await fake.slash("poll", {"question": f"Best {BAD} scene?",
                                        "options": f"saab {BAD} | theatre"},
                               subcommand="create", user=mod)
    embed = (await created.wait_response(timeout=3))["data"]["embeds"][0]
    assert f"Best {REPLACEMENT} scene?" in embed["title"] + embed.get("description", "")

    modal = await (await fake.slash("suggest", {})).wait_response(timeout=3)
    done = await submit(fake, modal, {"title": f"Smile {BAD}", "text": f"She smiles {BAD}"},
                        None)
    assert (await done.wait_response(timeout=3))["data"]["content"].startswith("Thanks!")

    modal = await kb(fake, "add", user=mod)
    done = await submit(fake, modal, {**NEW, "answer": NEW["answer"] + BAD}, mod)
    await done.wait_response(timeout=3)
    entry = client.app.index.get("does-misaki-smile-at-the-end")
    assert entry is not None and entry.answer.endswith(REPLACEMENT)
    _no_errors(caplog)
