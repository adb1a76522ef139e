"""YAML writing: every entry written loads back exactly and writes the same bytes again."""

from __future__ import annotations

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.knowledge import Entry, Source
from bot.yamlout import dump_entry
from tests.curation_support import (
    load_entry_text,
)

# ---------------------------------------------------------------- YAML writing


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
_markdownish = st.lists(st.sampled_from(
    ["**b**", "  ", "\n", "\n\n", "- i", "  - j", "\t", "@everyone", "> q", "`c`", "a", " ",
     "|", "#", ": ", "'", '"', "\\", "é", "\u2028", "\x85", "\r\n", "---", "..."]),
    min_size=1, max_size=25).map("".join)
_clean = st.one_of(_text, _markdownish).map(str.strip).filter(bool)


@hsettings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
# aliases are limited to 80 characters; the markdown-ish strategy can reach 125
@given(title=_clean, answer=_clean, question=_clean, alias=_clean.filter(lambda a: len(a) <= 80))
def test_dumped_entries_load_back_exactly(title: str, answer: str, question: str,
                                          alias: str) -> None:
    entry = Entry(id="x", film="drive-my-car", title=title, questions=(question, title),
                  answer=answer, sources=(Source(title=title, url="https://a.b/c"),
                                          Source(scene=question)),
                  tags=("a", "b-c"), spoiler=True, related=("y",), aliases=(alias,))
    text = dump_entry(entry)
    assert load_entry_text(text) == entry
    assert dump_entry(load_entry_text(text)) == text
