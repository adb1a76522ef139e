"""What the fake Discord contains: users, guilds (roles, channels, threads, members), DM
channels, and what the bot may do in each channel.

Kept apart from the server (REST and gateway plumbing): each channel payload (a text
channel, a thread, a DM) lives in ``World.channels`` and knows its guild (``guild_of``),
which is all the server needs to build events for it.
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
        self.channels: dict[int, dict[str, Any]] = {}  # text channels, threads, DM channels
        self._dms: dict[int, int] = {}  # user id → their DM channel with the bot
        self.bot_denied: dict[int, int] = {}  # channel id → permission bits the bot lacks

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

    def add_thread(self, parent_id: int, thread_id: int, name: str, owner_id: int,
                   auto_archive_duration: int) -> dict[str, Any]:
        """A public thread on a message of ``parent_id`` (the thread's id is the message's)."""
        thread = payloads.thread_channel(thread_id, self.channels[parent_id], name, owner_id,
                                         auto_archive_duration)
        self.channels[thread_id] = thread
        return thread

    # ----- reading -----------------------------------------------------------------------
    def is_thread(self, channel_id: int) -> bool:
        return self.channels[channel_id].get("type") == payloads.PUBLIC_THREAD

    def threads_of(self, guild: FakeGuild) -> list[dict[str, Any]]:
        """The guild's threads that are not archived (what GUILD_CREATE lists)."""
        return [c for c in self.channels.values() if c.get("type") == payloads.PUBLIC_THREAD
                and c.get("guild_id") == str(guild.id)
                and not c["thread_metadata"]["archived"]]

    def bot_permissions(self, channel_id: int) -> int:
        """The bot's permissions in a channel: its role's, minus what a test denied there.

        A thread has no overwrites of its own: it takes its parent channel's, as on Discord.
        """
        channel = self.channels[channel_id]
        if channel.get("type") == DM_CHANNEL:
            return payloads.BOT_PERMISSIONS
        place = int(channel["parent_id"]) if self.is_thread(channel_id) else channel_id
        return payloads.BOT_PERMISSIONS & ~self.bot_denied.get(place, 0)

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
        channels = [self.channels[c] for c in guild.channel_ids if c in self.channels]
        return payloads.guild(guild.id, guild.name, guild.owner_id, channels,
                              list(guild.roles.values()), members, self.threads_of(guild))
