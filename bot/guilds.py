"""Per-server settings. For now one: whether last-act answers are shown without spoiler bars."""

from __future__ import annotations

from sqlite_utils import Database

from bot.store import write
from bot.usernumbers import is_id, require_id


def shows_spoilers(db: Database, guild_id: int | None) -> bool | None:
    """The server's choice, or None when it has not made one (DMs never have one)."""
    if not is_id(guild_id):  # None in DMs
        return None
    row = db.execute("SELECT show_spoilers FROM guild_settings WHERE guild_id = ?",
                     [guild_id]).fetchone()
    return None if row is None else bool(row[0])


def set_shows_spoilers(db: Database, guild_id: int, shown: bool) -> None:
    """Remember whether this server wants last-act answers shown plainly."""
    require_id(guild_id, "guild_id")
    with write(db):
        db["guild_settings"].upsert({"guild_id": guild_id, "show_spoilers": int(shown)},
                                    pk="guild_id")
