"""/kb curation and /suggest through the real discord.py client and the fake Discord."""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot import suggestions
from bot.app import open_app
from bot.cogs.client import BotClient
from bot.config import Settings
from bot.curation import add_entry, edit_entry, remove_entry
from bot.exchange import export_files, import_entries
from bot.forms import entry_data_from_form
from bot.moderators import OPERATOR, Actor
from tests.e2e.conftest import StartBot, stop
from tests.fakediscord import FakeDiscord
from tests.fakediscord.payloads import EVERYONE_PERMISSIONS
from tests.fakediscord.server import InteractionHandle

MANAGE_GUILD = 1 << 5
EPHEMERAL = 1 << 6
NEW = {
    "title": "Does Misaki smile at the end?",
    "questions": "does misaki smile in the supermarket\nis misaki happy at the end",
    "answer": "She does, **briefly**. @everyone the film never says _why_.\n\n"
              "> Some read it as healing.",
    "sources": "Golden Globes interview | https://goldenglobes.com/articles/drive-my-car\n"
               "scene: The epilogue",
    "tags": "ending, misaki",
}
NEW_ID = "does-misaki-smile-at-the-end"
UNANSWERABLE = "what song plays over the end credits"


# ---------------------------------------------------------------- helpers


def moderator(fake: FakeDiscord, name: str = "mod") -> dict[str, Any]:
    """A member with Manage Server (a moderator without any configured role)."""
    return fake.make_user(name=name, permissions=EVERYONE_PERMISSIONS | MANAGE_GUILD)


async def kb(fake: FakeDiscord, sub: str, options: dict[str, Any] | None = None,
             user: dict[str, Any] | None = None) -> dict[str, Any]:
    handle = await fake.slash("kb", options or {}, subcommand=sub, user=user)
    return await handle.wait_response(timeout=3)


def fields_of(modal: dict[str, Any]) -> dict[str, str]:
    """A modal's text inputs and their pre-filled values."""
    assert modal["type"] == 9, modal
    return {c["custom_id"]: c.get("value") or "" for row in modal["data"]["components"]
            for c in row["components"]}


async def submit(fake: FakeDiscord, modal: dict[str, Any], changes: dict[str, str],
                 user: dict[str, Any] | None) -> InteractionHandle:
    """Submit a modal as a client would: pre-filled values, with the user's changes."""
    values = {**fields_of(modal), **changes}
    return await fake.submit_modal(modal["data"]["custom_id"], values, user=user)


def content(response: dict[str, Any]) -> str:
    return response["data"].get("content") or ""


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label → custom_id of a message's buttons."""
    return {c["label"]: c["custom_id"] for row in message.get("components") or []
            for c in row["components"] if c.get("type") == 2}


def state(client: BotClient) -> dict[str, list[dict[str, Any]]]:
    """Everything curation could change."""
    db = client.app.db
    return {table: list(db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall())
            for table in ("entries", "mod_entries", "audit_log", "suggestions", "question_log")}


def audit_rows(client: BotClient) -> list[tuple[str, str | None, int]]:
    return [(r["action"], r["entry_id"], r["actor_id"])
            for r in client.app.db["audit_log"].rows_where(order_by="id")]


async def ask_title(fake: FakeDiscord, question: str) -> str:
    handle = await fake.slash("ask", {"question": question, "spoilers": True})
    return (await handle.wait_response(timeout=3))["data"]["embeds"][0]["title"]


def assert_never_pings(fake: FakeDiscord, except_user: int | None = None) -> None:
    """Every message body the bot sent allows no mentions (or only ``except_user``)."""
    bodies = [r.json.get("data") if "/callback" in r.path else r.json
              for r in fake.requests if r.method in ("POST", "PATCH") and isinstance(r.json, dict)
              and ("/callback" in r.path or "/messages" in r.path or "/webhooks/" in r.path)]
    bodies = [b for b in bodies if b and ("content" in b or "embeds" in b)]
    assert bodies
    for body in bodies:
        mentions = body.get("allowed_mentions")
        assert mentions is not None and mentions["parse"] == [], body
        assert [str(u) for u in mentions.get("users", [])] in ([], [str(except_user)]), body
        assert not mentions.get("roles")


# ---------------------------------------------------------------- the command tree


async def test_kb_is_hidden_by_default_and_suggest_is_for_everyone(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    commands = {c["name"]: c for c in fake.commands}
    assert str(commands["kb"]["default_member_permissions"]) == str(MANAGE_GUILD)
    assert commands["suggest"]["default_member_permissions"] is None
    assert {o["name"] for o in commands["kb"]["options"]} == {
        "add", "edit", "remove", "show", "list", "search", "queue", "unanswered", "audit",
        "export", "reload"}
    assert all(r.status == 200 for r in fake.find_requests("PUT", r"/commands$"))


# ---------------------------------------------------------------- adding and validation


async def test_modal_submit_adds_a_searchable_entry(fake: FakeDiscord,
                                                    start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    assert await ask_title(fake, "does misaki smile in the supermarket") != NEW["title"]
    modal = await kb(fake, "add", {}, mod)
    assert set(fields_of(modal)) == {"title", "questions", "answer", "sources", "tags"}
    done = await (await submit(fake, modal, NEW, mod)).wait_response(timeout=3)
    assert done["data"]["flags"] & EPHEMERAL
    assert content(done).startswith(f"Added `{NEW_ID}`")
    assert done["data"]["embeds"][0]["title"] == NEW["title"]
    assert await ask_title(fake, "does misaki smile in the supermarket") == NEW["title"]
    entry = client.app.index.get(NEW_ID)
    assert entry is not None and entry.answer == NEW["answer"]  # markdown kept as written
    assert entry.spoiler is False
    assert audit_rows(client) == [("add", NEW_ID, int(mod["id"]))]
    assert_never_pings(fake)


async def test_spoiler_and_id_options_of_add(fake: FakeDiscord, start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    modal = await kb(fake, "add", {"spoiler": True, "id": "misaki-smiles"}, mod)
    done = await (await submit(fake, modal, NEW, mod)).wait_response(timeout=3)
    assert content(done).startswith("Added `misaki-smiles`")
    assert client.app.index.get("misaki-smiles").spoiler is True


async def test_invalid_input_is_refused_with_the_reason_and_nothing_is_written(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    before = state(client)
    modal = await kb(fake, "add", {}, mod)
    bad = {**NEW, "questions": "", "tags": "Not A Slug!", "sources": ""}
    handle = await submit(fake, modal, bad, mod)
    response = await handle.wait_response(timeout=3)
    text = content(response)
    assert response["data"]["flags"] & EPHEMERAL
    assert text.startswith("The entry was not saved:")
    assert "'questions' is" in text and "one per line" in text
    assert "'sources' is" in text and "slug!" in text
    assert "Nothing was saved" in text
    assert state(client) == before
    # the moderator gets the form back with what they wrote
    again = await fake.click(buttons(handle.original)["Fix and resubmit"],
                             int(handle.original["id"]), user=mod)
    reopened = await again.wait_response(timeout=3)
    assert fields_of(reopened) == {**NEW, **bad}
    broken_source = {**NEW, "sources": "my memory of the film"}
    response = await (await submit(fake, reopened, broken_source, mod)).wait_response(timeout=3)
    assert "sources line 1 ('my memory of the film') is not a source" in content(response)
    assert state(client) == before


# ---------------------------------------------------------------- permissions


def _prepare(client: BotClient, pack: Path, guild_id: int) -> None:
    """Something for every command to act on: a moderator entry, a suggestion, a file change."""
    add_entry(client.app, OPERATOR, entry_data_from_form(**{
        "title": NEW["title"], "questions_text": NEW["questions"], "answer": NEW["answer"],
        "sources_text": NEW["sources"], "tags_text": NEW["tags"]}))
    suggestions.suggest(client.app, Actor(2, guild_id), None, "A title", "Some text")
    path = pack / "drive-my-car" / "entries" / "why-a-driver.yaml"
    path.write_text(path.read_text().replace("festival has a rule", "festival has a RULE"))


@pytest.mark.parametrize(("sub", "options"), [
    ("add", {}), ("add", {"spoiler": True, "question": UNANSWERABLE}),
    ("edit", {"id": "no-kiss"}), ("remove", {"id": "no-kiss"}), ("export", {}),
    ("reload", {}), ("queue", {}), ("audit", {}), ("audit", {"id": "no-kiss"}),
    ("unanswered", {}), ("unanswered", {"days": 7})])
async def test_non_moderators_are_refused_every_moderator_command(
        fake: FakeDiscord, start_dmc: StartBot, pack: Path, caplog: pytest.LogCaptureFixture,
        sub: str, options: dict[str, Any]) -> None:
    role = fake.add_role("regulars")  # a role, but not a moderator role
    members = [fake.make_user(name="plain"), fake.make_user(name="regular", roles=[role])]
    client = await start_dmc(mod_roles=frozenset({fake.add_role("curators")}))
    _prepare(client, pack, fake.guild_id)
    before = state(client)
    caplog.set_level(logging.WARNING)
    for member in members:
        response = await kb(fake, sub, options, member)
        assert response["type"] == 4, response  # a message: no form, no deferred work
        assert response["data"]["flags"] & EPHEMERAL
        assert content(response).startswith("Only moderators can")
        assert not response["data"].get("attachments")
    assert state(client) == before
    assert "festival has a rule" in client.app.index.get("why-a-driver").answer  # not reloaded
    assert fake.find_requests("POST", r"^/webhooks/") == []  # no followup (no export file)
    assert sum("refused" in r.getMessage() for r in caplog.records) >= 2


async def test_with_kb_guilds_only_those_servers_moderators_curate(
        fake: FakeDiscord, start_dmc: StartBot, pack: Path) -> None:
    mod = moderator(fake)
    client = await start_dmc(kb_guilds=frozenset({fake.guild_id + 1}))  # another server
    _prepare(client, pack, fake.guild_id + 1)
    before = state(client)
    for sub, options in (("add", {}), ("remove", {"id": "no-kiss"}), ("export", {})):
        assert "this server's moderators can't" in content(await kb(fake, sub, options, mod))
    assert state(client) == before
    await stop(client)
    client = await start_dmc(kb_guilds=frozenset({fake.guild_id}), sync=False)
    form = await kb(fake, "add", {}, mod)
    assert form["type"] == 9  # this server is listed: the moderator gets the form


async def test_moderator_buttons_and_forms_refuse_non_moderators(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    mod, member = moderator(fake), fake.make_user(name="member")
    client = await start_dmc()
    suggestions.suggest(client.app, Actor(int(member["id"]), fake.guild_id), fake.channel_id,
                        "A title", "Some text")
    handle = await fake.slash("kb", {}, subcommand="queue", user=mod)
    await handle.wait_response(timeout=3)
    queue_message = int(handle.original["id"])
    before = state(client)
    # the queue's buttons, clicked by a member who got hold of the message
    for custom_id in ("kbq:approve:1", "kbq:spoiler:1", "kbq:reject:1"):
        response = await (await fake.click(custom_id, queue_message, user=member)
                          ).wait_response(timeout=3)
        assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL
        assert content(response).startswith("Only moderators can")
    # forms a moderator opened, submitted by someone else
    approve = await (await fake.click("kbq:approve:1", queue_message, user=mod)
                     ).wait_response(timeout=3)
    reject = await (await fake.click("kbq:reject:1", queue_message, user=mod)
                    ).wait_response(timeout=3)
    add = await kb(fake, "add", {}, mod)
    for modal, values in ((approve, NEW), (reject, {"reason": "no"}), (add, NEW)):
        response = await (await submit(fake, modal, values, member)).wait_response(timeout=3)
        assert response["data"]["flags"] & EPHEMERAL
        assert "opened by someone else" in content(response)
    # remove needs the invoker's confirmation
    handle = await fake.slash("kb", {"id": "no-kiss"}, subcommand="remove", user=mod)
    await handle.wait_response(timeout=3)
    confirm = buttons(handle.original)["Remove"]
    response = await (await fake.click(confirm, int(handle.original["id"]), user=member)
                      ).wait_response(timeout=3)
    assert "opened by someone else" in content(response)
    assert state(client) == before
    # a moderator who loses the rights while the form is open is refused by the core
    fake.members[int(mod["id"])]["permissions"] = EVERYONE_PERMISSIONS
    response = await (await submit(fake, approve, NEW, mod)).wait_response(timeout=3)
    assert content(response) == "Only moderators can approve suggestions."
    response = await (await submit(fake, add, {"sources": "not a source"}, mod)
                      ).wait_response(timeout=3)
    assert content(response) == "Only moderators can add entries."  # before any validation
    assert state(client) == before


@pytest.mark.parametrize("how", ["configured role", "manage server"])
async def test_moderator_by_role_or_by_manage_server(fake: FakeDiscord, start_dmc: StartBot,
                                                     how: str) -> None:
    role = fake.add_role("curators")
    user = (fake.make_user(name="curator", roles=[role]) if how == "configured role"
            else moderator(fake))
    client = await start_dmc(mod_roles=frozenset({role}))
    done = await (await submit(fake, await kb(fake, "add", {}, user), NEW, user)
                  ).wait_response(timeout=3)
    assert content(done).startswith(f"Added `{NEW_ID}`")
    assert audit_rows(client) == [("add", NEW_ID, int(user["id"]))]
    assert content(await kb(fake, "audit", {}, user)) == ""  # an embed, not a refusal


# ---------------------------------------------------------------- edit, remove, audit


async def test_edit_and_remove_are_audited_and_remove_needs_confirmation(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    modal = await kb(fake, "edit", {"id": "why-a-driver"}, mod)
    prefilled = fields_of(modal)
    assert prefilled["title"] == "Why does Kafuku need a driver?"
    assert "festival has a rule" in prefilled["answer"]
    unchanged = await (await submit(fake, modal, {}, mod)).wait_response(timeout=3)
    assert content(unchanged) == "Nothing changed in `why-a-driver`."
    assert audit_rows(client) == []
    answer = "@everyone The **festival** has a rule: guests do not drive.\n\n<@&1> *really*."
    modal = await kb(fake, "edit", {"id": "why-a-driver"}, mod)
    done = await (await submit(fake, modal, {"answer": answer}, mod)).wait_response(timeout=3)
    assert content(done) == "Edited `why-a-driver`."
    assert done["data"]["allowed_mentions"] == {"parse": []}
    entry = client.app.index.get("why-a-driver")
    assert entry.answer == answer and entry.spoiler is False  # the flag is kept
    record = client.app.db["audit_log"].get(1)
    assert (record["action"], record["actor_id"]) == ("edit", int(mod["id"]))
    assert "festival has a rule" in record["before"] and "guests do not drive" in record["after"]
    modal = await kb(fake, "edit", {"id": "why-a-driver", "spoiler": True}, mod)
    await (await submit(fake, modal, {}, mod)).wait_response(timeout=3)
    assert client.app.index.get("why-a-driver").spoiler is True

    handle = await fake.slash("kb", {"id": "no-kiss"}, subcommand="remove", user=mod)
    asked = await handle.wait_response(timeout=3)
    assert asked["data"]["flags"] & EPHEMERAL and "Only you can confirm" in content(asked)
    assert client.app.index.get("no-kiss") is not None
    keep = await fake.click(buttons(handle.original)["Keep it"], int(handle.original["id"]),
                            user=mod)
    assert "nothing changed" in content(await keep.wait_response(timeout=3))
    assert client.app.index.get("no-kiss") is not None
    assert [a for a, _, _ in audit_rows(client)] == ["edit", "edit"]

    handle = await fake.slash("kb", {"id": "no-kiss"}, subcommand="remove", user=mod)
    await handle.wait_response(timeout=3)
    click = await fake.click(buttons(handle.original)["Remove"], int(handle.original["id"]),
                             user=mod)
    removed = await click.wait_response(timeout=3)
    assert removed["type"] == 7 and content(removed).startswith("Removed `no-kiss`")
    assert client.app.index.get("no-kiss") is None
    assert audit_rows(client)[-1] == ("remove", "no-kiss", int(mod["id"]))
    assert await ask_title(fake, "do they kiss") != "Do Kafuku and Misaki kiss in the snow?"

    audit = await kb(fake, "audit", {"id": "why-a-driver"}, mod)
    description = audit["data"]["embeds"][0]["description"]
    assert description.count("**edit** `why-a-driver`") == 2 and "(answer)" in description
    assert f"<@{mod['id']}>" in description
    assert_never_pings(fake)


async def test_show_list_pages_and_search(fake: FakeDiscord, start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    for n in range(8):
        add_entry(client.app, OPERATOR, entry_data_from_form(
            f"Extra question number {n}", f"extra question {n}", "An answer.",
            "scene: The epilogue", "extra"))
    shown = await kb(fake, "show", {"id": "ending-korea"}, mod)
    embed = shown["data"]["embeds"][0]
    assert embed["title"] == "Why is Misaki in South Korea at the end?"
    assert {"name": "Tags", "value": "ending, epilogue, misaki", "inline": True} in embed["fields"]
    handle = await fake.slash("kb", {}, subcommand="list", user=mod)
    first = (await handle.wait_response(timeout=3))["data"]["embeds"][0]
    assert first["footer"]["text"].startswith("Page 1 of 2")
    assert first["description"].count("\n") == 9
    message = int(handle.original["id"])
    other = await fake.click(buttons(handle.original)["Next"], message,
                             user=fake.make_user(name="someone"))
    assert "opened by someone else" in content(await other.wait_response(timeout=3))
    turn = await fake.click(buttons(handle.original)["Next"], message, user=mod)
    page = await turn.wait_response(timeout=3)
    assert page["type"] == 7
    assert handle.original["embeds"][0]["footer"]["text"].startswith("Page 2 of 2")
    assert "`why-a-driver`" in handle.original["embeds"][0]["description"]
    found = await kb(fake, "search", {"text": "kiss"}, mod)
    assert "`no-kiss`" in found["data"]["embeds"][0]["description"]


async def test_entry_ids_autocomplete(fake: FakeDiscord, start_dmc: StartBot) -> None:
    mod = moderator(fake)
    await start_dmc()
    for sub in ("edit", "remove", "show", "audit"):
        handle = await fake.autocomplete("kb", {"id": "kis"}, "id", subcommand=sub, user=mod)
        response = await handle.wait_response(timeout=3)
        assert response["type"] == 8
        assert [c["value"] for c in response["data"]["choices"]] == ["no-kiss"]
    handle = await fake.autocomplete("suggest", {"entry": "driver"}, "entry")
    response = await handle.wait_response(timeout=3)
    assert [c["value"] for c in response["data"]["choices"]] == ["why-a-driver"]


# ---------------------------------------------------------------- suggestions


async def test_suggestions_approved_and_rejected_and_the_suggester_is_told(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    talk = fake.add_channel("film-talk")
    mod, fan = moderator(fake), fake.make_user(name="fan")
    client = await start_dmc()

    async def suggest(title: str, text: str, entry: str | None = None) -> str:
        handle = await fake.slash("suggest", {"entry": entry} if entry else {}, user=fan,
                                  channel_id=talk)
        modal = await handle.wait_response(timeout=3)
        assert fields_of(modal)["entry"] == (entry or "")
        done = await submit(fake, modal, {"title": title, "text": text}, fan)
        response = await done.wait_response(timeout=3)
        assert response["data"]["flags"] & EPHEMERAL
        return content(response)

    assert (await suggest("Does Misaki smile at the end?", "She smiles, I think.")
            ).startswith("Thanks! Suggestion #1 is waiting")
    await suggest("Nonsense", "The Saab is a time machine.")
    await suggest("Driver fix", "The rule is the festival's.", entry="why-a-driver")
    handle = await fake.slash("kb", {}, subcommand="queue", user=mod)
    embed = (await handle.wait_response(timeout=3))["data"]["embeds"][0]
    assert [f["name"] for f in embed["fields"]] == [
        "#1 · Does Misaki smile at the end?", "#2 · Nonsense", "#3 · Driver fix"]
    queue = int(handle.original["id"])
    assert set(buttons(handle.original).values()) == {
        f"kbq:{a}:{n}" for a in ("approve", "spoiler", "reject") for n in (1, 2, 3)}

    # approve #1 as a spoiler: the form is pre-filled from the suggestion
    modal = await (await fake.click("kbq:spoiler:1", queue, user=mod)).wait_response(timeout=3)
    assert fields_of(modal)["title"] == "Does Misaki smile at the end?"
    assert fields_of(modal)["answer"] == "She smiles, I think."
    done = await (await submit(fake, modal, NEW, mod)).wait_response(timeout=3)
    assert content(done).startswith(f"Approved suggestion #1: it is now `{NEW_ID}`")
    assert client.app.index.get(NEW_ID).spoiler is True
    told = await fake.wait_for(lambda r: r.method == "POST" and r.path == f"/channels/{talk}/"
                               "messages")
    assert told.json["content"].startswith(f"<@{fan['id']}> your suggestion #1")
    assert f"`{NEW_ID}`" in told.json["content"]
    assert told.json["allowed_mentions"]["parse"] == []
    assert [str(u) for u in told.json["allowed_mentions"]["users"]] == [fan["id"]]
    again = await (await fake.click("kbq:approve:1", queue, user=mod)).wait_response(timeout=3)
    assert content(again).startswith("Suggestion #1 was already approved")

    # reject #2 with a reason that tries to ping everyone
    modal = await (await fake.click("kbq:reject:2", queue, user=mod)).wait_response(timeout=3)
    reason = "No source for this. @everyone <@&123> **sorry**"
    done = await (await submit(fake, modal, {"reason": reason}, mod)).wait_response(timeout=3)
    assert content(done).startswith("Rejected suggestion #2.")
    told = await fake.wait_for(lambda r: r.method == "POST" and r.path.startswith(
        f"/channels/{talk}/") and "#2" in r.json["content"])
    assert told.json["content"].endswith(f"The moderators said: {reason}")
    assert told.json["allowed_mentions"] == {"parse": [], "users": [int(fan["id"])]}

    # approve the correction #3: the form shows the entry, and the entry is edited
    modal = await (await fake.click("kbq:approve:3", queue, user=mod)).wait_response(timeout=3)
    assert fields_of(modal)["title"] == "Why does Kafuku need a driver?"
    done = await (await submit(fake, modal, {"answer": "The festival's rule."}, mod)
                  ).wait_response(timeout=3)
    assert content(done).startswith("Approved suggestion #3: it is now `why-a-driver`")
    assert client.app.index.get("why-a-driver").answer == "The festival's rule."
    rows = {r["id"]: (r["status"], r["reviewer_id"]) for r in client.app.db["suggestions"].rows}
    assert rows == {1: ("approved", int(mod["id"])), 2: ("rejected", int(mod["id"])),
                    3: ("approved", int(mod["id"]))}
    assert [a for a, _, _ in audit_rows(client)] == ["add", "approve", "reject", "edit",
                                                     "approve"]
    assert_never_pings(fake, except_user=int(fan["id"]))


async def test_queue_buttons_survive_a_restart(fake: FakeDiscord, start_dmc: StartBot) -> None:
    mod = moderator(fake)
    first = await start_dmc()
    suggestions.suggest(first.app, Actor(5, fake.guild_id), fake.channel_id, "A title",
                        "Some text")
    handle = await fake.slash("kb", {}, subcommand="queue", user=mod)
    await handle.wait_response(timeout=3)
    await stop(first)
    second = await start_dmc(sync=False)
    click = await fake.click("kbq:reject:1", int(handle.original["id"]), user=mod)
    modal = await click.wait_response(timeout=3)
    done = await (await submit(fake, modal, {"reason": "Duplicate."}, mod)).wait_response(3)
    assert content(done).startswith("Rejected suggestion #1.")
    assert second.app.db["suggestions"].get(1)["status"] == "rejected"


# ---------------------------------------------------------------- unanswered questions


async def test_unanswered_question_becomes_an_entry(fake: FakeDiscord,
                                                    start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    for _ in range(2):
        assert (await ask_title(fake, UNANSWERABLE)).startswith(("I don't have", "I'm not sure"))
    handle = await fake.autocomplete("kb", {"question": "song"}, "question", subcommand="add",
                                     user=mod)
    choices = (await handle.wait_response(timeout=3))["data"]["choices"]
    assert choices == [{"name": f"2× {UNANSWERABLE}", "value": UNANSWERABLE}]
    handle = await fake.autocomplete("kb", {"question": "song"}, "question", subcommand="add",
                                     user=fake.make_user(name="member"))
    assert (await handle.wait_response(timeout=3))["data"]["choices"] == []  # not a moderator

    handle = await fake.slash("kb", {}, subcommand="unanswered", user=mod)
    embed = (await handle.wait_response(timeout=3))["data"]["embeds"][0]
    assert f"1. **2×** {UNANSWERABLE}" in embed["description"]
    click = await fake.click(buttons(handle.original)["Answer 1"], int(handle.original["id"]),
                             user=mod)
    modal = await click.wait_response(timeout=3)
    assert fields_of(modal)["questions"] == UNANSWERABLE
    values = {"title": "What song plays over the end credits?", "answer": "No song is named.",
              "sources": "scene: The end credits", "tags": "music"}
    done = await (await submit(fake, modal, values, mod)).wait_response(timeout=3)
    assert content(done).startswith("Added `what-song-plays-over-the-end-credits`")
    linked = {r["entry_id"] for r in client.app.db["question_log"].rows_where(
        "text = ?", [UNANSWERABLE])}
    assert linked == {"what-song-plays-over-the-end-credits"}
    assert [a for a, _, _ in audit_rows(client)] == ["add", "link"]
    after = await kb(fake, "unanswered", {}, mod)
    assert UNANSWERABLE not in after["data"]["embeds"][0]["description"]


# ---------------------------------------------------------------- export and reload


@pytest.mark.parametrize("many", [False, True], ids=["one-yaml", "zip"])
async def test_export_attachment_round_trips_through_import(
        fake: FakeDiscord, start_dmc: StartBot, tmp_path: Path, pack: Path, many: bool) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    add_entry(client.app, Actor(int(mod["id"]), fake.guild_id, True), entry_data_from_form(
        NEW["title"], NEW["questions"], NEW["answer"], NEW["sources"], NEW["tags"]))
    if many:
        edit_entry(client.app, OPERATOR, "why-a-driver",
                   {"answer": "A *rule*: guests don't drive.\n  two spaces  \n"})
    handle = await fake.slash("kb", {}, subcommand="export", user=mod)
    deferred = await handle.wait_response(timeout=3)
    assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
    await handle.wait_followups(1)
    request = fake.find_requests("POST", r"^/webhooks/")[-1]
    assert request.json["flags"] & EPHEMERAL
    [upload] = request.files
    out = tmp_path / "exported"
    if many:
        assert upload["filename"] == "knowledge-export.zip"
        zipfile.ZipFile(io.BytesIO(upload["data"])).extractall(out)
        assert "2 moderator entries" in request.json["content"]
    else:
        assert upload["filename"] == f"{NEW_ID}.yaml"
        target = out / "drive-my-car" / "entries" / upload["filename"]
        target.parent.mkdir(parents=True)
        target.write_bytes(upload["data"])
        assert f"knowledge/drive-my-car/entries/{NEW_ID}.yaml" in request.json["content"]
    fresh = open_app(Settings(db_path=tmp_path / "fresh.db", knowledge_path=pack))
    try:
        results = import_entries(fresh, OPERATOR, out)
        assert f"added {NEW_ID}" in results
        assert export_files(fresh, OPERATOR) == export_files(client.app, OPERATOR)
        for entry_id in ([NEW_ID, "why-a-driver"] if many else [NEW_ID]):
            assert fresh.index.get(entry_id) == client.app.index.get(entry_id)
    finally:
        fresh.close()


async def test_export_with_nothing_and_with_removals(fake: FakeDiscord,
                                                     start_dmc: StartBot) -> None:
    mod = moderator(fake)
    client = await start_dmc()
    handle = await fake.slash("kb", {}, subcommand="export", user=mod)
    [message] = await handle.wait_followups(1)
    assert message["content"].startswith("Nothing to export") and not message["attachments"]
    remove_entry(client.app, OPERATOR, "no-kiss")
    handle = await fake.slash("kb", {}, subcommand="export", user=mod)
    [message] = await handle.wait_followups(1)
    assert "`knowledge/drive-my-car/entries/no-kiss.yaml`" in message["content"]


async def test_reload_with_a_broken_file_keeps_answering_and_reports_path_line(
        fake: FakeDiscord, start_dmc: StartBot, pack: Path) -> None:
    mod = moderator(fake)
    await start_dmc()
    path = pack / "drive-my-car" / "entries" / "why-a-driver.yaml"
    good = path.read_text()
    assert good.splitlines()[5] == "spoiler: false"
    path.write_text(good.replace("spoiler: false", "spoiler: maybe"))
    handle = await fake.slash("kb", {}, subcommand="reload", user=mod)
    deferred = await handle.wait_response(timeout=3)
    assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
    [message] = await handle.wait_followups(1)
    assert message["content"].startswith("Reload refused: 1 problem(s).")
    assert "knowledge/drive-my-car/entries/why-a-driver.yaml:6: " in message["content"]
    assert await ask_title(fake, "why does kafuku need a driver") == \
        "Why does Kafuku need a driver?"

    for n in range(60):  # far more problems than one message holds
        (path.parent / f"broken-{n:02}.yaml").write_text("id: [unclosed\n")
    handle = await fake.slash("kb", {}, subcommand="reload", user=mod)
    [message] = await handle.wait_followups(1)
    assert len(message["content"]) <= 2000 and "more (`python -m bot kb check`" in \
        message["content"]
    assert "broken-00.yaml:" in message["content"]

    for n in range(60):
        (path.parent / f"broken-{n:02}.yaml").unlink()
    path.write_text(good.replace("festival has a rule", "festival has a firm rule"))
    handle = await fake.slash("kb", {}, subcommand="reload", user=mod)
    [message] = await handle.wait_followups(1)
    assert message["content"].startswith("Reloaded the files")
    handle = await fake.slash("ask", {"question": "why does kafuku need a driver"})
    embed = (await handle.wait_response(timeout=3))["data"]["embeds"][0]
    assert "festival has a firm rule" in embed["description"]
