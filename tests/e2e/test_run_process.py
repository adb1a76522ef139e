"""`python -m bot run` as a real process, pointed at the fake by DISCORD_API_BASE/GATEWAY_URL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
from pathlib import Path

from tests.fakediscord import FakeDiscord


async def spawn(fake: FakeDiscord, tmp_path: Path, pack: Path, *args: str,
                token: str | None = None) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token if token is None else token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "BOT_DB": str(tmp_path / "proc.db"),
        "BOT_KNOWLEDGE": str(pack),
        "BOT_LOG_LEVEL": "INFO",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def spawn_synced(fake: FakeDiscord, tmp_path: Path, pack: Path
                       ) -> asyncio.subprocess.Process:
    """`run --sync`, once the bot is connected and its commands are synced."""
    proc = await spawn(fake, tmp_path, pack, "--sync")
    try:
        await fake.wait_ready(timeout=30)
        await fake.wait_until(lambda: bool(fake.commands), timeout=30, what="command sync")
    except BaseException:
        proc.kill()  # never leave a bot running behind a failed test
        await proc.communicate()
        raise
    return proc


async def test_run_answers_and_shuts_down_cleanly(fake: FakeDiscord, tmp_path: Path,
                                                  pack: Path) -> None:
    proc = await spawn_synced(fake, tmp_path, pack)
    try:
        handle = await fake.slash("ask", {"question": "why does he need a driver"})
        response = await handle.wait_response(timeout=5)
        assert response["data"]["embeds"][0]["title"] == "Why does Kafuku need a driver?"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    text = stderr.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text
    assert fake.token not in text  # the token is never logged
    assert "shutting down" in text


async def test_rejected_token_is_one_clear_line(fake: FakeDiscord, tmp_path: Path,
                                                pack: Path) -> None:
    proc = await spawn(fake, tmp_path, pack, token="not-the-token")
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    text = stderr.decode()
    assert proc.returncode == 2, text
    last = text.strip().splitlines()[-1]
    assert last == "error: Discord rejected the token (check DISCORD_TOKEN)"
    assert "Traceback" not in text and "not-the-token" not in text


async def test_sharded_run_connects(fake: FakeDiscord, tmp_path: Path, pack: Path) -> None:
    proc = await spawn(fake, tmp_path, pack, "--shards", "auto")
    try:
        await fake.wait_ready(timeout=30)
        assert fake.find_requests("GET", r"/gateway/bot$")  # AutoShardedBot asks for shards
        handle = await fake.slash("ask", {"question": "do they kiss"})
        assert (await handle.wait_response(timeout=5))["type"] == 4
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0


async def test_votes_confirmed_before_kill_9_survive_the_restart(
        fake: FakeDiscord, tmp_path: Path, pack: Path) -> None:
    """The whole bot process is killed mid-burst; every vote it had confirmed is still there."""
    proc = await spawn_synced(fake, tmp_path, pack)
    try:
        start = await fake.slash("poll", None, subcommand="ending")
        await start.wait_response(timeout=5)
        await fake.wait_until(lambda: start.original is not None, timeout=5, what="the poll")
        message = start.original
        poll_id = int(re.match(r"Poll #(\d+) ", message["embeds"][0]["footer"]["text"])[1])
        options = ("new-life", "gave-car")
        presses = [await fake.press(f"poll:{poll_id}:{options[n % 2]}", message,
                                    fake.make_user(name=f"voter{n}")) for n in range(300)]
        await fake.wait_until(lambda: sum(h.response is not None for h in presses) >= 30,
                              timeout=20, what="30 confirmed votes")
    finally:
        proc.kill()  # SIGKILL: no shutdown, no flush
        await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == -signal.SIGKILL
    confirmed = {int(h.payload["member"]["user"]["id"]): h.payload["data"]["custom_id"]
                 for h in presses
                 if h.response and h.response["data"]["content"].startswith("You voted for")}
    assert len(confirmed) >= 30

    with sqlite3.connect(tmp_path / "proc.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {user: json.loads(choices) for user, choices in conn.execute(
            "SELECT user_id, choices FROM ballots WHERE poll_id = ?", [poll_id])}
        events = conn.execute("SELECT count(*) FROM vote_events WHERE poll_id = ?",
                              [poll_id]).fetchone()[0]
    for user, custom_id in confirmed.items():  # every confirmed vote is stored
        assert stored.get(user) == [custom_id.rsplit(":", 1)[1]], user
    assert events == len(stored)  # one event per ballot: nothing counted twice

    again = await spawn(fake, tmp_path, pack)
    try:
        await fake.wait_ready(timeout=30, identifies=2)
        voters = f"· {len(stored)} voter"
        await fake.wait_until(  # the poll message catches up with what was stored
            lambda: voters in fake.messages[int(message["id"])]["embeds"][0]["footer"]["text"],
            timeout=15, what="the poll message after the restart")
        late = await fake.press(f"poll:{poll_id}:gave-car", message, fake.make_user(name="late"))
        response = await late.wait_response(timeout=5)
        assert response["data"]["content"].startswith("You voted for")
    finally:
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.communicate(), 20)
    assert again.returncode == 0


async def test_an_entry_confirmed_before_kill_9_survives_the_restart(
        fake: FakeDiscord, tmp_path: Path, pack: Path) -> None:
    proc = await spawn_synced(fake, tmp_path, pack)
    try:
        form = await (await fake.slash("kb", {}, subcommand="add")).wait_response(timeout=5)
        assert form["type"] == 9, form  # the guild owner is a moderator: the modal opens
        typed = {"title": "Does Misaki smile at the end?",
                 "questions": "does misaki smile in the supermarket",
                 "answer": "She does, briefly; the film never says why.",
                 "sources": "scene: The epilogue", "tags": "ending, misaki"}
        values = {c["custom_id"]: typed.get(c["custom_id"], c.get("value") or "")
                  for row in form["data"]["components"] for c in row["components"]}
        done = await fake.submit_modal(form["data"]["custom_id"], values)
        assert (await done.wait_response(timeout=5))["data"]["content"].startswith("Added")
    finally:
        proc.kill()
        await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == -signal.SIGKILL

    again = await spawn(fake, tmp_path, pack)
    try:
        await fake.wait_ready(timeout=30, identifies=2)
        handle = await fake.slash("ask", {"question": "does misaki smile in the supermarket",
                                          "spoilers": True})
        answer = (await handle.wait_response(timeout=5))["data"]["embeds"][0]
        assert answer["title"] == "Does Misaki smile at the end?"
    finally:
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.communicate(), 20)
    with sqlite3.connect(tmp_path / "proc.db") as conn:
        assert conn.execute("SELECT action, entry_id FROM audit_log").fetchall() == [
            ("add", "does-misaki-smile-at-the-end")]


async def test_kill_9_while_the_results_post_is_on_its_way_posts_it_once(
        fake: FakeDiscord, tmp_path: Path, pack: Path) -> None:
    """The process dies after Discord got the results post and before the bot recorded it:
    the restarted bot finds its post and does not post again."""
    proc = await spawn_synced(fake, tmp_path, pack)
    try:
        start = await fake.slash("poll", None, subcommand="ending")
        await start.wait_response(timeout=5)
        await fake.wait_until(lambda: start.original is not None, timeout=5, what="the poll")
        poll_id = int(re.match(r"Poll #(\d+) ", start.original["embeds"][0]["footer"]["text"])[1])
        await fake.settle()
        fake.slow_down("POST", r"^/channels/\d+/messages$", 1.0)  # the results post
        close = await fake.slash("poll", {"poll": poll_id}, subcommand="close")
        await close.wait_response(timeout=5)
        await fake.wait_until(lambda: fake.held == 1, timeout=10, what="the results post")
    finally:
        proc.kill()  # SIGKILL while Discord holds the post
        await asyncio.wait_for(proc.communicate(), 20)
    marker = f"Poll #{poll_id} · final results"

    def posts() -> list[dict]:
        return [m for m in fake.messages.values() if m.get("embeds")
                and m["embeds"][0].get("footer", {}).get("text", "").startswith(marker)]

    await fake.wait_until(lambda: len(posts()) == 1, timeout=5, what="the post to land")
    with sqlite3.connect(tmp_path / "proc.db") as conn:  # sent, never recorded
        assert conn.execute("SELECT results_nonce IS NOT NULL, results_message_id FROM "
                            "poll_posts WHERE poll_id = ?", [poll_id]).fetchone() == (1, None)

    again = await spawn(fake, tmp_path, pack)
    try:
        await fake.wait_ready(timeout=30, identifies=2)
        for _ in range(200):  # until the restarted bot has recorded the post it found
            with sqlite3.connect(tmp_path / "proc.db") as conn:
                row = conn.execute("SELECT results_message_id FROM poll_posts "
                                   "WHERE poll_id = ?", [poll_id]).fetchone()
            if row[0] is not None:
                break
            await asyncio.sleep(0.1)
        await fake.settle()
    finally:
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.communicate(), 20)
    [post] = posts()
    assert row[0] == int(post["id"])
    sent = [r for r in fake.find_requests("POST", r"^/channels/\d+/messages$")
            if marker in str(r.json.get("embeds"))]
    assert len(sent) == 1  # found again in the channel's history, not posted twice
    assert fake.messages[int(start.original["id"])]["components"] == []
