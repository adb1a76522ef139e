"""`kb check PATH`: the whole knowledge base, one film's folder, or one file.

Paths in the output are relative to the current folder (absolute when outside it), so a
curator can open each one from where they ran the command.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli

ENTRIES = Path("knowledge/drive-my-car/entries")


@pytest.fixture
def check(pack: Path, monkeypatch: pytest.MonkeyPatch):
    """`kb check` run from the folder that holds the pack copy (named knowledge/)."""
    monkeypatch.chdir(pack.parent)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["kb", "check", *args])

    return invoke


def _second_film(pack: Path) -> Path:
    """A second film folder, copied from the first, with its own ids."""
    other = pack / "other-film"
    shutil.copytree(pack / "drive-my-car", other)
    film = (other / "film.yaml").read_text(encoding="utf-8")
    (other / "film.yaml").write_text(film.replace("id: drive-my-car", "id: other-film"),
                                     encoding="utf-8")
    for path in (other / "entries").iterdir():
        path.unlink()
    (other / "entries" / "other-entry.yaml").write_text(
        "id: other-entry\ntitle: Other\nquestions: [other]\nanswer: Other.\n"
        "sources: [{scene: the start}]\ntags: [other]\nspoiler: false\n", encoding="utf-8")
    return other


def test_one_file_checks_only_that_entry(check, pack: Path) -> None:
    (pack / "drive-my-car" / "entries" / "no-kiss.yaml").write_text("id: no-kiss\nbogus: 1\n")
    good = check(str(ENTRIES / "ending-korea.yaml"))
    assert good.exit_code == 0, good.output
    assert good.output == f"ok: {ENTRIES / 'ending-korea.yaml'}\n"

    bad = check(str(ENTRIES / "no-kiss.yaml"))
    assert bad.exit_code == 1
    assert f"{ENTRIES / 'no-kiss.yaml'}:1: 'title' is missing" in bad.output.splitlines()
    assert all(line.startswith(f"{ENTRIES / 'no-kiss.yaml'}:")
               for line in bad.output.splitlines()[:-1])
    assert bad.output.splitlines()[-1].endswith("problems found")


def test_a_file_is_checked_in_its_films_context(check, pack: Path) -> None:
    """Related ids are looked up among the film's entries; a wrong one is that file's problem."""
    path = pack / "drive-my-car" / "entries" / "ending-korea.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("related: [why-a-driver]", "related: [no-kiss, no-such-entry]"),
                    encoding="utf-8")
    result = check(str(ENTRIES / "ending-korea.yaml"))
    assert result.exit_code == 1
    assert "related id 'no-such-entry' does not exist" in result.output
    assert "'no-kiss'" not in result.output
    dup = pack / "drive-my-car" / "entries" / "zz-copy.yaml"
    dup.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert "must equal the file name 'zz-copy'" in check(str(ENTRIES / "zz-copy.yaml")).output


def test_film_and_whole_knowledge_base(check, pack: Path) -> None:
    other = _second_film(pack)
    film = check("knowledge/drive-my-car")
    assert film.exit_code == 0, film.output
    assert film.output == "ok: knowledge/drive-my-car: 5 entries, 2 interpretations\n"
    assert check("knowledge/drive-my-car/entries/").output == film.output
    (other / "entries" / "other-entry.yaml").write_text("id: other-entry\n", encoding="utf-8")
    assert check("knowledge/drive-my-car").exit_code == 0  # the other film's problem is not its
    broken = check("knowledge/other-film")
    assert broken.exit_code == 1
    assert "knowledge/other-film/entries/other-entry.yaml:1: 'title' is missing" in broken.output
    whole = check("--knowledge", "knowledge")  # PATH defaults to the knowledge folder
    assert whole.exit_code == 1
    everything = check("knowledge")
    assert everything.exit_code == 1 and "other-film" in everything.output


def test_paths_are_relative_to_the_current_folder(pack: Path, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    (pack / "drive-my-car" / "entries" / "no-kiss.yaml").write_text("id: no-kiss\nbogus: 1\n")
    monkeypatch.chdir(pack / "drive-my-car")
    result = CliRunner().invoke(cli, ["kb", "check", str(pack)])
    assert result.exit_code == 1
    assert "entries/no-kiss.yaml:2: unknown key 'bogus'" in result.output.splitlines()[0]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # outside: absolute, never ../..
    result = CliRunner().invoke(cli, ["kb", "check", "../knowledge/drive-my-car"])
    assert result.output.startswith(
        f"{pack}/drive-my-car/entries/no-kiss.yaml:2: unknown key 'bogus'")


def test_the_app_reports_broken_files_relative_to_the_current_folder(
        pack: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (pack / "drive-my-car" / "entries" / "no-kiss.yaml").write_text("id: [\n")
    monkeypatch.chdir(pack.parent)
    result = CliRunner().invoke(cli, ["ask", "why", "--db", str(tmp_path / "a.db"),
                                      "--knowledge", str(pack)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: 1 problem in the knowledge base:\n"
                                    f"{ENTRIES / 'no-kiss.yaml'}:2: invalid YAML")


@pytest.mark.parametrize("name", ["notes.yaml", "entries/readme.txt", "film.yml.bak"])
def test_a_file_that_is_not_part_of_a_pack_is_a_clear_error(check, pack: Path,
                                                            name: str) -> None:
    path = pack / "drive-my-car" / name
    path.write_text("id: x\n", encoding="utf-8")
    result = check(str(path))
    assert result.exit_code == 1
    assert "is not a knowledge file: expected <knowledge>/<film>/entries/<id>.yaml" \
        in result.output
    assert "Traceback" not in result.output


def test_a_missing_path_is_one_problem(check) -> None:
    result = check("no-such-folder")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "no-such-folder:1: knowledge folder not found"


def test_a_missing_knowledge_folder_is_named_as_given(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["ask", "why", "--db", "a.db", "--knowledge", "sub/missing"])
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == "sub/missing:1: knowledge folder not found"
