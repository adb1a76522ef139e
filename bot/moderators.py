"""Who is acting, where, and with which rights: the Actor, and the checks every core call makes.

A front end decides the actor once from what it knows (Discord: the member, the server the
interaction came from or a DM, and whether they moderate *that* server; the console and the
CLI: the operator) and passes it to the core, which enforces who may do what itself.

Server-scoped data (polls, ballots, results, spoiler settings, suggestions, the question log)
is visible only to actors of its own server. A DM actor sees no server's data. ``Operator``
is the person holding the database file (the CLI and the console): they see every server. No
Discord front end can build one: ``bot.cogs.members`` makes plain ``Actor``s only, and a test
checks that nothing in ``bot/cogs`` names ``Operator`` or ``OPERATOR``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from bot.errors import InvalidInput, NotAllowed

log = logging.getLogger(__name__)
SQLITE_INT_LIMIT = 2**63


def _is_id(value: object) -> bool:
    return type(value) is int and 0 <= value < SQLITE_INT_LIMIT  # True is no id


@dataclass(frozen=True)
class Actor:
    """A person acting in one server (``guild_id``) or in a DM with the bot (``None``).

    ``is_moderator`` means a moderator of that server (a BOT_MOD_ROLES role or Manage Server),
    as the front end found it; it means nothing in a DM.
    """

    user_id: int
    guild_id: int | None
    is_moderator: bool = False
    is_operator: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not _is_id(self.user_id) or not (self.guild_id is None or _is_id(self.guild_id)):
            raise InvalidInput("An actor needs a user id and a server id (or none for a DM), "
                               f"got {self.user_id!r} and {self.guild_id!r}.")
        if not isinstance(self.is_moderator, bool):
            raise InvalidInput(f"is_moderator must be true or false, got {self.is_moderator!r}.")

    @property
    def in_dm(self) -> bool:
        """Acting from a direct message: no server, so no server's data."""
        return self.guild_id is None and not self.is_operator

    def sees(self, guild_id: int | None) -> bool:
        """Whether data that belongs to ``guild_id`` (None: made outside any server, in the
        console or the CLI) is visible to this actor."""
        return self.is_operator or (self.guild_id is not None and self.guild_id == guild_id)


@dataclass(frozen=True)
class Operator(Actor):
    """The person holding the database file (CLI, console): every server's data is in reach.

    Their rights still come from ``is_moderator``: the console's ``as bob`` acts as a member.
    What they create belongs to no server (``guild_id`` None), so no Discord actor sees it.
    """

    guild_id: None = field(default=None, init=False)
    is_moderator: bool = True
    is_operator: ClassVar[bool] = True


OPERATOR = Operator(user_id=0)  # whoever runs the CLI owns the bot
CLI_ACTOR = OPERATOR  # the name the CLI used before actors had a server


def is_moderator(mod_roles: frozenset[int], member_role_ids: Iterable[int],
                 manage_guild: bool) -> bool:
    """A moderator holds one of the configured roles, or the Manage Server permission."""
    return bool(manage_guild) or not frozenset(mod_roles).isdisjoint(member_role_ids)


def require_server(actor: Actor, what: str) -> None:
    """Refuse a DM actor: server-scoped things (polls, suggestions) only exist in a server."""
    if actor.in_dm:
        log.warning("refused: user %s tried to use %s in a DM", actor.user_id, what)
        raise NotAllowed(f"{what[:1].upper()}{what[1:]} belong to a server: use this in the "
                         "server, not in a direct message.")


def require_moderator(actor: Actor, action: str) -> None:
    """Raise NotAllowed (and log the attempt) unless ``actor`` moderates the server it acts in."""
    if actor.in_dm or not actor.is_moderator:
        log.warning("refused: user %s tried to %s without moderator rights (server %s)",
                    actor.user_id, action, actor.guild_id)
        where = " in a server" if actor.in_dm else ""
        raise NotAllowed(f"Only moderators can {action}{where}.")


def require_curator(actor: Actor, kb_guilds: frozenset[int], action: str) -> None:
    """The shared knowledge base: moderators of a BOT_KB_GUILDS server (of any server when
    that is unset), or the operator. Anyone can make a server where they are a moderator."""
    require_moderator(actor, action)
    if kb_guilds and not actor.is_operator and actor.guild_id not in kb_guilds:
        log.warning("refused: user %s tried to %s from server %s, which does not curate the "
                    "knowledge base", actor.user_id, action, actor.guild_id)
        raise NotAllowed(f"The knowledge base is shared by every server the bot is in, and "
                         f"this server's moderators can't {action}: the bot's operator chose "
                         "the servers that curate it (BOT_KB_GUILDS).")
