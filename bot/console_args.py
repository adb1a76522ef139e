"""What people type after a console command, checked before it reaches the core.

Every number the console reads goes through ``row_id``, ``count`` or ``hours``: only ASCII
digits count ("²" and "١٢" are digits to Python but not numbers here), and a number too
long to mean anything is refused before ``int()`` sees it. The messages match the CLI's
(``bot/cli/types.py``) and Discord's where the meaning is the same. The core checks every
value again; this is what makes the console's message name what was typed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.usernumbers import SQLITE_MAX
from bot.usertext import clean

_DIGITS = re.compile(r"[0-9]+")
_HOURS = re.compile(r"[0-9]{0,6}(?:\.[0-9]{0,6})?")
_SETTING = re.compile(r"(?:--)?([a-z][a-z_-]*)(?:[=:](.*))?", re.S)
MAX_NAME = 32  # Discord's longest username
YES, NO = frozenset({"yes", "y", "true", "on", "1"}), frozenset({"no", "n", "false", "off", "0"})


def shown(text: str, limit: int = 40) -> str:
    """What the user typed, quoted and cut short, safe to echo in a one-line message."""
    text = " ".join(clean(text).split())
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _whole(text: str) -> int | None:
    """ASCII digits as an int (anything past 2**63 as 2**63); None for anything else."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 19 else SQLITE_MAX + 1


def row_id(text: str, what: str) -> int:
    """A number the database gave something (poll #3, suggestion #2); '#3' works too."""
    value = _whole(text.strip().removeprefix("#"))
    if value is None or value < 1:
        raise InvalidInput(f"{shown(text)} is not a {what} number (they are 1, 2, 3...).")
    if value > SQLITE_MAX:
        raise InvalidInput(f"There is no {what} #{text.strip().removeprefix('#')[:30]}.")
    return value


def count(text: str, what: str, *, low: int = 1, high: int) -> int:
    """A whole number from ``low`` to ``high`` (a page, a number of days)."""
    value = _whole(text)
    if value is None or not low <= value <= high:
        raise InvalidInput(f"{what} must be a whole number from {low} to {high}, "
                           f"got {shown(text)}.")
    return value


def hours(text: str) -> float:
    """A number of hours such as 24 or 1.5 (the core checks the range: 0.1 to 720)."""
    stripped = text.strip()
    if not stripped.strip(".") or not _HOURS.fullmatch(stripped):
        raise InvalidInput(f"hours must be a number such as 24 or 1.5, got {shown(text)}.")
    return float(stripped)


def no_arguments(arg: str, command: str) -> None:
    """Refuse words after a command that takes none, rather than ignore them."""
    if arg.strip():
        raise InvalidInput(f"{command} takes nothing after it (got {shown(arg)}).")


# ---------------------------------------------------------------- poll settings


@dataclass(frozen=True)
class PollSettings:
    """The options of /poll ending and /poll create, as typed at the console."""

    anonymous: bool = False
    final: bool = False
    hours: float | None = None
    max_choices: int = 1

    def as_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``polls.create_poll`` / ``create_ending_poll``."""
        return {"anonymous": self.anonymous, "allow_change": not self.final,
                "hours": self.hours, "max_choices": self.max_choices}


_NAMES = {"anonymous": "anonymous", "final": "final", "hours": "hours",
          "max_choices": "max_choices", "max-choices": "max_choices"}
_TAKES_NUMBER = ("hours", "max_choices")


def poll_settings(text: str, allowed: tuple[str, ...], usage: str, *,
                  rest_allowed: bool = False) -> tuple[PollSettings, str]:
    """Leading words that set a poll's options, and what follows them.

    Words are ``anonymous``, ``final``, ``hours N`` and ``max_choices N`` (also ``name=value``,
    ``name:value`` and ``--name``), in lower case; ``--`` ends them. Without ``rest_allowed``
    every word must be one of ``allowed``; with it (``poll create``) the first other word
    starts the rest, unless it looks like a setting (``hour=3``, ``--anon``): an error.
    """
    values: dict[str, object] = {}
    words = text.split()
    n = 0
    while n < len(words):
        word = words[n]
        if word == "--":
            n += 1
            break
        match = _SETTING.fullmatch(word)
        name = _NAMES.get(match[1]) if match else None
        if name is None or name not in allowed:
            if rest_allowed and name is None and not word.startswith("--") and "=" not in word:
                break  # the question starts here
            raise InvalidInput(f"{shown(word)} is not an option here; {usage}")
        value = match[2] if match else None
        if name in _TAKES_NUMBER and value is None:
            if n + 1 >= len(words):
                raise InvalidInput(f"{name} needs a number after it; {usage}")
            n += 1
            value = words[n]
        values[name] = _setting_value(name, value)
        n += 1
    rest = " ".join(words[n:]) if rest_allowed else ""
    if not rest_allowed and n < len(words):
        raise InvalidInput(f"{shown(words[n])} is not an option here; {usage}")
    return PollSettings(**values), rest  # type: ignore[arg-type]


def _setting_value(name: str, value: str | None) -> object:
    if name == "hours":
        return hours(value or "")
    if name == "max_choices":
        return count(value or "", "max_choices", high=25)
    if value is None or value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    raise InvalidInput(f"{name} is yes or no, got {shown(value)}.")


# ---------------------------------------------------------------- local users


def user_name(text: str) -> str:
    """A local user's name for ``as NAME``: one word of up to 32 characters."""
    name = clean(text.strip())
    if not name or len(name) > MAX_NAME or any(not c.isprintable() for c in name):
        raise InvalidInput(f"A name is one word of 1 to {MAX_NAME} printable characters, "
                           f"got {shown(text)}.")
    return name


def local_user_id(name: str) -> int:
    """A stable id for a console user, the same in every session ('you' is 1). A hash of the
    whole name, so two names never share one ballot in practice."""
    if name == "you":
        return 1
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()
    return 1000 + int.from_bytes(digest[:6], "big")
