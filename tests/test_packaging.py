"""The wheel: it ships the knowledge base and the eval sets, and works from any folder.

A normal install used to ship no YAML at all, so `ask`, `kb check` and `eval` failed
outside the checkout. The wheel is built offline (no build isolation: the `test` extra
installs setuptools) from a copy of the sources, unpacked the way pip installs it, and run
from an empty folder. `.ci/run` also installs it into a fresh virtualenv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from bot import __version__
from bot.bundled import default_eval_set, eval_sets_path, knowledge_path
from tests.conftest import REPO

SOURCES = ("bot", "knowledge", "pyproject.toml", "README.md")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a clean copy of the sources (no build/ or egg-info in the repo)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, src / name)
    out = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(out), str(src)],
                   check=True, capture_output=True, text=True, timeout=300)
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip lays it out in site-packages."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_module_pack_file_and_eval_set(wheel: Path) -> None:
    names = _names(wheel)
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "bot").rglob("*.py")}
    assert modules - names == set(), "pyproject's packages list leaves out a subpackage"
    pack = {"bot/packs/" + p.relative_to(REPO / "knowledge").as_posix()
            for p in (REPO / "knowledge").rglob("*") if p.suffix in (".yaml", ".yml", ".md")}
    assert len(pack) > 45 and pack - names == set()  # the real pack, not an empty glob
    sets = {p.relative_to(REPO).as_posix() for p in (REPO / "bot" / "evalsets").glob("*.yaml")}
    assert sets and sets - names == set()
    assert not any(n.startswith(("knowledge/", "tests/")) for n in names)
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt")))
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert b"dmc-bot = bot.cli:cli" in entry_points
    assert f"\nVersion: {__version__}\n" in metadata  # one version, written in bot/__init__.py
    assert "\nRequires-Dist: python-dotenv" in metadata


def test_every_subpackage_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(p.relative_to(REPO).parts) for p in (REPO / "bot").rglob("*")
             if p.is_dir() and p.name != "__pycache__" and any(p.glob("*.py"))}
    assert found - listed == set()


def test_the_checkout_finds_the_same_files() -> None:
    """An editable install has no bot/packs: the knowledge base is the checkout's folder."""
    assert knowledge_path() == REPO / "knowledge"
    assert eval_sets_path() == REPO / "bot" / "evalsets"
    assert default_eval_set().is_file()


def _run(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(installed), "XDG_DATA_HOME": str(cwd / "data")}
    for name in ("BOT_DB", "BOT_KNOWLEDGE", "DISCORD_TOKEN"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_installed_wheel_works_from_an_empty_folder(installed: Path,
                                                        tmp_path: Path) -> None:
    where = _run(installed, tmp_path, "config")
    assert where.returncode == 0, where.stderr
    assert f"--knowledge, BOT_KNOWLEDGE: {installed / 'bot' / 'packs'} (default)" \
        in where.stdout  # the unpacked wheel, not the checkout

    asked = _run(installed, tmp_path, "ask", "--json", "why is misaki in korea at the end?")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["answered"] is True

    checked = _run(installed, tmp_path, "kb", "check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"ok: {installed / 'bot' / 'packs'}: 1 film, ")

    evaluated = _run(installed, tmp_path, "eval", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["questions"] >= 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing left in the cwd
