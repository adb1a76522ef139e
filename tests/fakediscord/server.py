"""A fake Discord (REST + gateway on one 127.0.0.1 port) that the real discord.py client can use."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

from . import limits, payloads
from .channels import ChannelRoutes, fetched
from .errors import ApiError, invalid_form, unknown_channel, unknown_message
from .files import Uploads, resolve_embeds
from .payloads import snowflake
from .world import FakeGuild, World

INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DM_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
EPHEMERAL, LOADING = 1 << 6, 1 << 7
# Which callback types Discord accepts for each interaction type.
ALLOWED_CALLBACKS = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
OPTION_TYPES: dict[type, int] = {bool: 5, int: 4, float: 10, str: 3}
MENTION_RE = re.compile(r"<@!?(\d+)>")
ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")

UserRef = dict[str, Any] | int | None


@dataclass
class RecordedRequest:
    """One REST call as the fake saw it; `json` is the payload_json for multipart bodies."""

    method: str
    path: str
    json: Any
    status: int
    time: float
    query: dict[str, str] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    response: Any = None


@dataclass
class _Session:
    """One gateway websocket connection."""

    ws: web.WebSocketResponse
    session_id: str = ""
    seq: int = 0
    intents: int = 0
    ready: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class InteractionHandle:
    """A dispatched interaction: lets a test await the bot's callback and read what it posted."""

    fake: FakeDiscord = field(repr=False)
    payload: dict[str, Any]
    dispatched_at: float
    response: dict[str, Any] | None = None
    responded_at: float | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.payload["id"]

    @property
    def token(self) -> str:
        return self.payload["token"]

    @property
    def latency(self) -> float | None:
        """Seconds from INTERACTION_CREATE to the callback arriving, or None if unanswered."""
        return None if self.responded_at is None else self.responded_at - self.dispatched_at

    @property
    def original(self) -> dict[str, Any] | None:
        """Current state (after edits) of the original response message."""
        return self.fake.messages.get(self.original_id) if self.original_id else None

    @property
    def followups(self) -> list[dict[str, Any]]:
        """Current state of followup messages that still exist."""
        return [self.fake.messages[m] for m in self.followup_ids if m in self.fake.messages]

    async def wait_response(self, timeout: float = 5) -> dict[str, Any]:
        """Wait for the interaction callback body ({type, data})."""
        await self.fake.wait_until(lambda: self.response is not None, timeout, "the callback")
        assert self.response is not None
        return self.response

    async def wait_followups(self, count: int = 1, timeout: float = 5) -> list[dict[str, Any]]:
        """Wait until at least `count` followup messages were posted."""
        await self.fake.wait_until(lambda: len(self.followup_ids) >= count, timeout, "followups")
        return self.followups


@dataclass
class _Call:
    """A parsed REST request handed to route handlers."""

    method: str
    params: dict[str, str]
    body: Any
    files: list[dict[str, Any]]
    query: dict[str, str]


Handler = Callable[[_Call], Awaitable[tuple[int, Any]]]


class FakeDiscord(ChannelRoutes):
    """Discord API + gateway with guilds, threads and DMs: tests play the users and inspect
    what the bot sent. One guild is made up front (``guild_id``, ``channel_id``);
    ``add_guild`` adds more."""

    def __init__(self, *, token: str = "fake-token", heartbeat_interval: float = 1.0,
                 callback_deadline: float = 3.0) -> None:
        self.token, self.heartbeat_interval = token, heartbeat_interval
        self.callback_deadline = callback_deadline
        self.application_id = snowflake()
        self.bot_user = payloads.user(self.application_id, "FakeBot", bot=True)
        self.world = World()
        first = self.world.add_guild("Fake Guild")
        self.guild_id = first.id
        self.messages: dict[int, dict[str, Any]] = {}
        self._order: dict[int, list[int]] = {}
        self.commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.sessions: list[_Session] = []
        self.identify_count = self.resume_count = 0
        self.heartbeat_acks = 0
        self._session_intents: dict[str, int] = {}
        self._interactions: dict[str, InteractionHandle] = {}
        self._modals: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._changed = asyncio.Event()
        self._inflight, self._last_request_end = 0, 0.0
        self._slow: list[list[Any]] = []  # [method, path pattern, seconds, calls left]
        self.held = 0  # requests slow_down() has held so far (they are handled afterwards)
        self._limited: list[list[Any]] = []  # [method, path pattern, retry_after, calls left]
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.uploads = Uploads(lambda: self.base_url)
        self._init_channels()
        self.channel_id = self.add_channel("general")
        self.world.add_member(first, self.bot_user)
        self.default_user = self.make_user(name="tester")
        first.owner_id = int(self.default_user["id"])
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(f"^{p}$"), h) for m, p, h in [
                ("GET", r"/users/@me", self._get_me),
                ("GET", r"/oauth2/applications/@me", self._get_app),
                ("GET", r"/gateway(?P<bot>/bot)?", self._get_gateway),
                ("GET|PUT", r"/applications/(?P<app>\d+)(?:/guilds/(?P<guild>\d+))?/commands",
                 self._commands),
                ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
                ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
                ("GET|PATCH|DELETE", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/"
                 r"(?P<mid>@original|\d+)", self._webhook_message),
                ("POST", r"/channels/(?P<cid>\d+)/messages", self._channel_messages),
                ("GET", r"/channels/(?P<cid>\d+)/messages", self._history),
                ("GET|PATCH|DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)",
                 self._channel_message),
                ("POST", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/threads",
                 self._start_thread),
                ("GET", r"/channels/(?P<cid>\d+)", self._get_channel),
                ("POST", r"/channels/(?P<cid>\d+)/typing", self._typing)]]

    # ----- lifecycle and addresses -----------------------------------------------------------
    async def start(self, port: int = 0) -> None:
        """Bind ``port`` (0: an ephemeral one) on 127.0.0.1 (never any other interface)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{aid:\\d+}/{name}", self.uploads.serve)
        app.router.add_route("*", "/api/v{version:\\d+}{path:/.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close every gateway socket and the HTTP server."""
        for session in list(self.sessions):
            await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for discord.http.Route.BASE."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value (wrapped in yarl.URL) for discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway here, restoring them on exit."""
        socket = discord.gateway.DiscordWebSocket
        old = discord.http.Route.BASE, socket.DEFAULT_GATEWAY
        discord.http.Route.BASE, socket.DEFAULT_GATEWAY = self.api_base, yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE, socket.DEFAULT_GATEWAY = old

    # ----- world building --------------------------------------------------------------------
    @property
    def guilds(self) -> dict[int, FakeGuild]:
        return self.world.guilds

    @property
    def channels(self) -> dict[int, dict[str, Any]]:
        """Every channel payload: guild text channels and DM channels."""
        return self.world.channels

    @property
    def roles(self) -> dict[int, dict[str, Any]]:
        """The first guild's roles."""
        return self.guilds[self.guild_id].roles

    @property
    def members(self) -> dict[int, dict[str, Any]]:
        """The first guild's member records (edit ``permissions`` to change a member's rights)."""
        return self.guilds[self.guild_id].members

    def _guild(self, guild_id: int | None) -> FakeGuild:
        return self.guilds[guild_id or self.guild_id]

    def add_guild(self, name: str = "Second Guild", owner: UserRef = None) -> int:
        """Add a guild with a "general" channel (before the bot connects, so READY lists it);
        ``owner`` (default: the tester) becomes its first member. Returns the guild id."""
        guild = self.world.add_guild(name)
        self.add_channel("general", guild_id=guild.id)
        self.world.add_member(guild, self.bot_user)
        owner_user = self.default_user if owner is None else (
            owner if isinstance(owner, dict) else self.world.users[int(owner)])
        self.world.add_member(guild, owner_user)
        guild.owner_id = int(owner_user["id"])
        return guild.id

    def add_channel(self, name: str, guild_id: int | None = None) -> int:
        """Add a text channel (send it before the bot connects so GUILD_CREATE includes it)."""
        cid = self.world.add_channel(self._guild(guild_id), name)
        self._order[cid] = []
        return cid

    def add_role(self, name: str, permissions: int = 0, guild_id: int | None = None) -> int:
        """Add a guild role and return its id."""
        return self.world.add_role(self._guild(guild_id), name, permissions)

    def make_user(self, user_id: int | None = None, name: str = "user", roles: Iterable[int] = (),
                  permissions: int | None = None, bot: bool = False,
                  guild_id: int | None = None) -> dict[str, Any]:
        """Add a guild member; `permissions` overrides the role-derived value in interactions."""
        user = payloads.user(user_id or snowflake(), name, bot=bot)
        self.world.add_member(self._guild(guild_id), user, roles, permissions)
        return user

    def join(self, user: dict[str, Any], guild_id: int, roles: Iterable[int] = (),
             permissions: int | None = None) -> None:
        """Make an existing user a member of another guild too (roles are per guild)."""
        self.world.add_member(self._guild(guild_id), user, roles, permissions)

    def dm_channel(self, user: UserRef = None) -> int:
        """The DM channel between the bot and ``user``: pass it as ``channel_id`` to slash,
        autocomplete or send_message to act in a DM."""
        return self.world.dm_channel(self._known(user), self.bot_user)

    def _permissions(self, uid: int, guild: FakeGuild | None = None) -> int:
        return self.world.permissions(guild or self._guild(None), uid)

    def _member(self, uid: int, *, with_user: bool = False, perms: bool = False,
                guild: FakeGuild | None = None) -> dict[str, Any]:
        """Member payload in the flavour each event needs."""
        return self.world.member(guild or self._guild(None), uid, with_user=with_user,
                                 perms=perms)

    def _known(self, user: UserRef) -> int:
        """Accept a user dict, an id, or None for the default tester."""
        uid = int(self.default_user["id"]) if user is None else (
            int(user["id"]) if isinstance(user, dict) else int(user))
        if uid not in self.world.users:
            raise ValueError(f"unknown user {uid}; use make_user()")
        return uid

    def _uid(self, user: UserRef, guild: FakeGuild | None = None) -> int:
        """The user's id, checking they are a member of ``guild`` (default: the first)."""
        uid = self._known(user)
        guild = guild or self._guild(None)
        if uid not in guild.members:
            raise ValueError(f"user {uid} is not a member of guild {guild.id}; use make_user() "
                             "or join()")
        return uid

    def guild_payload(self, guild_id: int | None = None) -> dict[str, Any]:
        """The GUILD_CREATE body for a guild (default: the first)."""
        return self.world.guild_payload(self._guild(guild_id))

    # ----- inspection ------------------------------------------------------------------------
    def channel_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Non-ephemeral messages in a channel, oldest first, with edits applied."""
        ids = self._order.get(channel_id or self.channel_id, [])
        return [self.messages[m] for m in ids if m in self.messages]

    def find_requests(self, method: str | None = None,
                      path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests filtered by method and a regex searched in the path."""
        return [r for r in self.requests if (method is None or r.method == method)
                and (path is None or re.search(path, r.path))]

    async def wait_for(self, predicate: Callable[[RecordedRequest], bool],
                       timeout: float = 5) -> RecordedRequest:
        """Wait for a recorded request matching predicate (already-recorded ones count)."""
        found: list[RecordedRequest] = []

        def check() -> bool:
            found[:] = [r for r in self.requests if predicate(r)][:1]
            return bool(found)

        await self.wait_until(check, timeout, "a matching request")
        return found[0]

    async def wait_ready(self, timeout: float = 10, identifies: int = 1) -> None:
        """Wait until `identifies` IDENTIFYs happened and a live client got its guild."""
        await self.wait_until(lambda: self.identify_count >= identifies
                          and any(s.ready for s in self.sessions), timeout, "a ready client")

    async def wait_until(self, cond: Callable[[], bool], timeout: float = 5,
                         what: str = "condition") -> None:
        """Block until cond() holds, re-checking whenever the fake's state changes."""
        try:
            async with asyncio.timeout(timeout):
                while not cond():
                    await self._changed.wait()
        except TimeoutError:
            recent = [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-8:]]
            raise TimeoutError(f"timed out waiting for {what}; recent requests: {recent}") from None

    async def settle(self, quiet: float = 0.02, timeout: float = 5) -> None:
        """Wait until no REST call is in flight and none ended for `quiet` seconds.

        The bot stores views and modals only after reading its callback's HTTP response, so user
        actions on what it just sent (click/select/submit_modal) settle first, like a human would.
        """
        async with asyncio.timeout(timeout):
            while self._inflight or time.monotonic() - self._last_request_end < quiet:
                await asyncio.sleep(quiet / 4)

    def _bump(self) -> None:
        """Wake every waiter so it re-checks its condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    # ----- gateway ---------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """One client connection: HELLO, then IDENTIFY/RESUME, heartbeats and member requests."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = _Session(ws)
        self.sessions.append(session)
        try:
            await self._send(session, {"op": 10, "d": {"heartbeat_interval":
                                                        int(self.heartbeat_interval * 1000)}})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway(session, json.loads(msg.data))
        finally:
            self.sessions.remove(session)
            self._bump()
        return ws

    async def _on_gateway(self, session: _Session, msg: dict[str, Any]) -> None:
        """React to one client opcode."""
        op, d = msg.get("op"), msg.get("d")
        self.gateway_received.append(msg)
        if op == 1:
            self.heartbeat_acks += 1
            await self._send(session, {"op": 11})
        elif op == 2:
            if d.get("token") != self.token:
                await session.ws.close(code=4004, message=b"Authentication failed.")
                return
            session.session_id, session.intents = uuid.uuid4().hex, d.get("intents", 0)
            self._session_intents[session.session_id] = session.intents
            self.identify_count += 1
            ready = {"v": 10, "user": {**self.bot_user, "verified": True, "mfa_enabled": False},
                     "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
                     "session_id": session.session_id, "resume_gateway_url": self.gateway_url,
                     "shard": d.get("shard", [0, 1]), "private_channels": [], "relationships": [],
                     "application": {"id": str(self.application_id), "flags": 0}}
            await self._send_event(session, "READY", ready)
            for guild_id in self.guilds:
                await self._send_event(session, "GUILD_CREATE", self.guild_payload(guild_id))
            session.ready = True
            self._bump()
        elif op == 6:
            if d.get("token") != self.token or d.get("session_id") not in self._session_intents:
                await self._send(session, {"op": 9, "d": False})
                return
            session.session_id, session.seq = d["session_id"], d.get("seq") or 0
            session.intents = self._session_intents[session.session_id]
            await self._send_event(session, "RESUMED", {})
            self.resume_count += 1
            session.ready = True
            self._bump()
        elif op == 8:
            guild = self._guild(int(d.get("guild_id") or self.guild_id))
            members = [self._member(uid, with_user=True, guild=guild) for uid in guild.members]
            await self._send_event(session, "GUILD_MEMBERS_CHUNK", {
                "guild_id": str(guild.id), "members": members, "chunk_index": 0,
                "chunk_count": 1, "nonce": d.get("nonce")})

    async def _send(self, session: _Session, payload: dict[str, Any]) -> None:
        """Send one JSON text frame (discord.py accepts uncompressed text even with zlib-stream)."""
        async with session.lock:
            if not session.ws.closed:
                await session.ws.send_str(json.dumps(payload))

    async def _send_event(self, session: _Session, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH with the session's next sequence number."""
        session.seq += 1
        await self._send(session, {"op": 0, "t": event, "s": session.seq, "d": data})

    async def dispatch(self, event: str, data: dict[str, Any], *, intent: int | None = None,
                       redact: bool = False) -> int:
        """Send an event to every ready client (filtered by intent); returns how many got it."""
        sent = 0
        for session in [s for s in self.sessions if s.ready]:
            if intent is not None and not session.intents & intent:
                continue
            body = data
            if redact and not session.intents & INTENT_MESSAGE_CONTENT:
                body = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
            await self._send_event(session, event, body)
            sent += 1
        return sent

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT so clients drop the socket and RESUME."""
        for session in list(self.sessions):
            await self._send(session, {"op": 7, "d": None})

    def _require_client(self) -> None:
        """Fail fast when a test drives users before the bot connected."""
        if not any(s.ready for s in self.sessions):
            raise RuntimeError("no identified gateway client; await fake.wait_ready() first")

    # ----- driving users ---------------------------------------------------------------------
    async def send_message(self, content: str, author: UserRef = None, mentions_bot: bool = False,
                           channel_id: int | None = None) -> dict[str, Any]:
        """A user posts in a channel or a DM: MESSAGE_CREATE, content redacted without the
        intent (DMs always carry their content, as on Discord)."""
        self._require_client()
        cid = channel_id or self.channel_id
        guild = self.world.guild_of(cid)
        uid = self._uid(author, guild) if guild else self._known(author)
        bot_mention = f"<@{self.bot_user['id']}>"
        if mentions_bot and bot_mention not in content:
            content = f"{bot_mention} {content}"
        msg = payloads.message(cid, guild.id if guild else None, self.world.users[uid],
                               {"content": content})
        people = guild.members if guild else {u: None for u in self.world.users}
        mentioned = [int(m) for m in MENTION_RE.findall(content) if int(m) in people]
        if guild:
            msg["member"] = self._member(uid, guild=guild)
            msg["mentions"] = [{**self.world.users[m], "member": self._member(m, guild=guild)}
                               for m in mentioned]
            msg["mention_roles"] = [r for r in ROLE_MENTION_RE.findall(content)
                                    if int(r) in guild.roles]
        else:
            msg["mentions"] = [self.world.users[m] for m in mentioned]
        self._store(msg, public=True)
        if not guild:
            await self.dispatch("MESSAGE_CREATE", msg, intent=INTENT_DM_MESSAGES)
            return msg
        redact = int(self.bot_user["id"]) not in mentioned
        await self.dispatch("MESSAGE_CREATE", msg, intent=INTENT_GUILD_MESSAGES, redact=redact)
        return msg

    async def _interact(self, kind: int, data: dict[str, Any] | None, user: UserRef,
                        channel_id: int | None,
                        msg: dict[str, Any] | None = None) -> InteractionHandle:
        """Build and dispatch an INTERACTION_CREATE (a guild's, or a DM's), returning its handle."""
        self._require_client()
        cid = channel_id or self.channel_id
        guild = self.world.guild_of(cid)
        source = copy.deepcopy(msg) if msg else None
        if guild is None:
            uid = self._known(user)
            payload = payloads.dm_interaction(kind, app_id=self.application_id,
                                              channel=self.channels[cid],
                                              user_obj=self.world.users[uid], data=data,
                                              msg=source)
        else:
            uid = self._uid(user, guild)
            channel = {**self.channels[cid], "permissions": str(self._permissions(uid, guild))}
            payload = payloads.interaction(
                kind, app_id=self.application_id, guild_id=guild.id, channel=channel,
                member_obj=self._member(uid, with_user=True, perms=True, guild=guild),
                data=data, msg=source, app_permissions=self.world.bot_permissions(cid))
        handle = InteractionHandle(self, payload, time.monotonic())
        self._interactions[payload["id"]] = handle
        await self.dispatch("INTERACTION_CREATE", payload)
        return handle

    def _find_command(self, name: str, kind: int = 1, channel_id: int | None = None,
                      force: bool = False) -> tuple[dict[str, Any] | None, int | None]:
        """Synced command by name (the channel's guild commands first) and the guild it is
        scoped to. In a DM, Discord offers only commands allowed there: others raise, unless
        ``force`` (a forged or outdated client)."""
        guild = self.world.guild_of(channel_id or self.channel_id)
        if guild is not None:
            for cmd in self.guild_commands.get(guild.id, []):
                if cmd["name"] == name and cmd.get("type", 1) == kind:
                    return cmd, guild.id
        found = next((c for c in self.commands if c["name"] == name and c.get("type", 1) == kind),
                     None)
        if guild is None and found is not None and not force and not _in_dms(found):
            raise ValueError(f"/{name} is not available in DMs: Discord does not offer it there")
        return found, None

    def _command_data(self, name: str, options: dict[str, Any] | None, subcommand: str | None,
                      group: str | None, focused: str | None = None,
                      channel_id: int | None = None, force: bool = False) -> dict[str, Any]:
        """Application-command interaction data with typed, nested options and resolved objects."""
        cmd, scoped_to = self._find_command(name, channel_id=channel_id, force=force)
        defs: list[dict[str, Any]] | None = cmd.get("options", []) if cmd else None
        path: list[tuple[int, str]] = [(2, group)] if group else []
        path += [(1, subcommand)] if subcommand else []
        for kind, sub in path:
            if defs is not None:
                match = next((o for o in defs if o["name"] == sub and o["type"] == kind), None)
                if match is None:
                    raise ValueError(f"/{name} has no group/subcommand {sub}")
                defs = match.get("options", [])
        if defs and not path and any(o["type"] in (1, 2) for o in defs):
            raise ValueError(f"/{name} needs a subcommand")
        resolved: dict[str, Any] = {}
        guild = self.world.guild_of(channel_id or self.channel_id)
        leaf = self._typed_options(defs, options or {}, resolved, focused, guild)
        for kind, sub in reversed(path):
            leaf = [{"type": kind, "name": sub, "options": leaf}]
        data: dict[str, Any] = {"id": cmd["id"] if cmd else str(snowflake()), "name": name,
                                "type": 1, "options": leaf}
        if scoped_to:
            data["guild_id"] = str(scoped_to)
        if resolved:
            data["resolved"] = resolved
        return data

    def _typed_options(self, defs: list[dict[str, Any]] | None, values: dict[str, Any],
                       resolved: dict[str, Any], focused: str | None,
                       guild: FakeGuild | None = None) -> list[dict[str, Any]]:
        """Type option values from the synced definitions (or the Python type when unsynced)."""
        by_name = {o["name"]: o for o in defs or []}
        if defs is not None:
            unknown = set(values) - set(by_name)
            missing = {n for n, o in by_name.items() if o.get("required") and not focused}
            missing -= set(values)
            if unknown or missing:
                raise ValueError(f"options unknown={sorted(unknown)} missing={sorted(missing)}")
        out = []
        for name, value in values.items():
            kind = by_name[name]["type"] if name in by_name else OPTION_TYPES.get(type(value), 6)
            choices = by_name.get(name, {}).get("choices")
            if name == focused:
                out.append({"type": kind, "name": name, "value": str(value), "focused": True})
                continue
            if choices and value not in [c["value"] for c in choices]:
                raise ValueError(f"{value!r} is not a choice of option {name}")
            if kind in (6, 7, 8, 9):
                value = str(value["id"] if isinstance(value, dict) else value)
                self._resolve(kind, int(value), resolved, guild or self._guild(None))
            elif kind == 4:
                value = int(value)
            elif kind == 10:
                value = float(value)
            out.append({"type": kind, "name": name, "value": value})
        return out

    def _resolve(self, kind: int, oid: int, resolved: dict[str, Any], guild: FakeGuild) -> None:
        """Fill `resolved` for user/channel/role/mentionable options."""
        if oid in guild.members and kind in (6, 9):
            resolved.setdefault("users", {})[str(oid)] = guild.members[oid]["user"]
            resolved.setdefault("members", {})[str(oid)] = self._member(oid, perms=True,
                                                                        guild=guild)
        elif oid in guild.roles and kind in (8, 9):
            resolved.setdefault("roles", {})[str(oid)] = guild.roles[oid]
        elif oid in self.channels and kind == 7:
            channel = {**self.channels[oid], "permissions": "0"}
            resolved.setdefault("channels", {})[str(oid)] = channel
        else:
            raise ValueError(f"cannot resolve id {oid} for option type {kind}")

    async def slash(self, name: str, options: dict[str, Any] | None = None, *,
                    subcommand: str | None = None, group: str | None = None, user: UserRef = None,
                    channel_id: int | None = None, force: bool = False) -> InteractionHandle:
        """A user runs /name [group] [subcommand] with options (in a DM with the DM's
        ``channel_id``; ``force`` sends a command Discord would not offer there)."""
        data = self._command_data(name, options, subcommand, group, channel_id=channel_id,
                                  force=force)
        return await self._interact(2, data, user, channel_id)

    async def message_command(self, name: str, message_id: int, *, user: UserRef = None
                              ) -> InteractionHandle:
        """A user picks Apps → `name` on a message: a type-3 (message) context menu command."""
        msg = self.messages[int(message_id)]
        cmd, scoped_to = self._find_command(name, kind=3, channel_id=int(msg["channel_id"]))
        if cmd is None:
            raise ValueError(f"no message command named {name!r} was synced")
        data: dict[str, Any] = {"id": cmd["id"], "name": name, "type": 3,
                                "target_id": msg["id"],
                                "resolved": {"messages": {msg["id"]: copy.deepcopy(msg)}}}
        if scoped_to:
            data["guild_id"] = str(scoped_to)
        return await self._interact(2, data, user, int(msg["channel_id"]))

    async def autocomplete(self, name: str, options: dict[str, Any], focused: str, *,
                           subcommand: str | None = None, group: str | None = None,
                           user: UserRef = None, channel_id: int | None = None,
                           force: bool = False) -> InteractionHandle:
        """A user types into option `focused`: type-4 interaction expecting a type-8 callback."""
        data = self._command_data(name, options, subcommand, group, focused,
                                  channel_id=channel_id, force=force)
        return await self._interact(4, data, user, channel_id)

    def _component(self, message_id: int, custom_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Find an enabled component on a stored message, as a real user could only click those."""
        msg = self.messages.get(int(message_id))
        if msg is None:
            raise ValueError(f"unknown message {message_id}")
        stack = list(msg.get("components") or [])
        while stack:
            comp = stack.pop()
            stack += comp.get("components") or []
            stack += [comp["accessory"]] if comp.get("accessory") else []
            if comp.get("custom_id") == custom_id:
                if comp.get("disabled"):
                    raise ValueError(f"component {custom_id} is disabled")
                return msg, comp
        raise ValueError(f"message {message_id} has no component {custom_id}")

    async def click(self, custom_id: str, message_id: int,
                    user: UserRef = None) -> InteractionHandle:
        """A user presses a button on a message."""
        await self.settle()
        msg, _ = self._component(message_id, custom_id)
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, data, user, int(msg["channel_id"]), msg)

    async def press(self, custom_id: str, message: dict[str, Any],
                    user: UserRef = None) -> InteractionHandle:
        """A button press sent from any copy of `message`, without settling first.

        `click` presses what the message shows now, as a careful user would. This sends what
        a stale client (an old copy of the message) or a forger could send, and lets a burst
        of presses run concurrently.
        """
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, data, user, int(message["channel_id"]), message)

    async def select(self, custom_id: str, values: list[str], message_id: int,
                     user: UserRef = None) -> InteractionHandle:
        """A user picks values in a select menu on a message."""
        await self.settle()
        msg, comp = self._component(message_id, custom_id)
        data = {"custom_id": custom_id, "component_type": comp.get("type", 3), "values": values}
        return await self._interact(3, data, user, int(msg["channel_id"]), msg)

    async def submit_modal(self, custom_id: str, values: dict[str, Any],
                           user: UserRef = None) -> InteractionHandle:
        """A user submits a modal the bot opened; keys are input custom_ids or labels."""
        await self.settle()
        modal, source = self._modals.get(custom_id, ({"components": []}, {}))
        used: set[str] = set()

        def fill(comp: dict[str, Any], label: str | None = None) -> dict[str, Any]:
            kind = comp.get("type")
            if kind == 1:
                return {"type": 1, "components": [fill(c) for c in comp["components"]]}
            if kind == 18:
                return {"type": 18, "component": fill(comp["component"], comp.get("label"))}
            cid = comp.get("custom_id")
            key = cid if cid in values else (label or comp.get("label"))
            used.add(key or "")
            value = values.get(key or "", "" if kind == 4 else [])
            return {"type": kind, "custom_id": cid, ("value" if kind == 4 else "values"): value}

        components = [fill(c) for c in modal["components"]]
        if not modal["components"]:  # unknown modal: send one text input per value
            components = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
                          for k, v in values.items()]
        elif set(values) - used:
            raise ValueError(f"modal {custom_id} has no inputs {sorted(set(values) - used)}")
        data = {"custom_id": custom_id, "components": components}
        channel_id = int(source["channel_id"]) if source else None
        return await self._interact(5, data, user, channel_id, source.get("message"))

    # ----- REST plumbing ---------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        """Parse, route, record and answer one REST call."""
        self._inflight += 1
        try:
            return await self._rest_inner(request)
        finally:
            self._inflight -= 1
            self._last_request_end = time.monotonic()

    def slow_down(self, method: str, path: str, seconds: float, calls: int = 1) -> None:
        """Hold the next `calls` requests matching `method` and the `path` regex for `seconds`
        before handling them, so a test can make a slow request finish after a later one."""
        self._slow.append([method, re.compile(path), seconds, calls])

    def rate_limit(self, method: str, path: str, retry_after: float, calls: int = 1) -> None:
        """Answer the next `calls` requests matching `method` and the `path` regex with 429 Too
        Many Requests, as Discord does (a JSON body with retry_after, and a Via header)."""
        self._limited.append([method, re.compile(path), retry_after, calls])

    @staticmethod
    def _take(rules: list[list[Any]], method: str, path: str) -> list[Any] | None:
        """The first rule for this request with calls left (using one up), if any."""
        for rule in rules:
            if rule[3] > 0 and rule[0] == method and rule[1].search(path):
                rule[3] -= 1
                return rule
        return None

    async def _rest_inner(self, request: web.Request) -> web.StreamResponse:
        """Route and record one call (see _rest)."""
        path, method = request.match_info["path"], request.method
        body, files = await self._parse_body(request)  # all of it arrived, then it waits
        slow = self._take(self._slow, method, path)
        if slow is not None:
            self.held += 1
            self._bump()
            await asyncio.sleep(slow[2])
        query = dict(request.query)
        record = RecordedRequest(method, path, body, 0, time.monotonic(), query, files)
        limited = self._take(self._limited, method, path)
        if limited is not None:
            data = {"message": "You are being rate limited.", "retry_after": limited[2],
                    "global": False}
            record.status, record.response = 429, data
            self.requests.append(record)
            self._bump()
            return web.Response(status=429, body=json.dumps(data).encode(), headers={
                "Content-Type": "application/json", "Via": "1.1 google",
                "Retry-After": str(limited[2]), "X-RateLimit-Scope": "user"})
        status, data = 404, {"code": 0, "message": "404: Not Found"}
        try:
            for methods, pattern, handler in self._routes:
                match = pattern.match(path)
                if match and method in methods.split("|"):
                    self._check_auth(request, path)
                    status, data = await handler(_Call(method, {k: v for k, v in
                                                                match.groupdict().items() if v},
                                                           body, files, query))
                    break
            else:
                self.unknown_routes.append(record)
        except ApiError as exc:
            status, data = exc.status, exc.body()
        record.status, record.response = status, data
        self.requests.append(record)
        self._bump()
        if status == 204:
            return web.Response(status=204)
        # Exactly "application/json": discord.py's json_or_text compares the header verbatim.
        return web.Response(status=status, body=json.dumps(data).encode(),
                            headers={"Content-Type": "application/json"})

    async def _parse_body(self, request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
        """JSON body, or multipart payload_json + files[n] as discord.py sends attachments."""
        if not request.can_read_body:
            return None, []
        if request.content_type == "multipart/form-data":
            form = await request.post()
            files = [{"field": k, "filename": v.filename, "data": v.file.read()}
                     for k, v in form.items() if isinstance(v, web.FileField)]
            raw = form.get("payload_json")
            return (json.loads(raw) if isinstance(raw, str) else None), files
        text = await request.text()
        return (json.loads(text) if text else None), []

    def _check_auth(self, request: web.Request, path: str) -> None:
        """Bot-token routes need `Authorization: Bot <token>`; webhook-token routes do not."""
        if path.startswith(("/interactions/", "/webhooks/")):
            return
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise ApiError(401, 0, "401: Unauthorized")

    def _store(self, msg: dict[str, Any], *, public: bool) -> dict[str, Any]:
        """Keep a message by id, and in its channel's history unless ephemeral."""
        self.messages[int(msg["id"])] = msg
        if public:
            self._order.setdefault(int(msg["channel_id"]), []).append(int(msg["id"]))
        return msg

    async def _bot_message(self, cid: int, body: dict[str, Any], files: list[dict[str, Any]],
                           *, ephemeral: bool = False, **extra: Any) -> dict[str, Any]:
        """Validate and store a message authored by the bot, then echo MESSAGE_CREATE."""
        errors = limits.validate_message(body)
        if errors:
            raise invalid_form(errors)
        attachments = self.uploads.attachments(body, files, [])
        body = {**body, "attachments": attachments,
                "embeds": resolve_embeds(body.get("embeds") or [], attachments)}
        if not any(body.get(k) for k in ("content", "embeds", "components", "attachments",
                                          "sticker_ids", "poll")) and not extra.get("loading"):
            raise ApiError(400, 50006, "Cannot send an empty message")
        guild = self.world.guild_of(cid)
        msg = payloads.message(cid, guild.id if guild else None, self.bot_user, body)
        msg.update({k: v for k, v in extra.items() if k != "loading"})
        if extra.get("webhook_id"):
            msg["application_id"] = str(self.application_id)
        self._store(msg, public=not ephemeral)
        if not ephemeral:
            if guild:
                msg["member"] = self._member(int(self.bot_user["id"]), guild=guild)
            await self.dispatch("MESSAGE_CREATE", msg, intent=_intent(guild))
        return msg

    async def _edit(self, msg: dict[str, Any], body: dict[str, Any],
                    files: list[dict[str, Any]]) -> dict[str, Any]:
        """Validate and apply an edit, then echo MESSAGE_UPDATE for public messages."""
        errors = limits.validate_message(body)
        if errors:
            raise invalid_form(errors)
        if "attachments" in body or files:
            attachments = self.uploads.attachments(body, files, msg["attachments"])
            body = {**body, "attachments": attachments}
            embeds = body["embeds"] if "embeds" in body else msg["embeds"]
            body["embeds"] = resolve_embeds(embeds or [], attachments)
        elif body.get("embeds"):
            body = {**body, "embeds": resolve_embeds(body["embeds"], msg["attachments"])}
        payloads.apply_edit(msg, body)
        if int(msg["id"]) in self._order.get(int(msg["channel_id"]), []):
            guild = self.world.guild_of(int(msg["channel_id"]))
            await self.dispatch("MESSAGE_UPDATE", msg, intent=_intent(guild))
        return msg

    async def delete_message(self, message_id: int) -> None:
        """A member (a moderator, say) deletes a message, as the Discord client would."""
        await self._delete(self.messages[message_id])

    async def _delete(self, msg: dict[str, Any]) -> None:
        """Forget a message and echo MESSAGE_DELETE unless it was ephemeral."""
        self.messages.pop(int(msg["id"]), None)
        if int(msg["id"]) in self._order.get(int(msg["channel_id"]), []):
            guild = self.world.guild_of(int(msg["channel_id"]))
            event = {"id": msg["id"], "channel_id": msg["channel_id"]}
            if guild:
                event["guild_id"] = str(guild.id)
            await self.dispatch("MESSAGE_DELETE", event, intent=_intent(guild))

    # ----- REST routes -----------------------------------------------------------------------
    async def _get_me(self, call: _Call) -> tuple[int, Any]:
        return 200, self.bot_user

    async def _get_app(self, call: _Call) -> tuple[int, Any]:
        return 200, payloads.application(self.application_id, self.default_user)

    async def _get_gateway(self, call: _Call) -> tuple[int, Any]:
        data: dict[str, Any] = {"url": self.gateway_url}
        if call.params.get("bot"):
            data.update(shards=1, session_start_limit={"total": 1000, "remaining": 1000,
                                                       "reset_after": 0, "max_concurrency": 1})
        return 200, data

    async def _commands(self, call: _Call) -> tuple[int, Any]:
        """GET or bulk-overwrite (PUT) global or guild commands, validating like Discord."""
        if int(call.params["app"]) != self.application_id:
            raise ApiError(403, 50001, "Missing Access")
        guild = int(call.params["guild"]) if "guild" in call.params else None
        if guild is not None and guild not in self.guilds:
            raise ApiError(403, 50001, "Missing Access")
        if call.method == "PUT":
            errors = limits.validate_commands(call.body or [])
            if errors:
                raise invalid_form(errors)
            # Discord answers with every field set: context menus get an empty description
            stored = [{"description": "", **c, "id": str(snowflake()),
                       "application_id": str(self.application_id),
                       "version": str(snowflake()), "default_member_permissions":
                       c.get("default_member_permissions"), "type": c.get("type", 1),
                       **({"guild_id": str(guild)} if guild else {})} for c in call.body]
            if guild is None:
                self.commands = stored
            else:
                self.guild_commands[guild] = stored
        return 200, self.commands if guild is None else self.guild_commands.get(guild, [])

    async def _callback(self, call: _Call) -> tuple[int, Any]:
        """An interaction response: enforce single ack, the deadline and per-type limits."""
        handle = self._interactions.get(call.params["iid"])
        if handle is None or handle.token != call.params["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if handle.response is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - handle.dispatched_at > self.callback_deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        body = call.body or {}
        kind, data, itype = body.get("type"), body.get("data") or {}, handle.payload["type"]
        if kind not in ALLOWED_CALLBACKS[itype]:
            raise invalid_form([f"type: Callback {kind} is invalid for interaction type {itype}"])
        errors = {8: limits.validate_autocomplete, 9: limits.validate_modal}.get(
            kind, lambda _: [])(data)
        if errors:
            raise invalid_form(errors)
        cid, source = int(handle.payload["channel_id"]), handle.payload.get("message")
        msg: dict[str, Any] | None = None
        if kind in (4, 5):
            ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
            if kind == 5:
                data = {"flags": (data.get("flags") or 0) | LOADING}
            msg = await self._bot_message(cid, data, call.files, ephemeral=ephemeral,
                                          webhook_id=str(self.application_id), loading=kind == 5)
        elif kind in (6, 7) and source is not None:
            msg = self.messages.get(int(source["id"]))
            if kind == 7 and msg is not None:
                await self._edit(msg, data, call.files)
        elif kind == 9:
            self._modals[data["custom_id"]] = (data, handle.payload)
        if msg is not None:
            handle.original_id = int(msg["id"])
        handle.response, handle.responded_at = body, time.monotonic()
        self._bump()
        if call.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        info: dict[str, Any] = {"id": handle.id, "type": itype,
                                "response_message_loading": kind == 5}
        if msg is not None:
            info.update(response_message_id=msg["id"],
                        response_message_ephemeral=bool(msg["flags"] & EPHEMERAL))
        resource: dict[str, Any] = {"type": kind}
        if msg is not None and kind != 6:
            resource["message"] = msg
        return 200, {"interaction": info, "resource": resource}

    def _handle_for(self, call: _Call) -> InteractionHandle:
        """The acknowledged interaction owning a webhook token, else Discord's Unknown Webhook."""
        token, app = call.params["token"], int(call.params["app"])
        handle = next((h for h in self._interactions.values() if h.token == token), None)
        if handle is None or handle.response is None or app != self.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        return handle

    async def _followup(self, call: _Call) -> tuple[int, Any]:
        """Followup message; the first one after a type-5 defer fills the loading message."""
        handle, body = self._handle_for(call), call.body or {}
        original = handle.original
        if original is not None and original["flags"] & LOADING and not handle.followup_ids:
            flags = (original["flags"] & ~LOADING) | ((body.get("flags") or 0) & ~EPHEMERAL)
            msg = await self._edit(original, {**body, "flags": flags}, call.files)
        else:
            ephemeral = bool((body.get("flags") or 0) & EPHEMERAL)
            msg = await self._bot_message(int(handle.payload["channel_id"]), body, call.files,
                                          ephemeral=ephemeral, webhook_id=str(self.application_id))
        handle.followup_ids.append(int(msg["id"]))
        self._bump()
        return (200, msg) if call.query.get("wait") in ("1", "true", "True") else (204, None)

    async def _webhook_message(self, call: _Call) -> tuple[int, Any]:
        """GET/PATCH/DELETE the original response or a followup."""
        handle = self._handle_for(call)
        mid = handle.original_id if call.params["mid"] == "@original" else int(call.params["mid"])
        msg = self.messages.get(mid or 0)
        if msg is None or mid not in [handle.original_id, *handle.followup_ids]:
            raise unknown_message()
        if call.method == "PATCH":
            body = call.body or {}
            if msg["flags"] & LOADING:
                body = {**body, "flags": (msg["flags"] & ~LOADING) | (body.get("flags") or 0)}
            return 200, await self._edit(msg, body, call.files)
        if call.method == "DELETE":
            await self._delete(msg)
            return 204, None
        return 200, msg

    def _channel(self, call: _Call) -> int:
        """Channel id from the path, or Discord's Unknown Channel."""
        cid = int(call.params["cid"])
        if cid not in self.channels:
            raise unknown_channel()
        return cid

    def _message(self, call: _Call) -> dict[str, Any]:
        """Message in the path's channel, or Unknown Message."""
        msg = self.messages.get(int(call.params["mid"]))
        if msg is None or int(msg["channel_id"]) != self._channel(call):
            raise unknown_message()
        return msg

    async def _channel_messages(self, call: _Call) -> tuple[int, Any]:
        """POST a message (checking the bot's permissions there, and ``enforce_nonce``);
        replies (message_reference) get type 19 and referenced_message."""
        cid, body, extra = self._channel(call), call.body or {}, {}
        earlier = await self._before_post(cid, body, call.files)
        if earlier is not None:  # the same nonce, recently: Discord returns that message
            return 200, earlier
        ref = body.get("message_reference")
        if ref:
            target = self.messages.get(int(ref["message_id"]))
            if target is None and ref.get("fail_if_not_exists", True):
                raise invalid_form(["message_reference: Unknown message"])
            guild = self.world.guild_of(cid)
            extra = {"type": 19, "message_reference": {
                **ref, "message_id": str(ref["message_id"]), "channel_id": str(cid),
                **({"guild_id": str(guild.id)} if guild else {})},
                     "referenced_message": {k: v for k, v in (target or {}).items()
                                            if k != "referenced_message"} or None}
        msg = await self._bot_message(cid, body, call.files, **extra)
        self._remember_nonce(body, msg)
        return 200, msg

    async def _channel_message(self, call: _Call) -> tuple[int, Any]:
        """GET, PATCH (own messages only; new files need Attach Files) or DELETE one channel
        message."""
        msg = self._message(call)
        if call.method == "PATCH":
            if msg["author"]["id"] != self.bot_user["id"]:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
            if call.files and self.world.channels[int(msg["channel_id"])].get("type") != 1:
                self._require(int(msg["channel_id"]), "ATTACH_FILES")
            return 200, await self._edit(msg, call.body or {}, call.files)
        if call.method == "DELETE":
            await self._delete(msg)
            return 204, None
        return 200, fetched(msg)

    async def _typing(self, call: _Call) -> tuple[int, Any]:
        self._channel(call)
        return 204, None


def _intent(guild: FakeGuild | None) -> int:
    """The intent a message event in this place needs: guild messages, or DMs."""
    return INTENT_GUILD_MESSAGES if guild else INTENT_DM_MESSAGES


def _in_dms(command: dict[str, Any]) -> bool:
    """Whether Discord offers a synced command in a DM with the bot (contexts, else the older
    dm_permission flag)."""
    contexts = command.get("contexts")
    if contexts is not None:
        return 1 in contexts
    return command.get("dm_permission") is not False
