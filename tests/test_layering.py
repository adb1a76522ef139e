"""The domain core never imports discord; only bot/cogs may."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

CORE = sorted(
    f"bot.{p.stem}" for p in (REPO / "bot").glob("*.py") if p.stem not in ("__main__",)
) + sorted(f"bot.cli.{p.stem}" for p in (REPO / "bot" / "cli").glob("*.py"))


def test_core_modules_do_not_import_discord() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "print('discord' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_only_cogs_mention_discord_imports() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "bot").rglob("*.py")
        if "cogs" not in path.parts
        and any(line.lstrip().startswith(("import discord", "from discord"))
                for line in path.read_text(encoding="utf-8").splitlines())
    ]
    assert offenders == []


def test_yaml_is_only_loaded_safely() -> None:
    unsafe = ("yaml.load(", "yaml.Loader", "yaml.FullLoader", "yaml.UnsafeLoader", "unsafe_load")
    offenders = [
        str(path.relative_to(REPO))
        for path in [*(REPO / "bot").rglob("*.py")]
        if any(token in path.read_text(encoding="utf-8") for token in unsafe)
    ]
    assert offenders == []


def test_core_module_list_is_not_empty() -> None:
    assert "bot.search" in CORE and "bot.cli.kb" in CORE
    assert Path(REPO / "bot" / "cogs").is_dir()
