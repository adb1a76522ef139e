"""Channels beyond "post a message": threads started from a message, message history, the
bot's permissions per channel (50013 Missing Permissions), and ``enforce_nonce``.

A mixin of ``FakeDiscord`` (kept apart so the server module stays readable): the routes
here use the server's world, message store and event dispatch.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from . import limits, payloads
from .errors import ApiError, invalid_form, missing_permissions, unknown_message

if TYPE_CHECKING:
    from .server import FakeDiscord, _Call

INTENT_GUILDS = 1 << 0
TEXT_CHANNELS = (0, 5)  # text and announcement channels: threads can start there
NONCE_WINDOW = 120.0  # seconds: Discord dedupes a nonce "in the past few minutes"


class ChannelRoutes:
    """Threads, history, permissions and nonces for ``FakeDiscord``."""

    def _init_channels(self: FakeDiscord) -> None:
        self.nonce_window = NONCE_WINDOW
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}  # (author, nonce) → msg

    # ----- what a test changes -----------------------------------------------------------
    def deny_bot(self: FakeDiscord, channel_id: int, *permissions: str) -> None:
        """Take permissions (Discord's names: ``ATTACH_FILES``, ``CREATE_PUBLIC_THREADS``,
        ``SEND_MESSAGES_IN_THREADS``...) from the bot in one channel and its threads; the
        routes that need them answer 50013, and interactions there carry the reduced
        ``app_permissions``."""
        bits = sum(payloads.PERMISSIONS[p] for p in permissions)
        self.world.bot_denied[channel_id] = self.world.bot_denied.get(channel_id, 0) | bits

    def allow_bot(self: FakeDiscord, channel_id: int, *permissions: str) -> None:
        """Give back permissions taken with ``deny_bot`` (all of them when none are named)."""
        if not permissions:
            self.world.bot_denied.pop(channel_id, None)
            return
        bits = sum(payloads.PERMISSIONS[p] for p in permissions)
        self.world.bot_denied[channel_id] = self.world.bot_denied.get(channel_id, 0) & ~bits

    async def delete_channel(self: FakeDiscord, channel_id: int) -> None:
        """A member deletes a channel or a thread: later requests get 10003 Unknown Channel."""
        channel = self.world.channels.pop(channel_id)
        event = "THREAD_DELETE" if channel.get("type") == payloads.PUBLIC_THREAD \
            else "CHANNEL_DELETE"
        body = {k: channel[k] for k in ("id", "type", "guild_id", "parent_id") if k in channel}
        await self.dispatch(event, body, intent=INTENT_GUILDS)

    async def archive_thread(self: FakeDiscord, thread_id: int, *, locked: bool = False) -> None:
        """A thread goes quiet (or a moderator locks it). Sending to an archived thread
        unarchives it unless it is locked, as on Discord."""
        thread = self.world.channels[thread_id]
        thread["thread_metadata"].update(archived=True, locked=locked,
                                         archive_timestamp=payloads.iso_now())
        await self.dispatch("THREAD_UPDATE", thread, intent=INTENT_GUILDS)

    def threads(self: FakeDiscord) -> list[dict[str, Any]]:
        """Every thread that exists now, oldest first."""
        return [c for c in self.world.channels.values()
                if c.get("type") == payloads.PUBLIC_THREAD]

    # ----- checks the routes share ---------------------------------------------------------
    def _require(self: FakeDiscord, channel_id: int, *permissions: str) -> None:
        have = self.world.bot_permissions(channel_id)
        if any(not have & payloads.PERMISSIONS[p] for p in ("VIEW_CHANNEL", *permissions)):
            raise missing_permissions()

    async def _before_post(self: FakeDiscord, channel_id: int, body: dict[str, Any],
                           files: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Permission checks for a bot message in a channel or thread, the unarchiving of an
        archived thread, and ``enforce_nonce``: the message already made with this nonce."""
        channel = self.world.channels[channel_id]
        if channel.get("type") == payloads.PUBLIC_THREAD:
            self._require(channel_id, "SEND_MESSAGES_IN_THREADS")
            meta = channel["thread_metadata"]
            if meta["archived"]:
                if meta["locked"]:
                    raise ApiError(400, 50083, "Thread is archived")
                meta["archived"] = False
                await self.dispatch("THREAD_UPDATE", channel, intent=INTENT_GUILDS)
        elif channel.get("type") != 1:
            self._require(channel_id, "SEND_MESSAGES")
        if files and channel.get("type") != 1:
            self._require(channel_id, "ATTACH_FILES")
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > limits.NONCE:
            raise invalid_form([f"nonce: Must be {limits.NONCE} or fewer in length."])
        if nonce is None or not body.get("enforce_nonce"):
            return None
        key = (int(self.bot_user["id"]), str(nonce))
        seen = self._nonces.get(key)
        if seen and time.monotonic() - seen[1] < self.nonce_window and seen[0] in self.messages:
            return self.messages[seen[0]]
        return None

    def _remember_nonce(self: FakeDiscord, body: dict[str, Any], msg: dict[str, Any]) -> None:
        if body.get("nonce") is not None and body.get("enforce_nonce"):
            key = (int(self.bot_user["id"]), str(body["nonce"]))
            self._nonces[key] = (int(msg["id"]), time.monotonic())
        channel = self.world.channels.get(int(msg["channel_id"])) or {}
        if channel.get("type") == payloads.PUBLIC_THREAD:
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
            channel["last_message_id"] = msg["id"]

    # ----- routes ------------------------------------------------------------------------
    async def _get_channel(self: FakeDiscord, call: _Call) -> tuple[int, Any]:
        """GET one channel or thread."""
        return 200, self.world.channels[self._channel(call)]

    async def _history(self: FakeDiscord, call: _Call) -> tuple[int, Any]:
        """GET messages: newest first, ``limit`` (1-100, default 50) of them, before, after
        or around a message id. As on Discord, fetched messages carry no nonce."""
        cid = self._channel(call)
        self._require(cid, "READ_MESSAGE_HISTORY")
        try:
            limit = int(call.query.get("limit", 50))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            raise invalid_form(["limit: Must be between 1 and 100."])
        ids = sorted(m for m in self._order.get(cid, []) if m in self.messages)
        if "before" in call.query:
            picked = [m for m in ids if m < int(call.query["before"])][-limit:]
        elif "after" in call.query:
            picked = [m for m in ids if m > int(call.query["after"])][:limit]
        elif "around" in call.query:
            pivot = int(call.query["around"])
            older = [m for m in ids if m < pivot][-(limit // 2):] if limit > 1 else []
            picked = older + [m for m in ids if m >= pivot][:limit - len(older)]
        else:
            picked = ids[-limit:]
        return 200, [fetched(self.messages[m]) for m in reversed(picked)]

    async def _start_thread(self: FakeDiscord, call: _Call) -> tuple[int, Any]:
        """Start a public thread on a message (the thread takes the message's id)."""
        cid = self._channel(call)
        channel = self.world.channels[cid]
        if channel.get("type") not in TEXT_CHANNELS:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        msg = self.messages.get(int(call.params["mid"]))
        if msg is None or int(msg["channel_id"]) != cid:
            raise unknown_message()
        body = call.body or {}
        name = body.get("name") or ""
        duration = body.get("auto_archive_duration") or 1440
        errors = []
        if not 1 <= len(name) <= limits.THREAD_NAME:
            errors.append(f"name: Must be between 1 and {limits.THREAD_NAME} in length.")
        if duration not in limits.AUTO_ARCHIVE_DURATIONS:
            errors.append("auto_archive_duration: Value must be one of "
                          f"{sorted(limits.AUTO_ARCHIVE_DURATIONS)}.")
        if errors:
            raise invalid_form(errors)
        self._require(cid, "CREATE_PUBLIC_THREADS")
        if msg["flags"] & payloads.HAS_THREAD or int(msg["id"]) in self.world.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self.world.add_thread(cid, int(msg["id"]), name, int(self.bot_user["id"]),
                                       duration)
        self._order[int(thread["id"])] = []
        msg["flags"] |= payloads.HAS_THREAD
        msg["thread"] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True},
                            intent=INTENT_GUILDS)
        await self.dispatch("MESSAGE_UPDATE", msg, intent=1 << 9)
        self._bump()
        return 201, thread


def fetched(msg: dict[str, Any]) -> dict[str, Any]:
    """A stored message as GET returns it: without the nonce it was sent with."""
    out = copy.copy(msg)
    out.pop("nonce", None)
    return out

