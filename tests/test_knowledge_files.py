"""Knowledge files that are not plain files: refused with one ``path:line: message`` each.

Symlinks to devices, FIFOs, folders named ``x.yaml``, broken links, links leading out of
the knowledge folder, files over the size limit (refused before they are read) and names
that look meant to be entries (``x.YAML``, ``x.yml.txt``) never hang, never raise, and are
reported by ``kb check``. When the files break after a good load, the app keeps serving
the last good index and says so.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import open_app
from bot.cli import cli
from bot.config import Settings
from bot.errors import KnowledgeError
from bot.exchange import reload_knowledge
from bot.knowledge import load_knowledge
from bot.moderators import Actor
from bot.packfiles import content_hash
from bot.yamlin import MAX_FILE_BYTES
from tests.conftest import REPO

MOD = Actor(user_id=42, guild_id=111, is_moderator=True)
PROBLEM = re.compile(r"^\S+:\d+: .+$")
ENTRY = "ending-korea.yaml"


def entries(pack: Path) -> Path:
    return pack / "drive-my-car" / "entries"


def _dev_zero(pack: Path, tmp_path: Path) -> str:
    (entries(pack) / "zero.yaml").symlink_to("/dev/zero")
    return "zero.yaml:1: symbolic link leads out of the knowledge folder (to /dev/zero)"


def _fifo(pack: Path, tmp_path: Path) -> str:
    os.mkfifo(entries(pack) / "pipe.yaml")
    return "pipe.yaml:1: not a regular file (a FIFO)"


def _folder(pack: Path, tmp_path: Path) -> str:
    (entries(pack) / "folder.yaml").mkdir()
    return "folder.yaml:1: not a regular file (a folder)"


def _broken_link(pack: Path, tmp_path: Path) -> str:
    (entries(pack) / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    return "gone.yaml:1: broken symbolic link"


def _link_out(pack: Path, tmp_path: Path) -> str:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_bytes((entries(pack) / ENTRY).read_bytes().replace(b"ending-korea",
                                                                      b"elsewhere"))
    (entries(pack) / "elsewhere.yaml").symlink_to(outside)
    return "elsewhere.yaml:1: symbolic link leads out of the knowledge folder"


def _huge(pack: Path, tmp_path: Path) -> str:
    with (entries(pack) / "huge.yaml").open("wb") as handle:
        handle.truncate(50 * 1024**3)  # sparse: 50 GB that a reader would try to hold
    return f"huge.yaml:1: file is {50 * 1024**3} bytes; the limit is {MAX_FILE_BYTES}"


def _upper(pack: Path, tmp_path: Path) -> str:
    (entries(pack) / "shouty.YAML").write_text("id: shouty\n")
    return "shouty.YAML:1: not loaded: rename it to shouty.yaml"


def _txt(pack: Path, tmp_path: Path) -> str:
    (entries(pack) / "notes.yaml.txt").write_text("id: notes\n")
    return "notes.yaml.txt:1: not loaded: rename it to notes.yaml"


def _typo(pack: Path, tmp_path: Path) -> str:
    (entries(pack) / "typo.ymal").write_text("id: typo\n")
    return "typo.ymal:1: not loaded: rename it to typo.yaml"


def _film_out(pack: Path, tmp_path: Path) -> str:
    outside = tmp_path / "other-film"
    (pack / "drive-my-car").rename(outside)
    (pack / "drive-my-car").symlink_to(outside)
    return "drive-my-car:1: symbolic link leads out of the knowledge folder"


def _film_yaml_folder(pack: Path, tmp_path: Path) -> str:
    film = pack / "drive-my-car" / "film.yaml"
    film.unlink()
    film.mkdir()
    return "film.yaml:1: not a regular file (a folder)"


BREAKERS: dict[str, Callable[[Path, Path], str]] = {
    f.__name__.lstrip("_"): f for f in (_dev_zero, _fifo, _folder, _broken_link, _link_out,
                                        _huge, _upper, _txt, _typo, _film_out,
                                        _film_yaml_folder)}


@pytest.mark.parametrize("name", list(BREAKERS))
def test_each_bad_file_is_one_problem_line(pack: Path, tmp_path: Path, name: str) -> None:
    expected = BREAKERS[name](pack, tmp_path)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(pack)
    found = info.value.problems
    assert all(PROBLEM.match(p) for p in found), found
    assert any(p.endswith(expected) or expected in p for p in found), found
    content_hash(pack)  # never raises, never hangs


@pytest.mark.parametrize("name", list(BREAKERS))
def test_kb_check_and_ask_in_a_subprocess(pack: Path, tmp_path: Path, name: str) -> None:
    """No hang (timeout), no traceback, kb check exit 1; ask on a fresh database refuses
    with the problems, since there is no good index to fall back on."""
    BREAKERS[name](pack, tmp_path)
    env = {**os.environ, "BOT_DB": str(tmp_path / "fresh.db"), "BOT_KNOWLEDGE": str(pack)}
    for args in (["kb", "check", str(pack)], ["ask", "why a driver"]):
        done = subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True,
                              text=True, cwd=REPO, env=env, timeout=60)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr


def test_links_inside_the_folder_are_fine(pack: Path) -> None:
    shared = pack / ".shared"
    shared.mkdir()
    (entries(pack) / ENTRY).rename(shared / ENTRY)
    (entries(pack) / ENTRY).symlink_to(Path("../../.shared") / ENTRY)
    assert "ending-korea" in load_knowledge(pack).entries


def test_a_knowledge_folder_that_is_itself_a_link(pack: Path, tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(pack)
    assert len(load_knowledge(tmp_path / "link").entries) == 5


def test_other_files_are_ignored_quietly(pack: Path) -> None:
    for name in ("README.md", ".x.yaml.swp", "ending-korea.yaml~", "old.yaml.bak", ".DS_Store"):
        (entries(pack) / name).write_text("whatever")
    assert len(load_knowledge(pack).entries) == 5


def test_content_hash_reads_at_most_the_limit(pack: Path) -> None:
    before = content_hash(pack)
    with (entries(pack) / "huge.yaml").open("wb") as handle:
        handle.truncate(50 * 1024**3)
    assert content_hash(pack) != before


def test_content_hash_sees_fixes(pack: Path, tmp_path: Path) -> None:
    _broken_link(pack, tmp_path)
    broken = content_hash(pack)
    (entries(pack) / "gone.yaml").unlink()
    assert content_hash(pack) != broken


# ---------------------------------------------------------------- the last good index


@pytest.mark.parametrize("name", ["dev_zero", "fifo", "broken_link", "huge", "upper"])
def test_app_keeps_serving_the_last_good_index(settings: Settings, pack: Path,
                                               tmp_path: Path, name: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    open_app(settings).close()
    BREAKERS[name](pack, tmp_path)
    (entries(pack) / ENTRY).write_text("id: [broken\n")
    with caplog.at_level(logging.WARNING):
        app = open_app(settings)
    try:
        assert app.index.get("ending-korea") is not None  # the old index
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "last good index" in warnings[0], warnings
        with pytest.raises(KnowledgeError):
            reload_knowledge(app, MOD)
        assert app.index.get("ending-korea") is not None
    finally:
        app.close()


def test_cli_warns_once_and_answers_from_the_last_good_index(settings: Settings,
                                                             pack: Path) -> None:
    base = ["--db", str(settings.db_path), "--knowledge", str(pack)]
    assert CliRunner().invoke(cli, ["ask", "why a driver", *base]).exit_code == 0
    (entries(pack) / ENTRY).write_text("id: [broken\n")
    env = {**os.environ, "BOT_DB": str(settings.db_path), "BOT_KNOWLEDGE": str(pack)}
    done = subprocess.run([sys.executable, "-m", "bot", "ask", "why is misaki in korea"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Why is Misaki" in done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "kb check" in warnings[0], done.stderr
    checked = subprocess.run([sys.executable, "-m", "bot", "kb", "check"], capture_output=True,
                             text=True, cwd=REPO, env=env, timeout=60)
    assert checked.returncode == 1 and "ending-korea.yaml" in checked.stderr


def test_a_different_broken_folder_is_not_served_from_another_index(settings: Settings,
                                                                    pack: Path,
                                                                    tmp_path: Path) -> None:
    open_app(settings).close()
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(KnowledgeError):
        open_app(Settings(db_path=settings.db_path, knowledge_path=other))


def test_import_refuses_the_same_files(app, tmp_path: Path) -> None:
    """kb import reads other people's folders: the same refusals, never a hang."""
    from bot.curation import Problems
    from bot.exchange import import_entries

    folder = tmp_path / "in" / "drive-my-car" / "entries"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "pipe.yaml")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    (folder / "shouty.YAML").write_text("id: shouty\n")
    with pytest.raises(Problems) as info:
        import_entries(app, MOD, tmp_path / "in")
    found = "\n".join(info.value.problems)
    assert "pipe.yaml:1: not a regular file (a FIFO)" in found
    assert "zero.yaml:1: symbolic link leads out of the knowledge folder" in found
    assert "shouty.YAML:1: not loaded: rename it to shouty.yaml" in found


def test_odd_file_names_stay_one_line(pack: Path, tmp_path: Path) -> None:
    """Linux allows a newline, or bytes that are not UTF-8, in a file name."""
    folder = entries(pack)
    (folder / "two\nlines.yaml").write_text("id: [broken\n")
    os.symlink(b"/nowhere/\xff\n", os.path.join(os.fsencode(folder), b"bad\xff.yaml"))
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(pack)
    found = info.value.problems
    assert all(PROBLEM.match(p) and "\n" not in p for p in found), found
    assert any("two\\nlines.yaml:" in p for p in found)
    assert any("bad\\xff.yaml:1: broken symbolic link (to /nowhere/\\xff\\n)" in p
               for p in found), found
    assert "\n".join(found).encode("utf-8")  # printable anywhere, no surrogates
    content_hash(pack)
