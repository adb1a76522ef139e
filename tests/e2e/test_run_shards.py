"""`run --shards N` runs N shards (it used to be ignored unless it was `auto`)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.e2e.test_run_process import spawn
from tests.fakediscord import FakeDiscord


async def test_a_number_of_shards_identifies_that_many(fake: FakeDiscord, tmp_path: Path,
                                                       pack: Path) -> None:
    proc = await spawn(fake, tmp_path, pack, "--shards", "2")
    try:
        await fake.wait_ready(timeout=40, identifies=2)
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr.decode()
    shards = sorted(m["d"]["shard"] for m in fake.gateway_received if m.get("op") == 2)
    assert shards == [[0, 2], [1, 2]]
