"""Reading YAML safely, with the line of every key for error messages.

Files are composed into a node tree with YAML's safe loader (libyaml when available) and
turned into plain data here. Anchors and aliases are refused (no "billion laughs"), files
must be regular, UTF-8 and small (checked before reading: a link to /dev/zero or a FIFO
never hangs a load), and every problem is a ``path:line: message`` string rather than an
exception. ``yamlout.py`` is the writing side.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is much faster; both are safe loaders
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 256 * 1024


class YamlDoc:
    """Problems found in one document, located by key path (and line, for files).

    Lines are looked up in the composed node tree only when a problem is reported, so
    loading a valid pack does no line bookkeeping at all.
    """

    def __init__(self, path: str, root: yaml.Node | None = None):
        self.path = path
        self.root = root
        self.problems: list[str] = []
        self.located: list[tuple[tuple[Any, ...], str]] = []  # (key path, message)

    def line(self, *keys: Any) -> int:
        """Line (1-based) of the deepest part of ``keys`` present in the document."""
        node = self.root
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                pairs = [(k, v) for k, v in node.value
                         if isinstance(k, yaml.ScalarNode) and k.value == str(key)]
                if not pairs:
                    break
                key_node, node = pairs[-1]  # the last one wins, as in the built mapping
                line = key_node.start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                    and 0 <= key < len(node.value):
                node = node.value[key]
                # an alias points back at an earlier anchor: keep the line where it is used
                line = max(line, node.start_mark.line + 1)
            else:
                break
        return line

    def error(self, keys: tuple[Any, ...], message: str) -> None:
        self.problems.append(f"{self.path}:{self.line(*keys)}: {message}")
        self.located.append((keys, message))


def _build(doc: YamlDoc, node: yaml.Node, key: tuple[Any, ...], seen: set[yaml.Node]) -> Any:
    """Turn a composed node into plain Python data; refuse aliases.

    An alias is the same node object met twice. Scalars come first: most nodes are scalars.
    """
    if node in seen:  # nodes hash by identity
        raise _AliasFound(key)
    seen.add(node)
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:  # what construct_yaml_str returns for a scalar node
            return node.value
        construct = _SCALAR_CONSTRUCTORS.get(node.tag)
        if construct is not None:  # the function construct_object would pick, minus its cache
            return construct(_CONSTRUCTOR, node)
        return _CONSTRUCTOR.construct_object(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for k_node, v_node in node.value:
            k = _build(doc, k_node, (*key, "<key>"), seen)
            if not isinstance(k, str | int | bool | float) and k is not None:
                doc.error(key, "mapping keys must be plain text")
                continue
            if k in out:
                doc.problems.append(f"{doc.path}:{k_node.start_mark.line + 1}: duplicate key '{k}'")
            out[k] = _build(doc, v_node, (*key, k), seen)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(doc, item, (*key, i), seen) for i, item in enumerate(node.value)]
    return _CONSTRUCTOR.construct_object(node)


class _AliasFound(Exception):
    def __init__(self, key: tuple[Any, ...]):
        self.key = key


_CONSTRUCTOR = yaml.constructor.SafeConstructor()
# Plain scalar tags, constructed directly: construct_object() would also remember every node
# in the shared constructor forever (a leak across files) and costs a third of the load time.
_STR = "tag:yaml.org,2002:str"
_SCALAR_CONSTRUCTORS = {
    tag: yaml.constructor.SafeConstructor.yaml_constructors[tag]
    for tag in (f"tag:yaml.org,2002:{name}"
                for name in ("str", "int", "float", "bool", "null", "timestamp"))
}


class Refused(Exception):
    """A file that is not read; ``str()`` says why, for a ``path:line: message`` line."""


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR,
          "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((name for test, name in _KINDS if test(mode)), "not a plain file")


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or Refused.

    Opened without blocking (a FIFO cannot hang us), checked with fstat before reading
    (a device or a 50 GB file is never read), and read no further than ``limit + 1``
    bytes (a file that grows meanwhile is still refused).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Refused(f"cannot read file ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"not a regular file ({file_kind(info.st_mode)})")
        if info.st_size > limit:
            raise Refused(f"file is {info.st_size} bytes; the limit is {limit}")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Refused(f"cannot read file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise Refused(f"file is more than {limit} bytes; the limit is {limit}")
    return b"".join(chunks)


def load_yaml(path: Path, label: str | None = None) -> tuple[Any, YamlDoc]:
    """Parse one file safely; problems (not exceptions) for every way it can be bad."""
    doc = YamlDoc(label or str(path))
    try:
        raw = read_limited(path)
    except Refused as exc:
        doc.problems.append(f"{doc.path}:1: {exc}")
        return None, doc
    return parse_yaml_bytes(raw, doc)


def parse_yaml_bytes(raw: bytes, doc: YamlDoc) -> tuple[Any, YamlDoc]:
    """Parse a file's bytes (UTF-8, or a problem naming the line of the first bad byte)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        doc.problems.append(f"{doc.path}:{line}: not valid UTF-8 (byte {raw[exc.start]:#04x})")
        return None, doc
    return parse_yaml_text(text, doc)


def parse_yaml_text(text: str, doc: YamlDoc) -> tuple[Any, YamlDoc]:
    """Parse YAML text already read into memory (used for files and modal input)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        doc.problems.append(f"{doc.path}:{line}: invalid YAML: {exc.problem or exc}")
        return None, doc
    except yaml.YAMLError as exc:
        doc.problems.append(f"{doc.path}:1: invalid YAML: {exc}")
        return None, doc
    if node is None:
        return None, doc
    doc.root = node
    try:
        return _build(doc, node, (), set()), doc
    except _AliasFound as exc:
        doc.error(exc.key, "YAML anchors and aliases are not allowed")
        return None, doc
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        doc.problems.append(f"{doc.path}:{doc.line()}: invalid value: {exc}")
        return None, doc
    finally:  # nodes of this document are never seen again (aliases are refused)
        _CONSTRUCTOR.constructed_objects.clear()
        _CONSTRUCTOR.recursive_objects.clear()
