"""What the fake Discord contains: users, guilds (roles, channels, members) and DM channels.

Kept apart from the server (REST and gateway plumbing) so that new kinds of places, such as
threads, are added here: each channel payload lives in ``World.channels`` and knows its
guild (``guild_of``), which is all the server needs to build events for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import payloads
from .payloads import snowflake

DM_CHANNEL = 1  # Discord's channel type for a direct message


@dataclass
class FakeGuild:
    """One guild: its roles (``@everyone`` has the guild's id), channels and members."""

    id: int
    name: str
    owner_id: int = 0
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    # user id → {"user": payload, "roles": [role ids], "permissions": int or None}
    members: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def channel_id(self) -> int:
        """The guild's first text channel ("general")."""
        return self.channel_ids[0]


class World:
    """Users, guilds and channels; payload builders for members and guilds."""

    def __init__(self) -> None:
        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, dict[str, Any]] = {}  # guild text channels and DM channels
        self._dms: dict[int, int] = {}  # user id → their DM channel with the bot

    # ----- building ----------------------------------------------------------------------
    def add_guild(self, name: str) -> FakeGuild:
        guild = FakeGuild(snowflake(), name)
        guild.roles[guild.id] = payloads.role(guild.id, "@everyone",
                                              payloads.EVERYONE_PERMISSIONS, 0)
        self.guilds[guild.id] = guild
        return guild

    def add_channel(self, guild: FakeGuild, name: str) -> int:
        cid = snowflake()
        self.channels[cid] = payloads.text_channel(cid, guild.id, name, len(guild.channel_ids))
        guild.channel_ids.append(cid)
        return cid

    def add_role(self, guild: FakeGuild, name: str, permissions: int) -> int:
        rid = snowflake()
        guild.roles[rid] = payloads.role(rid, name, permissions, len(guild.roles))
        return rid

    def add_user(self, user: dict[str, Any]) -> dict[str, Any]:
        self.users[int(user["id"])] = user
        return user

    def add_member(self, guild: FakeGuild, user: dict[str, Any], roles: Iterable[int] = (),
                   permissions: int | None = None) -> None:
        """Make ``user`` a member of ``guild``; ``permissions`` overrides the role-derived
        value that interactions carry."""
        self.add_user(user)
        guild.members[int(user["id"])] = {"user": user, "roles": list(roles),
                                          "permissions": permissions}

    def dm_channel(self, user_id: int, bot_user: dict[str, Any]) -> int:
        """The DM channel between the bot and a user (type 1), made on first use."""
        if user_id not in self._dms:
            cid = snowflake()
            self.channels[cid] = {"id": str(cid), "type": DM_CHANNEL, "last_message_id": None,
                                  "recipients": [self.users[user_id]], "flags": 0}
            self._dms[user_id] = cid
        return self._dms[user_id]

    # ----- reading -----------------------------------------------------------------------
    def guild_of(self, channel_id: int) -> FakeGuild | None:
        """The guild a channel belongs to; None for a DM."""
        gid = self.channels[channel_id].get("guild_id")
        return self.guilds[int(gid)] if gid else None

    def permissions(self, guild: FakeGuild, uid: int) -> int:
        """Explicit permissions, or @everyone OR'ed with the member's roles."""
        rec = guild.members[uid]
        if rec["permissions"] is not None:
            return rec["permissions"]
        perms = int(guild.roles[guild.id]["permissions"])
        for rid in rec["roles"]:
            perms |= int(guild.roles[rid]["permissions"])
        return perms

    def member(self, guild: FakeGuild, uid: int, *, with_user: bool = False,
               perms: bool = False) -> dict[str, Any]:
        """Member payload in the flavour each event needs."""
        rec = guild.members[uid]
        return payloads.member(rec["user"], rec["roles"],
                               self.permissions(guild, uid) if perms else None,
                               with_user=with_user)

    def guild_payload(self, guild: FakeGuild) -> dict[str, Any]:
        """The GUILD_CREATE body for one guild."""
        members = [self.member(guild, uid, with_user=True) for uid in guild.members]
        channels = [self.channels[c] for c in guild.channel_ids]
        return payloads.guild(guild.id, guild.name, guild.owner_id, channels,
                              list(guild.roles.values()), members)
