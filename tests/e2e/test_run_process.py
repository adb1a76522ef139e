"""`python -m bot run` as a real process, pointed at the fake by DISCORD_API_BASE/GATEWAY_URL."""

from __future__ import annotations

import asyncio
import os
import signal
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


async def test_run_answers_and_shuts_down_cleanly(fake: FakeDiscord, tmp_path: Path,
                                                  pack: Path) -> None:
    proc = await spawn(fake, tmp_path, pack, "--sync")
    try:
        await fake.wait_ready(timeout=30)
        await fake.wait_until(lambda: bool(fake.commands), timeout=30, what="command sync")
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


