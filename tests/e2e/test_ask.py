"""/ask, mentions, feedback buttons and /about through the real discord.py client."""

from __future__ import annotations

import asyncio
import re
import sys

from tests.e2e.conftest import StartBot, stop
from tests.fakediscord import FakeDiscord


def embed_of(response: dict) -> dict:
    assert response["type"] == 4, response
    return response["data"]["embeds"][0]


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]
            if "custom_id" in c]


async def test_command_tree_payload_is_valid(fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc(sync=True)
    names = {c["name"] for c in fake.commands}
    assert {"ask", "about", "poll"} <= names
    puts = fake.find_requests("PUT", r"/commands$")
    assert puts and all(r.status == 200 for r in puts)  # the fake rejects invalid trees with 400


async def test_plain_run_does_not_sync(fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc(sync=False)
    assert fake.find_requests("PUT", r"/commands$") == []


async def test_ask_answers_in_time_with_a_valid_embed(fake: FakeDiscord,
                                                      start_dmc: StartBot) -> None:
    await start_dmc()
    handle = await fake.slash("ask", {"question": "why does kafuku need a driver?"})
    embed = embed_of(await handle.wait_response(timeout=3))
    assert handle.latency is not None and handle.latency < 3
    assert embed["title"] == "Why does Kafuku need a driver?"
    assert "festival has a rule" in embed["description"]
    assert embed["fields"][0]["name"] == "Sources"
    assert "](https://goldenglobes.com/" in embed["fields"][0]["value"]
    assert "confidence" in embed["footer"]["text"]
    assert "Drive My Car (2021)" in embed["footer"]["text"]
    assert embed["author"]["name"] == "Q: why does kafuku need a driver?"
    ids = custom_ids(handle.original)
    assert ids[:2] == ["fb:up:why-a-driver", "fb:down:why-a-driver"]
    assert handle.response["data"]["allowed_mentions"] == {"parse": []}


async def test_abstention_is_friendly_and_lists_topics(fake: FakeDiscord,
                                                       start_dmc: StartBot) -> None:
    await start_dmc()
    handle = await fake.slash("ask", {"question": "how do i bake sourdough bread"})
    embed = embed_of(await handle.wait_response(timeout=3))
    assert embed["title"] == "I don't have a curated answer for that"
    assert "rather say so than guess" in embed["description"]
    assert not any(i.startswith("fb:") for i in custom_ids(handle.original))


async def test_last_act_answers_are_spoiler_wrapped_unless_asked(fake: FakeDiscord,
                                                                 start_dmc: StartBot) -> None:
    await start_dmc()
    hidden = await fake.slash("ask", {"question": "why is misaki in korea"})
    embed = embed_of(await hidden.wait_response(timeout=3))
    assert embed["description"].startswith("||**Why is Misaki in South Korea at the end?**")
    assert embed["description"].endswith("||")
    assert "Korea" not in embed["title"]  # the title gives nothing away
    shown = await fake.slash("ask", {"question": "why is misaki in korea", "spoilers": True})
    embed = embed_of(await shown.wait_response(timeout=3))
    assert embed["title"] == "Why is Misaki in South Korea at the end?"
    assert "||" not in embed["description"]


async def test_spoiler_channels_show_answers_plainly(fake: FakeDiscord,
                                                     start_dmc: StartBot) -> None:
    channel = fake.add_channel("dmc-spoilers")
    await start_dmc()
    handle = await fake.slash("ask", {"question": "why is misaki in korea"}, channel_id=channel)
    assert "||" not in embed_of(await handle.wait_response(timeout=3))["description"]


async def test_mention_gets_a_reply_that_pings_nobody(fake: FakeDiscord,
                                                      start_dmc: StartBot) -> None:
    client = await start_dmc()
    await fake.send_message(f"<@{client.user.id}> @everyone why is Misaki in Korea?",
                            mentions_bot=True)
    request = await fake.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages"))
    body = request.json
    assert body["allowed_mentions"]["parse"] == []
    assert body["allowed_mentions"].get("replied_user") is False
    assert body["message_reference"]["message_id"]
    assert body["embeds"][0]["author"]["name"] == "Q: @everyone why is Misaki in Korea?"
    rows = list(client.app.db["question_log"].rows)
    assert rows[-1]["entry_id"] == "ending-korea" and rows[-1]["source"].startswith("discord:")


async def test_message_menu_answers_someone_elses_question_in_the_channel(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    client = await start_dmc()
    assert {"name": "Answer with the bot", "type": 3} in [
        {k: c.get(k) for k in ("name", "type")} for c in fake.commands]
    asker, helper = fake.make_user(name="asker"), fake.make_user(name="helper")
    asked = await fake.send_message("@everyone ok but WHY is misaki in korea??", author=asker)
    handle = await fake.message_command("Answer with the bot", int(asked["id"]), user=helper)
    response = await handle.wait_response(timeout=3)
    assert response["type"] == 4 and not response["data"].get("flags", 0) & 64  # public
    embed = embed_of(response)
    assert embed["author"]["name"] == "Q: @everyone ok but WHY is misaki in korea??"
    assert embed["author"]["url"].endswith(f"/{asked['channel_id']}/{asked['id']}")
    assert response["data"]["allowed_mentions"] == {"parse": []}
    assert "fb:up:ending-korea" in custom_ids(handle.original)
    rows = list(client.app.db["question_log"].rows)
    assert rows[-1]["entry_id"] == "ending-korea"

    blank = await fake.send_message("", author=asker)  # an image-only message, say
    handle = await fake.message_command("Answer with the bot", int(blank["id"]), user=helper)
    response = await handle.wait_response(timeout=3)
    assert response["data"]["flags"] & 64
    assert response["data"]["content"] == "That message has no text I could answer."
    assert len(list(client.app.db["question_log"].rows)) == len(rows)


async def test_typing_a_question_suggests_answered_ones_without_spoilers(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    client = await start_dmc()

    async def suggestions(typed: str, channel_id: int | None = None) -> list[str]:
        handle = await fake.autocomplete("ask", {"question": typed}, "question",
                                         channel_id=channel_id)
        response = await handle.wait_response(timeout=3)
        assert response["type"] == 8
        assert all(c["name"] == c["value"] for c in response["data"]["choices"])
        return [c["name"] for c in response["data"]["choices"]]

    assert await suggestions("why does kafuku need a driver") == [
        "Why does Kafuku need a driver?"]
    assert await suggestions("why is misaki in korea") == []  # a last-act title: not here
    spoilers = fake.add_channel("ending-spoilers")
    shown = await suggestions("why is misaki in korea", spoilers)
    assert shown[0] == "Why is Misaki in South Korea at the end?"  # best match first
    assert await suggestions("wh") == []
    assert await suggestions("@everyone \"NEAR(\" OR *") == []
    assert client.app.db["question_log"].count == 0  # typing is not asking


async def test_everyone_in_a_slash_question_does_not_ping(fake: FakeDiscord,
                                                          start_dmc: StartBot) -> None:
    await start_dmc()
    handle = await fake.slash("ask", {"question": "@everyone @here <@&1> do they kiss"})
    response = await handle.wait_response(timeout=3)
    assert response["data"]["allowed_mentions"] == {"parse": []}


async def test_feedback_one_vote_per_user_changeable_and_survives_restart(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    first = await start_dmc()
    handle = await fake.slash("ask", {"question": "do they kiss"})
    await handle.wait_response(timeout=3)
    message_id = int(handle.original["id"])
    alice, bob = fake.make_user(name="alice"), fake.make_user(name="bob")
    for user in (alice, alice, bob):
        click = await fake.click("fb:up:no-kiss", message_id, user=user)
        response = await click.wait_response(timeout=3)
        assert response["data"]["flags"] & 64  # ephemeral
    assert "(👍 2 · 👎 0;" in response["data"]["content"]
    await stop(first)

    second = await start_dmc(sync=False)  # a new process would see the same database
    click = await fake.click("fb:down:no-kiss", message_id, user=alice)
    response = await click.wait_response(timeout=3)
    assert "(👍 1 · 👎 1;" in response["data"]["content"]
    rows = {(r["voter"], r["helpful"]) for r in second.app.db["feedback"].rows}
    pseudonym = {u["id"]: second.app.db.execute(  # kept under pseudonyms, never user ids
        "SELECT voter_pseudonym('feedback:no-kiss', ?)", [int(u["id"])]).fetchone()[0]
        for u in (alice, bob)}
    assert rows == {(pseudonym[alice["id"]], 0), (pseudonym[bob["id"]], 1)}


async def test_related_button_opens_the_entry_ephemerally(fake: FakeDiscord,
                                                          start_dmc: StartBot) -> None:
    await start_dmc()
    handle = await fake.slash("ask", {"question": "why is misaki in korea"})
    await handle.wait_response(timeout=3)
    assert "rel:why-a-driver" in custom_ids(handle.original)
    click = await fake.click("rel:why-a-driver", int(handle.original["id"]))
    response = await click.wait_response(timeout=3)
    assert response["data"]["flags"] & 64
    assert response["data"]["embeds"][0]["title"] == "Why does Kafuku need a driver?"


async def test_cooldown_is_friendly(fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    user = fake.make_user(name="eager")
    texts = []
    for _ in range(5):
        handle = await fake.slash("ask", {"question": "do they kiss"}, user=user)
        texts.append((await handle.wait_response(timeout=3))["data"].get("content") or "")
    assert all("one question at a time" not in t for t in texts[:4])
    assert "Easy there: one question at a time" in texts[4]
    other = await fake.slash("ask", {"question": "do they kiss"})  # another user is not slowed
    assert "embeds" in (await other.wait_response(timeout=3))["data"]


async def test_about(fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    handle = await fake.slash("about")
    embed = embed_of(await handle.wait_response(timeout=3))
    assert embed["title"] == "About the Drive My Car ending bot"
    assert {"name": "Knowledge base", "value": "5 entries", "inline": True} in embed["fields"]
    usage = next(f["value"] for f in embed["fields"] if f["name"] == "How to use me")
    synced = {c["name"]: {o["name"] for o in c.get("options", []) if o["type"] == 1}
              for c in fake.commands}
    mentioned = re.findall(r"`/(\w+)(?: (\w+))?`", embed["description"] + usage)
    assert len(mentioned) >= 5
    for command, sub in mentioned:  # every command /about names exists as written
        assert command in synced and (not sub or sub in synced[command]), (command, sub)
    assert "Answer with the bot" in usage and "Answer with the bot" in synced


async def test_unexpected_errors_get_an_apology(fake: FakeDiscord, start_dmc: StartBot,
                                                caplog, monkeypatch) -> None:
    await start_dmc()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # a fault deep in the core (extensions are loaded into sys.modules, not their package)
    monkeypatch.setattr(sys.modules["bot.cogs.ask"], "ask", broken)
    handle = await fake.slash("ask", {"question": "do they kiss"})
    response = await asyncio.wait_for(handle.wait_response(timeout=3), 5)
    assert response["data"]["content"].startswith("Sorry, something went wrong on my side")
    assert response["data"]["flags"] & 64
    assert any("/ask failed for user" in r.getMessage() for r in caplog.records)


async def test_community_question_shows_the_live_poll(fake: FakeDiscord,
                                                      start_dmc: StartBot) -> None:
    await start_dmc()
    poll = await fake.slash("poll", {}, subcommand="ending")
    await poll.wait_response(timeout=3)
    for name in ("ann", "ben"):
        click = await fake.click("poll:1:gave-car", int(poll.original["id"]),
                                 user=fake.make_user(name=name))
        await click.wait_response(timeout=3)
    handle = await fake.slash("ask", {"question": "what does everyone think the ending means",
                                      "spoilers": True})
    embed = embed_of(await handle.wait_response(timeout=3))
    field = next(f for f in embed["fields"] if f["name"].startswith("Where this server stands"))
    assert "`██████████` 100% (2) Kafuku gave Misaki the Saab" in field["value"]
    assert field["value"].endswith("2 voters")


async def test_server_spoiler_setting_is_for_moderators(fake: FakeDiscord,
                                                        start_dmc: StartBot) -> None:
    role = fake.add_role("mods", permissions=0x20)  # Manage Server
    mod = fake.make_user(name="mod", roles=[role])
    member = fake.make_user(name="member")
    client = await start_dmc()
    spoilers = next(c for c in fake.commands if c["name"] == "spoilers")
    assert int(spoilers["default_member_permissions"]) == 0x20  # hidden from members
    refused = await fake.slash("spoilers", {"shown": True}, user=member)
    assert "Only moderators" in (await refused.wait_response(timeout=3))["data"]["content"]
    assert client.app.db["guild_settings"].count == 0
    done = await fake.slash("spoilers", {"shown": True}, user=mod)
    assert "shown plainly" in (await done.wait_response(timeout=3))["data"]["content"]
    handle = await fake.slash("ask", {"question": "why is misaki in korea"}, user=member)
    assert "||" not in embed_of(await handle.wait_response(timeout=3))["description"]
    asked = await fake.slash("ask", {"question": "why is misaki in korea", "spoilers": False},
                             user=member)  # the asker's own choice still wins
    assert embed_of(await asked.wait_response(timeout=3))["description"].startswith("||")


async def test_two_questions_in_one_get_one_embed_each(fake: FakeDiscord,
                                                      start_dmc: StartBot) -> None:
    await start_dmc()
    handle = await fake.slash(
        "ask", {"question": "why can't kafuku drive himself? and was takatsuki arrested?",
                "spoilers": True})
    await handle.wait_response(timeout=3)
    embeds = handle.response["data"]["embeds"]
    assert [e["title"] for e in embeds] == ["Why does Kafuku need a driver?",
                                            "Why is Takatsuki arrested?"]
    assert embeds[0]["author"]["name"] == "Q: why can't kafuku drive himself"
    assert embeds[1]["author"]["name"] == "Q: was takatsuki arrested?"
    ids = custom_ids(handle.original)
    assert {"fb:up:why-a-driver", "fb:up:takatsuki-arrest"} <= set(ids)
    labels = [c["label"] for row in handle.original["components"] for c in row["components"]]
    assert "Helpful (answer 1)" in labels and "Not helpful (answer 2)" in labels


async def test_closest_match_is_one_click_away(fake: FakeDiscord, start_dmc: StartBot) -> None:
    client = await start_dmc()
    handle = await fake.slash("ask", {"question": "why the masks in the supermarket"})
    embed = embed_of(await handle.wait_response(timeout=3))
    assert embed["title"] == "I'm not sure I have a curated answer for that"
    assert "sure) is:" in embed["description"]
    ids = custom_ids(handle.original)
    assert ids[0] == "rel:ending-korea" and not any(i.startswith("fb:") for i in ids)
    click = await fake.click("rel:ending-korea", int(handle.original["id"]))
    response = await click.wait_response(timeout=3)
    assert response["data"]["flags"] & 64  # only for the person who clicked
    assert response["data"]["embeds"][0]["description"].startswith("||**Why is Misaki")
    logged = list(client.app.db["question_log"].rows)
    assert [r["entry_id"] for r in logged] == [None]  # not an answer: moderators see it


async def test_greetings_get_a_friendly_reply_and_are_not_logged(fake: FakeDiscord,
                                                                 start_dmc: StartBot) -> None:
    client = await start_dmc()
    for text in ("hi there!", "thanks, that helped", "what can you do?"):
        handle = await fake.slash("ask", {"question": text})
        embed = embed_of(await handle.wait_response(timeout=3))
        assert embed["title"] == "Hi!"
        assert "/about" in embed["description"] and "• " in embed["description"]
        assert custom_ids(handle.original) == []
    assert client.app.db["question_log"].count == 0


def test_two_long_answers_fit_in_one_message() -> None:
    """Discord refuses a message whose embeds hold more than 6,000 characters in all."""
    from bot.answers import ANSWER, Alternative, Answer, Part
    from bot.cogs.embeds import EMBED_TOTAL, answer_embeds
    from bot.knowledge import Entry, Film, Source

    def entry(n: int) -> Entry:
        return Entry(id=f"e{n}", film="f", title="T" * 200, questions=("q",), answer="a" * 1500,
                     sources=tuple(Source(title="s" * 100, url="https://example.org/" + "x" * 80)
                                   for _ in range(10)), tags=("t",), spoiler=True)

    parts = (Part("q" * 300, entry(1), 0.9), Part("q" * 300, entry(2), 0.8))
    film = Film(id="f", title="F", year=2021, director="d", aliases=(), spoilers="hidden",
                synonyms=())
    answer = Answer("q", True, parts[0].entry, 0.9, (Alternative("x", "y" * 200, True),) * 3,
                    film, None, ANSWER, None, parts)
    embeds = answer_embeds(answer, show_spoilers=False)
    assert len(embeds) == 2
    assert sum(len(e) for e in embeds) <= EMBED_TOTAL
    assert all(len(e.description or "") > 1500 for e in embeds)  # the answers stay whole
