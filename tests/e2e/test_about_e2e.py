"""/about tells a moderator what they can do here, and why /kb may be hidden from them
(issue 13: moderators by BOT_MOD_ROLES don't see /kb until a server admin allows them)."""

from __future__ import annotations

import logging
import re

import pytest

from tests.e2e.conftest import StartBot
from tests.e2e.test_curate_e2e import moderator
from tests.fakediscord import FakeDiscord


async def about_fields(fake: FakeDiscord, user: dict) -> dict[str, str]:
    handle = await fake.slash("about", user=user)
    response = await handle.wait_response(timeout=3)
    assert response["data"]["flags"] & 64
    return {f["name"]: f["value"] for f in response["data"]["embeds"][0]["fields"]}


async def test_a_moderator_by_role_learns_why_kb_is_hidden_and_how_to_fix_it(
        fake: FakeDiscord, start_dmc: StartBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.cogs.curate")
    role = fake.add_role("film-mods")
    by_role, admin = fake.make_user(name="by-role", roles=[role]), moderator(fake, "admin")
    member = fake.make_user(name="member")
    await start_dmc(mod_roles=frozenset({role}))
    commands = {c["name"]: c for c in fake.commands}
    assert str(commands["kb"]["default_member_permissions"]) == str(1 << 5)  # Manage Server

    note = (await about_fields(fake, by_role))["For moderators"]
    assert "Server Settings → Integrations → FakeBot → /kb" in note
    assert "hidden from you" in note and "`/poll create`" in note
    admin_note = (await about_fields(fake, admin))["For moderators"]
    assert "Integrations" in admin_note and "hidden from you" not in admin_note
    assert "For moderators" not in await about_fields(fake, member)
    assert any("BOT_MOD_ROLES is set" in r.getMessage() for r in caplog.records)
    synced = {c["name"]: {o["name"] for o in c.get("options", []) if o["type"] == 1}
              for c in fake.commands}
    for command, sub in re.findall(r"`/(\w+)(?: (\w+))?`", note):
        assert command in synced and (not sub or sub in synced[command]), (command, sub)


async def test_without_mod_roles_or_curation_the_note_says_so(fake: FakeDiscord,
                                                              start_dmc: StartBot) -> None:
    admin = moderator(fake, "admin")
    await start_dmc(kb_guilds=frozenset({fake.guild_id + 1}))
    note = (await about_fields(fake, admin))["For moderators"]
    assert "does not curate the shared knowledge base" in note
    assert "Integrations" not in note  # nothing to allow: Manage Server sees /kb
