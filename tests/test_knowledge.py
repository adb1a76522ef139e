"""The loader reports every problem as path:line: message, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.knowledge import load_knowledge
from tests.conftest import REPO

GOOD_ENTRY = """\
id: {id}
title: A title
questions:
  - a question
answer: An answer.
sources:
  - title: A page
    url: https://example.org/page
tags: [misc]
spoiler: false
"""


def problems(pack: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(pack)
    return info.value.problems


def write_entry(pack: Path, name: str, text: str) -> Path:
    path = pack / "drive-my-car" / "entries" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_small_pack_loads(pack: Path) -> None:
    kb = load_knowledge(pack)
    assert set(kb.entries) == {"ending-korea", "why-a-driver", "takatsuki-arrest", "no-kiss",
                               "community-view"}
    assert kb.films["drive-my-car"].synonyms[0] == ("kafuku", "yusuke")
    assert [i.id for i in kb.interpretations["drive-my-car"]] == ["new-life", "gave-car"]
    assert kb.summary() == "1 film, 5 entries, 2 interpretations"


def test_shipped_knowledge_is_valid() -> None:
    kb = load_knowledge(REPO / "knowledge")
    assert kb.entries and kb.films


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD_ENTRY.format(id="x") + "colour: red\n", "x.yaml:11: unknown key 'colour'"),
        (GOOD_ENTRY.format(id="x").replace("title: A title\n", ""), "x.yaml:1: 'title' is missing"),
        (GOOD_ENTRY.format(id="x").replace("A title", '""'), "x.yaml:2: 'title' is empty"),
        (GOOD_ENTRY.format(id="x").replace("An answer.", "a" * 1501),
         "x.yaml:5: 'answer' is 1501 characters; the limit is 1500"),
        (GOOD_ENTRY.format(id="x").replace("https://example.org/page", "ftp://example.org/x"),
         "x.yaml:8: source url must start with http:// or https://"),
        (GOOD_ENTRY.format(id="x").replace("https://example.org/page", "javascript:alert(1)"),
         "x.yaml:8: source url must start with http:// or https://"),
        (GOOD_ENTRY.format(id="x") + "related: [nowhere]\n",
         "x.yaml:11: related id 'nowhere' does not exist"),
        (GOOD_ENTRY.format(id="y"), "x.yaml:1: entry id 'y' must equal the file name 'x'"),
        (GOOD_ENTRY.format(id="x").replace("spoiler: false", "spoiler: maybe"),
         "x.yaml:10: 'spoiler' must be true or false"),
        (GOOD_ENTRY.format(id="x").replace("tags: [misc]", "tags: [Not A Slug]"),
         "x.yaml:9: 'tags' item 'Not A Slug' must be a lowercase slug"),
        (GOOD_ENTRY.format(id="x").replace("questions:\n  - a question\n", "questions: []\n"),
         "x.yaml:3: 'questions' is empty"),
        ("id: x\ntitle: [unclosed\n", "x.yaml:3: invalid YAML"),
        ("a: &a [1, 2]\nb: *a\n", "x.yaml:2: YAML anchors and aliases are not allowed"),
        ("", "x.yaml:1: file is empty"),
        ("- just\n- a list\n", "x.yaml:1: expected a mapping"),
        (GOOD_ENTRY.format(id="x") + "title: again\n", "x.yaml:11: duplicate key 'title'"),
    ],
)
def test_each_rule_names_file_and_line(pack: Path, text: str, expected: str) -> None:
    write_entry(pack, "x", text)
    found = problems(pack)
    assert any(expected in p for p in found), found
    assert all(p.startswith("knowledge/drive-my-car/") for p in found), found


def test_duplicate_ids_across_files(pack: Path) -> None:
    write_entry(pack, "dup", GOOD_ENTRY.format(id="dup"))
    other = pack / "drive-my-car" / "entries" / "dup.yml"
    other.write_text(GOOD_ENTRY.format(id="dup"), encoding="utf-8")
    assert any("duplicate entry id 'dup'" in p for p in problems(pack))


def test_all_problems_reported_at_once(pack: Path) -> None:
    write_entry(pack, "a", GOOD_ENTRY.format(id="a") + "colour: red\n")
    write_entry(pack, "b", GOOD_ENTRY.format(id="b").replace("An answer.", ""))
    (pack / "drive-my-car" / "interpretations.yaml").write_text(
        "- id: one\n  label: " + "L" * 81 + "\n  summary: s\n  sources: [{scene: end}]\n"
        "- id: one\n  label: ok\n  summary: s\n  sources: [{scene: end}]\n",
        encoding="utf-8",
    )
    found = problems(pack)
    assert any(p.startswith("knowledge/drive-my-car/entries/a.yaml:11: unknown key") for p in found)
    assert any(p.startswith("knowledge/drive-my-car/entries/b.yaml:5: 'answer' is empty")
               for p in found)
    assert any("interpretations.yaml:2: 'label' is 81 characters; the limit is 80" in p
               for p in found)
    assert any("interpretations.yaml:5: duplicate interpretation id 'one'" in p for p in found)


def test_non_utf8_and_oversized_files(pack: Path) -> None:
    (pack / "drive-my-car" / "entries" / "bin.yaml").write_bytes(b"id: x\ntitle: \xff\xfe\n")
    (pack / "drive-my-car" / "entries" / "big.yaml").write_text("a" * 300_000, encoding="utf-8")
    found = problems(pack)
    assert any("bin.yaml:2: not valid UTF-8" in p for p in found)
    assert any("big.yaml:1: file is 300000 bytes" in p for p in found)


def test_billion_laughs_is_refused_quickly(pack: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    write_entry(pack, "bomb", "\n".join(lines) + "\n")
    assert any("bomb.yaml:2: YAML anchors and aliases are not allowed" in p for p in problems(pack))


def test_python_tags_are_not_executed(pack: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    write_entry(pack, "evil", f"id: !!python/object/apply:os.system ['touch {marker}']\n")
    found = problems(pack)
    assert not marker.exists()
    assert any("evil.yaml:1:" in p for p in found), found


def test_film_yaml_rules(pack: Path) -> None:
    (pack / "drive-my-car" / "film.yaml").write_text(
        "id: other\ntitle: Drive My Car\nyear: soon\ndirector: RH\nspoilers: maybe\n"
        "synonyms:\n  - [one]\n  - [two words, x]\n",
        encoding="utf-8",
    )
    found = problems(pack)
    for expected in ("film.yaml:1: film id 'other' must equal its folder name",
                     "film.yaml:3: 'year' must be a year", "film.yaml:5: 'spoilers' must be",
                     "film.yaml:7: each synonym group must list at least two words",
                     "film.yaml:8: synonyms must be single words"):
        assert any(expected in p for p in found), (expected, found)
