"""`run` while Discord cannot be reached: it retries with backoff, one log line per attempt,
connects once Discord is back, and stops cleanly on SIGTERM meanwhile. Never a traceback.

Discord is the fake on 127.0.0.1: first a port where nothing listens, then the fake started
on that very port.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

from tests.fakediscord import FakeDiscord

RETRY = re.compile(r"cannot reach Discord .*attempt (\d+); retrying in (\d+) s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _spawn(port: int, tmp_path: Path, pack: Path, *args: str
                 ) -> asyncio.subprocess.Process:
    env = {**os.environ, "DISCORD_TOKEN": "fake-token",
           "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
           "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
           "BOT_DB": str(tmp_path / "proc.db"), "BOT_KNOWLEDGE": str(pack),
           "BOT_LOG_LEVEL": "INFO"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _lines_until(stream: asyncio.StreamReader, pattern: re.Pattern[str], count: int,
                       seen: list[str], timeout: float = 30) -> None:
    async def read() -> None:
        found = 0
        while found < count:
            line = (await stream.readline()).decode()
            assert line, "the bot exited:\n" + "".join(seen)
            seen.append(line)
            found += bool(pattern.search(line))

    await asyncio.wait_for(read(), timeout)


async def test_retries_until_discord_is_back(tmp_path: Path, pack: Path) -> None:
    port = _free_port()
    proc = await _spawn(port, tmp_path, pack)
    seen: list[str] = []
    fake = FakeDiscord()
    try:
        assert proc.stderr is not None
        await _lines_until(proc.stderr, RETRY, 2, seen)
        await fake.start(port=port)  # Discord is back
        await fake.wait_ready(timeout=30)
        handle = await fake.slash("ask", {"question": "why does he need a driver"})
        response = await handle.wait_response(timeout=5)
        assert response["data"]["embeds"][0]["title"] == "Why does Kafuku need a driver?"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(proc.communicate(), 20)
        await fake.stop()
    text = "".join(seen) + rest.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text and "fake-token" not in text
    attempts = [m for m in map(RETRY.search, text.splitlines()) if m]
    assert [int(m[1]) for m in attempts[:2]] == [1, 2]  # one line per attempt
    assert int(attempts[1][2]) > int(attempts[0][2])  # backing off


async def test_sigterm_while_retrying_exits_cleanly(tmp_path: Path, pack: Path) -> None:
    proc = await _spawn(_free_port(), tmp_path, pack)
    seen: list[str] = []
    assert proc.stderr is not None
    await _lines_until(proc.stderr, RETRY, 1, seen)
    proc.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(proc.communicate(), 10)  # not after the whole backoff
    text = "".join(seen) + rest.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text and "shutting down" in text


async def test_run_with_an_unusable_db_is_one_line(tmp_path: Path, pack: Path) -> None:
    (tmp_path / "afile").write_text("x")
    env = {**os.environ, "DISCORD_TOKEN": "fake-token", "BOT_KNOWLEDGE": str(pack),
           "DISCORD_API_BASE": f"http://127.0.0.1:{_free_port()}/api/v10"}
    for db in (tmp_path / "afile" / "bot.db", Path("/proc/self/bot.db")):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--db", str(db), cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
        text = stderr.decode()
        assert proc.returncode == 1, text
        assert "Traceback" not in text
        assert [line for line in text.splitlines() if line.strip()] == [
            next(line for line in text.splitlines() if line.startswith("error: "))]
