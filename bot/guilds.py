"""Per-server settings. For now one: whether last-act answers are shown without spoiler bars.

A setting belongs to its server: an actor reads and (as a moderator) changes their own
server's only. A DM has none.
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.errors import NotAllowed
from bot.moderators import Actor, require_moderator, require_server
from bot.store import write


def shows_spoilers(db: Database, actor: Actor) -> bool | None:
    """The actor's server's choice, or None when it has not made one (DMs never have one)."""
    if actor.guild_id is None:
        return None
    row = db.execute("SELECT show_spoilers FROM guild_settings WHERE guild_id = ?",
                     [actor.guild_id]).fetchone()
    return None if row is None else bool(row[0])


def set_shows_spoilers(db: Database, actor: Actor, shown: bool) -> None:
    """Remember whether the actor's server wants last-act answers shown plainly (moderators)."""
    require_server(actor, "server settings")
    require_moderator(actor, "change how this server shows spoilers")
    if actor.guild_id is None:  # the operator: no server of their own to set
        raise NotAllowed("Spoiler settings belong to a server; change them there with "
                         "/spoilers.")
    with write(db):
        db["guild_settings"].upsert({"guild_id": actor.guild_id, "show_spoilers": int(shown)},
                                    pk="guild_id")
