"""Writing knowledge entries as YAML files: byte-stable, readable, and exact on reload.

``dump_entry`` is the only way entries become YAML, so an exported file always looks
like a hand-written one (same key order as ``Entry.as_dict()``, ``answer: |`` literal
blocks, short lists in flow style) and loads back to the very same entry:

* a ``yaml.SafeDumper`` subclass, ``sort_keys=False``, ``allow_unicode=True`` and a
  fixed, wide line width, so nothing is folded and the same entry gives the same bytes;
* multi-line text is a literal block (``|``): markdown, trailing double spaces and
  blank lines are kept exactly as written, never reflowed;
* text PyYAML would otherwise emit in a lossy way (``\\x85``, ``\\u2028``, ``\\u2029``,
  which YAML 1.1 turns into plain line breaks) is forced into double quotes with escapes;
* ``@everyone`` and other text starting with an indicator is quoted, so it stays text.

``stage_file`` writes a file's new text next to it, flushed to disk, and ``os.replace``
then puts it in place, so a reader never sees half a file (``bot.exportfiles`` stages
every file before renaming any). New files get the usual permissions (0666 less the
umask, as an editor would make them); a replaced file keeps its mode.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import Entry

WIDTH = 4096  # wider than any single-line value allows, so nothing is ever folded
_LOSSY_BREAKS = "\x85\u2028\u2029"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamp: the same files give the same zip bytes


class _Block(str):
    """Text to emit as a literal block (``answer: |``)."""


class _Flow(list):  # type: ignore[type-arg]
    """A short list to emit in flow style (``tags: [a, b]``)."""


def _printable(ch: str) -> bool:
    """Characters a literal block can hold verbatim (PyYAML's printable set, plus tab)."""
    return (
        ch in "\n\t"
        or "\x20" <= ch <= "\x7e"
        or "\xa0" <= ch <= "\ud7ff"
        or "\ue000" <= ch <= "\ufffd"
        or "\U00010000" <= ch < "\U0010ffff"
    ) and ch != "\ufeff"


class EntryDumper(yaml.SafeDumper):
    """SafeDumper with indented block sequences and exact literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # "questions:\n  - a" as curators write it, not PyYAML's "questions:\n- a"
        return super().increase_indent(flow, False)

    def analyze_scalar(self, scalar: str) -> Any:
        analysis = super().analyze_scalar(scalar)
        if any(ch in _LOSSY_BREAKS for ch in scalar):
            # YAML 1.1 loads these as "\n" anywhere but in double quotes
            analysis.allow_flow_plain = analysis.allow_block_plain = False
            analysis.allow_single_quoted = analysis.allow_block = False
        elif (analysis.multiline and not scalar.endswith((" ", "\t"))
              and all(_printable(ch) for ch in scalar)):
            # PyYAML refuses literal blocks for lines ending in spaces (markdown's hard
            # line break) or holding tabs; YAML keeps both verbatim in a literal block.
            analysis.allow_block = True
        return analysis


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=style)


def _represent_block(dumper: yaml.SafeDumper, value: _Block) -> yaml.ScalarNode:
    # One trailing newline gives "|" (clip) rather than "|-", as in hand-written files;
    # the loader strips it again.
    text = str(value) if value.endswith("\n") else str(value) + "\n"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=True)


EntryDumper.add_representer(str, _represent_str)
EntryDumper.add_representer(_Block, _represent_block)
EntryDumper.add_representer(_Flow, _represent_flow)


def dump_yaml(data: Any) -> str:
    """Any plain data as YAML text with the rules above (key order kept)."""
    return yaml.dump(
        data,
        Dumper=EntryDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=WIDTH,
        indent=2,
    )


def entry_yaml_data(entry: Entry) -> dict[str, Any]:
    """``Entry.as_dict()`` marked up for the dumper (answer as a block, short lists flow)."""
    data = entry.as_dict()
    data["answer"] = _Block(data["answer"])
    for key in ("tags", "related", "aliases"):
        if key in data:
            data[key] = _Flow(data[key])
    return data


def dump_entry(entry: Entry) -> str:
    """The entry as the text of ``<film>/entries/<id>.yaml``."""
    return dump_yaml(entry_yaml_data(entry))


def stage_file(path: Path, text: str) -> Path:
    """Write ``text`` to a new hidden temporary file next to ``path`` (flushed to disk) and
    return it; ``os.replace(tmp, path)`` then puts it in place. OSError on failure, with
    nothing left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None  # a new file: 0666 less the umask, applied by the kernel
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def sync_folder(folder: Path) -> None:
    """Make renames in ``folder`` durable (best effort: not every system can)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def zip_files(files: Mapping[str, str]) -> bytes:
    """A zip of path → text, byte-stable (sorted names, fixed timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name].encode("utf-8"))
    return buffer.getvalue()
