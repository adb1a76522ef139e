"""Text from people, made safe to store and print: the one cleaning step at every entry point.

A Python string can hold what no UTF-8 file, terminal or SQLite column can: lone UTF-16
surrogates. They come from Discord's JSON (``"\\ud800"`` decodes to one), from argv and
stdin bytes that are not valid UTF-8 (Python decodes each bad byte to ``\\udc80``-``\\udcff``),
and from files read with ``surrogateescape``. Such a string travels fine until something
encodes it, then raises ``UnicodeEncodeError`` far from where it came in: in SQLite, in
``print``, in a log line. So every core function that takes text from a person calls
``clean`` first, and nothing downstream has to think about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REPLACEMENT = "\ufffd"


def clean(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (a surrogate pair becomes its
    character); any other text comes back unchanged (the same object)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # UTF-16 with surrogatepass keeps pairs and lone halves as code units; decoding
        # joins the pairs and turns every lone half into U+FFFD.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    except AttributeError:  # not text at all: the caller's validation reports it
        return text
    return text


def clean_data(value: Any) -> Any:
    """``clean`` applied to every string in plain data (entry data: dicts, lists, text)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_data(v) for v in value)
    return value
