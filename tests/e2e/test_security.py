"""Nothing the bot sends can ping: every message-bearing request carries allowed_mentions."""

from __future__ import annotations

import re

from tests.e2e.conftest import StartBot
from tests.fakediscord import FakeDiscord

HOSTILE = "@everyone @here <@&1> <@2> why is misaki in korea"
MESSAGE_ROUTES = re.compile(r"/(callback|webhooks/\d+/[^/]+(/messages/.+)?|messages(/\d+)?)$")


def message_bodies(fake: FakeDiscord) -> list[tuple[str, dict]]:
    """(path, body) of every request the bot sent that can carry message text."""
    found = []
    for request in fake.requests:
        if request.method not in ("POST", "PATCH") or not MESSAGE_ROUTES.search(request.path):
            continue
        body = request.json or {}
        data = body.get("data", body) if request.path.endswith("/callback") else body
        if isinstance(data, dict) and ("content" in data or "embeds" in data):
            found.append((request.path, data))
    return found


async def test_no_request_can_ping(fake: FakeDiscord, start_dmc: StartBot) -> None:
    client = await start_dmc()
    user = fake.make_user(name="mallory")
    asked = await fake.slash("ask", {"question": HOSTILE}, user=user)
    await asked.wait_response(timeout=3)
    await fake.send_message(f"<@{client.user.id}> {HOSTILE}", mentions_bot=True, author=user)
    await fake.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages"))
    message_id = int(asked.original["id"])
    for custom_id in ("fb:up:ending-korea", "rel:why-a-driver"):
        click = await fake.click(custom_id, message_id, user=user)
        await click.wait_response(timeout=3)
    poll = await fake.slash("poll", {}, subcommand="ending", user=user)
    await poll.wait_response(timeout=3)
    vote = await fake.click("poll:1:new-life", int(poll.original["id"]), user=user)
    await vote.wait_response(timeout=3)
    about = await fake.slash("about", user=user)
    await about.wait_response(timeout=3)
    await fake.settle()

    bodies = message_bodies(fake)
    assert len(bodies) >= 7
    for path, body in bodies:
        mentions = body.get("allowed_mentions")
        assert mentions is not None, path
        assert mentions.get("parse") == [], (path, mentions)
        assert not mentions.get("users") and not mentions.get("roles"), (path, mentions)
