"""Builders for the JSON objects Discord sends, shaped the way discord.py 2.x parses them."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count(1)
# Discord's permission bits, by the names its documentation uses.
PERMISSIONS = {
    "ADD_REACTIONS": 1 << 6, "MANAGE_GUILD": 1 << 5, "VIEW_CHANNEL": 1 << 10,
    "SEND_MESSAGES": 1 << 11, "MANAGE_MESSAGES": 1 << 13, "EMBED_LINKS": 1 << 14,
    "ATTACH_FILES": 1 << 15, "READ_MESSAGE_HISTORY": 1 << 16, "USE_EXTERNAL_EMOJIS": 1 << 18,
    "USE_APPLICATION_COMMANDS": 1 << 31, "MANAGE_THREADS": 1 << 34,
    "CREATE_PUBLIC_THREADS": 1 << 35, "SEND_MESSAGES_IN_THREADS": 1 << 38,
}
# @everyone's defaults: view, send, embed, attach, read history, react, use slash commands,
# create public threads and talk in threads.
EVERYONE_PERMISSIONS = sum(1 << b for b in (10, 11, 14, 15, 16, 6, 31, 35, 38))
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | (1 << 18)
PUBLIC_THREAD = 11  # channel type
HAS_THREAD = 1 << 5  # message flag


def snowflake() -> int:
    """Make a unique, time-ordered id so created_at looks sane."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    """Timestamp in the ISO format Discord uses."""
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object (new username system: discriminator "0")."""
    return {"id": str(user_id), "username": name, "global_name": name, "discriminator": "0",
            "avatar": None, "bot": bot, "public_flags": 0, "flags": 0}


def member(user_obj: dict[str, Any], roles: list[int], permissions: int | None = None,
           *, with_user: bool = True) -> dict[str, Any]:
    """A guild member; interactions carry a `permissions` string, gateway members do not."""
    data: dict[str, Any] = {"roles": [str(r) for r in roles], "joined_at": iso_now(), "deaf": False,
                            "mute": False, "flags": 0, "pending": False, "nick": None,
                            "premium_since": None, "avatar": None}
    if with_user:
        data["user"] = user_obj
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
    """A guild role."""
    return {"id": str(role_id), "name": name, "permissions": str(permissions), "position": position,
            "color": 0, "hoist": False, "managed": False, "mentionable": True, "flags": 0}


def text_channel(channel_id: int, guild_id: int, name: str, position: int) -> dict[str, Any]:
    """A guild text channel."""
    return {"id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": name,
            "position": position, "permission_overwrites": [], "nsfw": False, "topic": None,
            "parent_id": None, "rate_limit_per_user": 0, "last_message_id": None}


def thread_channel(thread_id: int, parent: dict[str, Any], name: str, owner_id: int,
                   auto_archive_duration: int) -> dict[str, Any]:
    """A public thread started from a message (its id is the message's id, as on Discord)."""
    now = iso_now()
    return {"id": str(thread_id), "type": PUBLIC_THREAD, "guild_id": parent["guild_id"],
            "parent_id": parent["id"], "owner_id": str(owner_id), "name": name,
            "last_message_id": None, "message_count": 0, "member_count": 1,
            "total_message_sent": 0, "rate_limit_per_user": 0, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive_duration,
                                "archive_timestamp": now, "locked": False,
                                "create_timestamp": now},
            "member": {"id": str(thread_id), "user_id": str(owner_id), "join_timestamp": now,
                       "flags": 0}}


def guild(guild_id: int, name: str, owner_id: int, channels: list[dict[str, Any]],
          roles: list[dict[str, Any]], members: list[dict[str, Any]],
          threads: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A full GUILD_CREATE payload; member_count == len(members) so no chunking is needed."""
    return {"id": str(guild_id), "name": name, "owner_id": str(owner_id), "icon": None,
            "unavailable": False, "large": False, "member_count": len(members), "features": [],
            "channels": channels, "roles": roles, "members": members, "threads": threads or [],
            "presences": [], "voice_states": [], "emojis": [], "stickers": [],
            "preferred_locale": "en-US", "premium_tier": 0, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "nsfw_level": 0, "system_channel_id": None, "joined_at": iso_now()}


def application(app_id: int, owner: dict[str, Any]) -> dict[str, Any]:
    """The /oauth2/applications/@me object discord.py reads at login."""
    return {"id": str(app_id), "name": "Fake App", "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "owner": owner,
            "verify_key": "0" * 64, "flags": 0, "team": None, "summary": ""}


def message(channel_id: int, guild_id: int | None, author: dict[str, Any], body: dict[str, Any],
            *, message_id: int | None = None) -> dict[str, Any]:
    """A message object built from a create body (content/embeds/components/flags...)."""
    data: dict[str, Any] = {
        "id": str(message_id or snowflake()), "channel_id": str(channel_id), "type": 0,
        "author": author, "content": body.get("content") or "", "timestamp": iso_now(),
        "edited_timestamp": None, "tts": bool(body.get("tts")), "mention_everyone": False,
        "mentions": [], "mention_roles": [], "attachments": body.get("attachments") or [],
        "embeds": body.get("embeds") or [], "components": body.get("components") or [],
        "reactions": [], "pinned": False, "flags": body.get("flags") or 0}
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if body.get("nonce") is not None:
        data["nonce"] = body["nonce"]
    return data


def apply_edit(msg: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Apply a PATCH body in place, as Discord does: only provided keys change."""
    for key in ("content", "embeds", "components", "attachments", "flags"):
        if key in body:
            msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
    msg["edited_timestamp"] = iso_now()
    return msg


def interaction(kind: int, *, app_id: int, guild_id: int, channel: dict[str, Any],
                member_obj: dict[str, Any], data: dict[str, Any] | None,
                msg: dict[str, Any] | None = None,
                app_permissions: int = BOT_PERMISSIONS) -> dict[str, Any]:
    """An INTERACTION_CREATE payload with the keys discord.py 2.7 reads; ``app_permissions``
    are the bot's in that channel."""
    payload: dict[str, Any] = {
        "id": str(snowflake()), "application_id": str(app_id), "type": kind,
        "token": f"tok-{snowflake()}", "version": 1, "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
        "channel_id": channel["id"], "channel": channel, "member": member_obj,
        "app_permissions": str(app_permissions), "locale": "en-US", "guild_locale": "en-US",
        "entitlements": [], "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0, "attachment_size_limit": 10 * 1024 * 1024}
    if data is not None:
        payload["data"] = data
    if msg is not None:
        payload["message"] = msg
    return payload


def dm_interaction(kind: int, *, app_id: int, channel: dict[str, Any], user_obj: dict[str, Any],
                   data: dict[str, Any] | None,
                   msg: dict[str, Any] | None = None) -> dict[str, Any]:
    """An INTERACTION_CREATE from a DM with the bot: ``user`` and no ``guild_id`` or ``member``;
    the channel has type 1 and context 1 (BOT_DM)."""
    payload: dict[str, Any] = {
        "id": str(snowflake()), "application_id": str(app_id), "type": kind,
        "token": f"tok-{snowflake()}", "version": 1, "channel_id": channel["id"],
        "channel": channel, "user": user_obj, "app_permissions": str(BOT_PERMISSIONS),
        "locale": "en-US", "entitlements": [], "authorizing_integration_owners": {"0": "0"},
        "context": 1, "attachment_size_limit": 10 * 1024 * 1024}
    if data is not None:
        payload["data"] = data
    if msg is not None:
        payload["message"] = msg
    return payload
