"""Numbers from people, checked before they reach SQLite or ``datetime``.

SQLite stores integers in 64 bits: binding 2**63 raises OverflowError, and ``timedelta``
stops at 999,999,999 days. Text such as ``"7"`` would match id 7 through SQLite's type
affinity, and ``True`` is an int to Python. Core functions run what they are given through
these three, so a huge, negative or odd number is a clear InvalidInput (or, for an id
looked up, simply not found), never a traceback.
"""

from __future__ import annotations

from typing import Any

from bot.errors import InvalidInput

SQLITE_MAX = 2**63 - 1


def whole_number(text: str, high: int) -> int | None:
    """``text`` as a whole number from 0 to ``high`` when it is one (ASCII digits only), else
    None. Checked as text first: ``int()`` refuses strings of more than 4,300 digits."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(high)):
        return None
    number = int(text)
    return number if number <= high else None


def shown(value: Any, most: int = 40) -> str:
    """A value as typed, quoted and cut short enough for a one-line message."""
    text = repr(value)
    return text if len(text) <= most else text[: most - 1] + "…"


def is_id(value: Any) -> bool:
    """An integer SQLite can hold as an id (Discord snowflakes, row ids); not a bool."""
    return type(value) is int and 0 <= value <= SQLITE_MAX


def require_id(value: Any, name: str, *, nullable: bool = False) -> Any:
    """``value`` if it is an id (or None, when ``nullable``); otherwise InvalidInput."""
    if (nullable and value is None) or is_id(value):
        return value
    raise InvalidInput(f"{name} must be a whole number from 0 to {SQLITE_MAX}, got "
                       f"{str(value)[:40]!r}.")


def count(value: Any, name: str, *, low: int = 1, high: int) -> int:
    """A whole number of at least ``low``; more than ``high`` means ``high`` (asking for
    the last 10**11 days, or page 10**20, is asking for everything there is)."""
    if type(value) is not int or value < low:
        raise InvalidInput(f"{name} must be a whole number of at least {low}, got "
                           f"{str(value)[:40]!r}.")
    return min(value, high)
