"""Modal and console text turned into entry data: fields, sources, slugs, defaults."""

from __future__ import annotations

import re

import pytest

from bot.app import App
from bot.curation import (
    get_entry,
)
from bot.errors import InvalidInput
from bot.forms import FORM_LIMITS, entry_data_from_form, form_defaults, slugify
from bot.knowledge import entry_from_dict

# ---------------------------------------------------------------- modal parsing


def test_entry_data_from_form() -> None:
    data = entry_data_from_form(
        title="  Why is  Misaki in Korea?  ",
        questions_text="why korea\r\n\n- where is the epilogue\nwhy korea\n",
        answer="  Line one  \n\nline **two**  ",
        sources_text=("Golden Globes | https://goldenglobes.com/a\n"
                      "https://www.eiga.com/movie/1/\nScene: the epilogue\n"
                      "Interview: https://example.org/x"),
        tags_text="Ending, misaki  #korea",
        related_text="why-a-driver, no-kiss",
        aliases_text="Watari, Kōji Takatsuki",
    )
    assert data == {
        "id": "why-is-misaki-in-korea",
        "title": "Why is Misaki in Korea?",
        "questions": ["why korea", "where is the epilogue"],
        "answer": "Line one  \n\nline **two**",
        "sources": [
            {"title": "Golden Globes", "url": "https://goldenglobes.com/a"},
            {"title": "eiga.com", "url": "https://www.eiga.com/movie/1/"},
            {"scene": "the epilogue"},
            {"title": "Interview", "url": "https://example.org/x"},
        ],
        "tags": ["ending", "misaki", "korea"],
        "spoiler": False,
        "related": ["why-a-driver", "no-kiss"],
        "aliases": ["Watari", "Kōji Takatsuki"],
    }
    assert "spoiler" not in entry_data_from_form("t", "q", "a", "scene: s", "t", spoiler=None)
    assert entry_data_from_form("t", "q", "a", "scene: s", "t", id="given")["id"] == "given"


def test_bad_source_lines_are_named() -> None:
    with pytest.raises(InvalidInput) as info:
        entry_data_from_form("t", "q", "a", "scene: ok\njust some words\nA | not-a-link", "t")
    message = str(info.value)
    assert "sources line 2 ('just some words')" in message and "sources line 3" in message
    assert "Title | https://link" in message


def test_slugify() -> None:
    assert slugify("Why is Misaki in South Korea at the end?") == (
        "why-is-misaki-in-south-korea-at-the-end")
    assert slugify("Kōji's arrest!") == "koji-s-arrest"
    long = slugify("word " * 40)
    assert len(long) <= 64 and not long.endswith("-") and long.startswith("word-word")
    assert re.fullmatch(r"entry-[0-9a-f]{8}", slugify("ドライブ・マイ・カー"))


@pytest.mark.parametrize(("title", "limit", "expected"), [
    # the limit falls inside "misaki": the id ends with the last whole word, not "of"
    ("Why does Kafuku weep at the ruins of Misaki's old house in Hokkaido in the snow", 40,
     "why-does-kafuku-weep-at-the-ruins"),
    # the limit falls just after a whole word: it is kept
    ("Misaki drives the Saab through Korea and smiles", 27, "misaki-drives-the-saab"),
    ("aaaa bbbb", 9, "aaaa-bbbb"),  # short enough: untouched, little words and all
    ("What is the ending for", 64, "what-is-the-ending-for"),
    ("Supercalifragilisticexpialidocious story", 10, "supercalif"),  # one long word
])
def test_long_titles_are_cut_at_a_word_boundary(title: str, limit: int, expected: str) -> None:
    slug = slugify(title, limit)
    assert slug == expected and len(slug) <= limit
    whole = slugify(title, 200).split("-")
    assert slug.split("-") == whole[:len(slug.split("-"))] or len(slug.split("-")) == 1


def test_form_defaults_round_trip(app: App) -> None:
    entry = get_entry(app, "ending-korea")
    text = form_defaults(entry)
    data = entry_data_from_form(text["title"], text["questions"], text["answer"],
                                text["sources"], text["tags"], id=text["id"],
                                spoiler=entry.spoiler, related_text=text["related"],
                                aliases_text=text["aliases"])
    assert data == entry.as_dict()


def _problems(**fields: str) -> list[str]:
    base = {"title": "A title", "questions_text": "a question", "answer": "An answer.",
            "sources_text": "scene: The epilogue", "tags_text": "ending"}
    data = entry_data_from_form(**(base | fields))
    return entry_from_dict(data, "drive-my-car", "form")[1]


def test_the_form_limits_are_what_the_core_keeps() -> None:
    """A field filled to its form limit is accepted; the next thing it could hold is not."""
    questions = [f"{n:02d}" + "q" * 198 for n in range(13)]
    tags = [f"{n}" + "t" * 39 for n in range(10)]
    assert len("\n".join(questions[:12])) == FORM_LIMITS["questions"]
    assert len(", ".join(tags)) == FORM_LIMITS["tags"]
    assert _problems(title="T" * FORM_LIMITS["title"], answer="A" * FORM_LIMITS["answer"],
                     questions_text="\n".join(questions[:12]), tags_text=", ".join(tags)) == []
    for field, value in (("title", "T" * (FORM_LIMITS["title"] + 1)),
                         ("answer", "A" * (FORM_LIMITS["answer"] + 1)),
                         ("questions_text", "\n".join(questions)),
                         ("tags_text", ", ".join([*tags, "eleven"]))):
        assert _problems(**{field: value}), field
