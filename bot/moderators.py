"""Who may change the knowledge base: an Actor, and the one moderator check.

Front ends decide who is a moderator (Discord roles and permissions, the console's ``as``,
the CLI's operator); the core only asks ``require_moderator`` before every write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import NotAllowed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who is asking for a change; ``is_moderator`` comes from ``is_moderator()``."""

    user_id: int
    is_moderator: bool


CLI_ACTOR = Actor(user_id=0, is_moderator=True)  # whoever runs the CLI owns the bot


def is_moderator(mod_roles: frozenset[int], member_role_ids: Iterable[int],
                 manage_guild: bool) -> bool:
    """A moderator holds one of the configured roles, or the Manage Server permission."""
    return bool(manage_guild) or not frozenset(mod_roles).isdisjoint(member_role_ids)


def require_moderator(actor: Actor, action: str) -> None:
    """Raise NotAllowed (and log the attempt) unless ``actor`` is a moderator."""
    if not actor.is_moderator:
        log.warning("refused: user %s tried to %s without moderator rights", actor.user_id,
                    action)
        raise NotAllowed(f"Only moderators can {action}.")
