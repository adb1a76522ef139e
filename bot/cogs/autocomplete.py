"""Autocomplete that stays cheap on every keystroke: a per-user rate limit and a short cache.

Discord asks for suggestions on (nearly) every keystroke, and each answer runs a search or
a query on the event loop. With ``@throttled()`` on an autocomplete callback, each user gets
at most ``rate`` fresh answers per ``per`` seconds (discord.py's ``CooldownMapping``, keyed
by user); past that, and for the text they typed last in that channel (within
``CACHE_SECONDS``), they get the choices computed last time. A callback that fails answers
with those too (or nothing), and the failure is logged: autocomplete never shows an error.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord.ext import commands

log = logging.getLogger(__name__)
RATE, PER = 5, 2.0  # fresh answers per user
CACHE_SECONDS = 30.0
USERS_KEPT = 5000  # last answers remembered, oldest forgotten first

Choices = list[Any]
Callback = Callable[[Any, discord.Interaction, str], Awaitable[Choices]]


Key = tuple[int, int | None]  # the user, and the channel (choices can depend on it)


@dataclass
class _Last:
    text: str
    choices: Choices
    at: float


class Throttle:
    """The rate limit and the last answers of one autocomplete callback."""

    def __init__(self, rate: int = RATE, per: float = PER,
                 cache_seconds: float = CACHE_SECONDS, users_kept: int = USERS_KEPT):
        self.cooldown: commands.CooldownMapping[discord.Interaction] = \
            commands.CooldownMapping.from_cooldown(rate, per, lambda i: i.user.id)
        self.cache_seconds, self.users_kept = cache_seconds, users_kept
        self._last: OrderedDict[Key, _Last] = OrderedDict()
        self.computed = self.served = 0  # for tests and curious operators

    def recent(self, key: Key, text: str) -> Choices | None:
        """The choices for the same text in the same place, computed moments ago."""
        last = self._last.get(key)
        if last and last.text == text and time.monotonic() - last.at < self.cache_seconds:
            return last.choices
        return None

    def last(self, key: Key) -> Choices:
        found = self._last.get(key)
        return found.choices if found else []

    def limited(self, interaction: discord.Interaction) -> bool:
        bucket = self.cooldown.get_bucket(interaction)
        return bool(bucket and bucket.update_rate_limit())

    def keep(self, key: Key, text: str, choices: Choices) -> None:
        self._last[key] = _Last(text, choices, time.monotonic())
        self._last.move_to_end(key)
        while len(self._last) > self.users_kept:
            self._last.popitem(last=False)


def throttled(rate: int = RATE, per: float = PER) -> Callable[[Callback], Callback]:
    """Decorate a cog's autocomplete callback ``(self, interaction, current)``."""
    def wrap(fn: Callback) -> Callback:
        throttle = Throttle(rate, per)

        @functools.wraps(fn)
        async def answer(self: Any, interaction: discord.Interaction, current: str) -> Choices:
            key = (interaction.user.id, interaction.channel_id)
            cached = throttle.recent(key, current)
            if cached is not None or throttle.limited(interaction):
                throttle.served += 1
                return cached if cached is not None else throttle.last(key)
            try:
                choices = await fn(self, interaction, current)
            except Exception:
                log.exception("autocomplete %s failed for %r", fn.__qualname__, current[:100])
                return throttle.last(key)
            throttle.computed += 1
            throttle.keep(key, current, choices)
            return choices

        answer.throttle = throttle  # type: ignore[attr-defined]
        return answer
    return wrap
