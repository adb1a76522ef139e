"""Editing an entry file in place: only the top-level fields that changed are rewritten.

``kb export`` writes a moderator's version of an entry over the file it came from. Dumping
the whole entry again would reorder keys, requote strings and rewrap lists, so a one-word
title edit became a 28-line diff. Instead the file's own text is kept, and each field
whose value changed is replaced by the canonical text of that field alone
(``yamlout.dump_yaml``); fields that are new go at the end, fields that are gone are cut.

Where a field starts and ends comes from the YAML compose step's node marks. A field's
text runs from its key to the last line of its value; blank lines and comment lines
(``#`` in the first column) after it belong to the gap before the next key and are kept.
The result is parsed again and must load to exactly the new entry, so a file laid out in
a way this cannot edit safely (flow mappings, anchors, comments inside a changed value)
falls back to the canonical writer: never a wrong file.
"""

from __future__ import annotations

import yaml

from bot.knowledge import Entry, parse_entry
from bot.yamlin import YamlDoc, parse_yaml_text
from bot.yamlout import dump_yaml, entry_yaml_data


def splice_entry(text: str, entry: Entry) -> str | None:
    """``text`` (an entry file) edited to say ``entry``, or None if it cannot be done
    safely (the caller then writes ``dump_entry(entry)``). Unchanged fields keep their
    bytes: an entry equal to the file's gives the file back as it is."""
    old = _parse(text, entry.film)
    if old is None:
        return None
    old_entry, root = old
    if old_entry == entry:
        return text
    spans = _field_spans(text, root)
    if spans is None:
        return None
    before, after = old_entry.as_dict(), entry.as_dict()
    marked = entry_yaml_data(entry)
    out, cursor = [], 0
    for key, (start, end) in spans.items():
        out.append(text[cursor:start])
        cursor = end
        if key not in after:
            continue  # the field is gone (an empty list the file no longer needs)
        out.append(text[start:end] if before.get(key) == after[key]
                   else dump_yaml({key: marked[key]}))
    out.append(text[cursor:])
    new_keys = [k for k in after if k not in spans]
    if new_keys:
        tail = "".join(out)
        out = [tail if tail.endswith("\n") or not tail else tail + "\n"]
        out.append(dump_yaml({k: marked[k] for k in new_keys}))
    result = "".join(out)
    checked = _parse(result, entry.film)
    return result if checked is not None and checked[0] == entry else None


def _parse(text: str, film: str) -> tuple[Entry, yaml.MappingNode] | None:
    doc = YamlDoc("entry")
    data, doc = parse_yaml_text(text, doc)
    root = doc.root
    if doc.problems or not isinstance(root, yaml.MappingNode):
        return None
    entry = parse_entry(doc, data, film)
    return (entry, root) if not doc.problems else None


def _field_spans(text: str, root: yaml.MappingNode) -> dict[str, tuple[int, int]] | None:
    """Top-level key → (start, end) of its text: from the key's line to the end of the
    value's last line, leaving out the blank and comment lines that follow it."""
    keys = []
    for key, _ in root.value:
        if not isinstance(key, yaml.ScalarNode) or key.start_mark.column != 0:
            return None  # a flow mapping, or keys not at the left margin
        keys.append((key.value, key.start_mark.index))
    if len({k for k, _ in keys}) != len(keys):
        return None
    spans = {}
    for n, (key, start) in enumerate(keys):
        stop = keys[n + 1][1] if n + 1 < len(keys) else _document_end(text, root)
        spans[key] = (start, _trim_gap(text, start, stop))
    return spans


def _document_end(text: str, root: yaml.MappingNode) -> int:
    """Where the mapping's text ends (the end of its last line)."""
    end = root.end_mark.index
    if end and text[end - 1] != "\n":
        line_end = text.find("\n", end)
        end = len(text) if line_end < 0 else line_end + 1
    return end


def _trim_gap(text: str, start: int, stop: int) -> int:
    """``stop`` moved back over whole lines that are blank or comments in column 0."""
    lines = text[start:stop].splitlines(keepends=True)
    end = stop
    for line in reversed(lines[1:]):  # never the key's own line
        if line.strip() and not line.startswith("#"):
            break
        end -= len(line)
    return end
