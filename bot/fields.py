"""Line-aware checks of one YAML mapping that record problems instead of raising.

Every problem is reported as ``path:line: message`` through the ``YamlDoc`` it came from,
and checking goes on, so a curator sees all of a file's problems at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.yamlin import YamlDoc

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Fields:
    """Typed access to one mapping that records a problem instead of raising."""

    def __init__(self, doc: YamlDoc, data: Any, where: tuple[Any, ...], allowed: Iterable[str]):
        self.doc, self.where = doc, where
        self.data: dict[Any, Any] = data if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            doc.error(where, "expected a mapping of keys to values")
        for key in self.data:
            if key not in allowed:
                doc.error((*where, key), f"unknown key '{key}' (allowed: {', '.join(allowed)})")

    def missing(self, key: str, required: bool) -> bool:
        """True when the key is absent or empty; a problem too when it is required."""
        value = self.data.get(key)
        if value is None or value == "" or value == []:
            if required:
                what = "missing" if key not in self.data else "empty"
                self.doc.error(self.where if key not in self.data else (*self.where, key),
                               f"'{key}' is {what}")
            return True
        return False

    def text(self, key: str, limit: int, required: bool = True) -> str:
        if self.missing(key, required):
            return ""
        value = self.data[key]
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.doc.error((*self.where, key), f"'{key}' must be text")
            return ""
        value = str(value).strip()
        if not value:
            self.doc.error((*self.where, key), f"'{key}' is empty")
        elif len(value) > limit:
            self.doc.error((*self.where, key),
                           f"'{key}' is {len(value)} characters; the limit is {limit}")
        return value

    def slug(self, key: str, limit: int) -> str:
        value = self.text(key, limit)
        if value and not SLUG.match(value):
            self.doc.error((*self.where, key),
                           f"'{key}' must be a slug of a-z, 0-9 and single hyphens, got '{value}'")
        return value

    def items(self, key: str, *, most: int, required: bool = True) -> list[Any]:
        """The list under ``key`` (empty when missing or not a list), at most ``most`` long."""
        if self.missing(key, required):
            return []
        items = self.data[key]
        if not isinstance(items, list):
            self.doc.error((*self.where, key), f"'{key}' must be a list")
            return []
        if len(items) > most:
            self.doc.error((*self.where, key),
                           f"'{key}' has {len(items)} items; the limit is {most}")
        return items

    def texts(self, key: str, limit: int, *, most: int, required: bool = True,
              pattern: re.Pattern[str] | None = None, what: str = "") -> tuple[str, ...]:
        out = []
        for i, item in enumerate(self.items(key, most=most, required=required)):
            at = (*self.where, key, i)
            if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
                self.doc.error(at, f"'{key}' item {i + 1} must be non-empty text")
                continue
            item = str(item).strip()
            if len(item) > limit:
                self.doc.error(at, f"'{key}' item {i + 1} is {len(item)} characters; "
                                   f"the limit is {limit}")
            elif pattern is not None and not pattern.match(item):
                self.doc.error(at, f"'{key}' item '{item}' must be {what}")
            out.append(item)
        return tuple(out)

    def boolean(self, key: str) -> bool:
        if key not in self.data:
            self.doc.error(self.where, f"'{key}' is missing (true or false)")
            return False
        if not isinstance(self.data[key], bool):
            self.doc.error((*self.where, key), f"'{key}' must be true or false")
            return False
        return self.data[key]
