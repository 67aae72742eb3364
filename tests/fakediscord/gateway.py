"""The gateway websocket: HELLO/IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME with replay, dispatch routing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from .payloads import guild_create_json, member_json, user_json
from .state import INTENT_GUILD_MEMBERS, State

log = logging.getLogger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11
BUFFER_LIMIT = 2000
READY_SLICE = 200  # GUILD_CREATEs built between two yields to the event loop


class Connection:
    """One websocket; frames go out in order through a queue drained by a sender task."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.session: Session | None = None
        self.sender = asyncio.create_task(self._send_loop(), name="fakediscord-gateway-sender")

    async def _send_loop(self) -> None:
        while True:
            frame = await self.queue.get()
            if frame is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    def send(self, payload: dict[str, Any]) -> None:
        self.queue.put_nowait(json.dumps(payload))

    async def stop(self) -> None:
        self.queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self.sender, 2)


class Session:
    def __init__(self, shard_id: int, shard_count: int, intents: int) -> None:
        self.id = secrets.token_hex(16)
        self.shard_id = shard_id
        self.shard_count = shard_count
        self.intents = intents
        self.seq = 0
        self.buffer: deque[tuple[int, str]] = deque(maxlen=BUFFER_LIMIT)
        self.conn: Connection | None = None
        self.alive = True
        self.ready = False
        self.resumes = 0

    def dispatch(self, t: str, d: dict[str, Any]) -> None:
        self.seq += 1
        frame = json.dumps({"op": OP_DISPATCH, "t": t, "s": self.seq, "d": d})
        self.buffer.append((self.seq, frame))
        if self.conn is not None:
            self.conn.queue.put_nowait(frame)

    def owns_guild(self, guild_id: int) -> bool:
        return (guild_id >> 22) % self.shard_count == self.shard_id


# discord.py's keep-alive thread records when it sent a heartbeat only after the event loop reports the frame
# written; an ACK that arrives before that (loopback answers in well under a millisecond) is measured from the
# previous heartbeat, and the bot logs "Can't keep up, shard ID 0 websocket is 41.3s behind". Discord's ACK comes
# a network round trip later; the fake waits as long.
HEARTBEAT_ACK_DELAY = 0.1


class Gateway:
    def __init__(
        self,
        state: State,
        url: Callable[[], str],
        heartbeat_interval_ms: int = 41250,
        heartbeat_ack_delay: float = HEARTBEAT_ACK_DELAY,
    ) -> None:
        self.state = state
        self.url = url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.heartbeat_ack_delay = heartbeat_ack_delay
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identifies = 0
        state.emit = self.emit

    # --------------------------------------------------------------- routing
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.alive]

    def session_for(self, guild_id: int | None) -> Session | None:
        for session in reversed(self.live_sessions()):
            if session.owns_guild(guild_id or 0):
                return session
        return None

    def emit(self, t: str, d: dict[str, Any], guild_id: int | None, intent: int | None = None) -> None:
        """Send a dispatch to the session owning ``guild_id`` (shard 0 for DMs), if it asked for ``intent``."""
        session = self.session_for(guild_id)
        if session is None or (intent is not None and not session.intents & intent):
            return
        session.dispatch(t, d)

    def all_ready(self) -> bool:
        live = [s for s in self.live_sessions() if s.ready]
        if not live:
            return False
        count = live[-1].shard_count
        return {s.shard_id for s in live if s.shard_count == count} >= set(range(count))

    # ------------------------------------------------------------- lifecycle
    async def disconnect(self, code: int = 4000) -> int:
        """Close every open gateway websocket with ``code``; resumable codes keep the sessions."""
        conns = list(self.connections)
        for conn in conns:
            if code in (4007, 4009) and conn.session is not None:
                conn.session.alive = False
            await self._close(conn, code)
        return len(conns)

    async def _close(self, conn: Connection, code: int, message: bytes = b"") -> None:
        if conn.session is not None and conn.session.conn is conn:
            conn.session.conn = None
        await conn.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.ws.close(code=code, message=message), 5)

    async def close_all(self) -> None:
        await self.disconnect(1001)
        for s in self.sessions.values():
            s.alive = False

    # ------------------------------------------------------------------ ws
    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws)
        self.connections.add(conn)
        conn.send(
            {
                "op": OP_HELLO,
                "s": None,
                "t": None,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fakediscord"]},
            }
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await self._close(conn, 4002, b"Error while decoding payload.")
                    break
                if not await self._handle(conn, payload):
                    break
        finally:
            self.connections.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if ws.close_code in (1000, 1001):
                    # A client closing with 1000/1001 ends its session for good, as on Discord.
                    session.alive = False
            await conn.stop()
            self.state.notify()
        return ws

    async def _handle(self, conn: Connection, payload: dict[str, Any]) -> bool:
        op = payload.get("op")
        d = payload.get("d")
        if op == OP_HEARTBEAT:
            ack = {"op": OP_HEARTBEAT_ACK, "s": None, "t": None, "d": None}
            asyncio.get_running_loop().call_later(self.heartbeat_ack_delay, conn.send, ack)
            return True
        if op == OP_IDENTIFY:
            return await self._identify(conn, d or {})
        if op == OP_RESUME:
            return await self._resume(conn, d or {})
        if conn.session is None:
            await self._close(conn, 4003, b"Not authenticated.")
            return False
        if op == OP_REQUEST_MEMBERS:
            self._request_members(conn.session, d or {})
            return True
        if op in (OP_PRESENCE, OP_VOICE):
            return True
        await self._close(conn, 4001, b"Unknown opcode.")
        return False

    def _token_ok(self, token: Any) -> bool:
        token = str(token or "")
        token = token.removeprefix("Bot ")
        return secrets.compare_digest(token, self.state.token)

    async def _identify(self, conn: Connection, d: dict[str, Any]) -> bool:
        if conn.session is not None:
            await self._close(conn, 4005, b"Already authenticated.")
            return False
        if not self._token_ok(d.get("token")):
            await self._close(conn, 4004, b"Authentication failed.")
            return False
        shard_id, shard_count = (d.get("shard") or [0, 1])[:2]
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await self._close(conn, 4010, b"Invalid shard.")
            return False
        for old in self.live_sessions():
            if old.shard_id == shard_id:
                old.alive = False
        session = Session(shard_id, shard_count, int(d.get("intents", 0)))
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        self.identifies += 1
        state = self.state
        guilds = [g for g in state.guilds.values() if session.owns_guild(g["id"])]
        me = dict(user_json(state, state.bot_user_id), verified=True, mfa_enabled=False, email=None)
        session.dispatch(
            "READY",
            {
                "v": 10,
                "user": me,
                "user_settings": {},
                "guilds": [{"id": str(g["id"]), "unavailable": True} for g in guilds],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": self.url(),
                "shard": [shard_id, shard_count],
                "application": {"id": str(state.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "guild_join_requests": [],
                "_trace": ["fakediscord"],
            },
        )
        all_members = bool(session.intents & INTENT_GUILD_MEMBERS)
        for index, guild in enumerate(guilds):
            if index and index % READY_SLICE == 0:
                await asyncio.sleep(0)  # thousands of guilds: let the REST and control routes answer meanwhile
                if not session.alive or session.conn is not conn:
                    return True
            if guild["id"] in state.guilds:
                session.dispatch("GUILD_CREATE", guild_create_json(state, guild, all_members=all_members))
        sent = {g["id"] for g in guilds}
        joined = [g for g in state.guilds.values() if g["id"] not in sent and session.owns_guild(g["id"])]
        for guild in joined:  # added while the READY guilds went out
            session.dispatch("GUILD_CREATE", guild_create_json(state, guild, all_members=all_members))
        session.ready = True
        state.notify()
        return True

    async def _resume(self, conn: Connection, d: dict[str, Any]) -> bool:
        if not self._token_ok(d.get("token")):
            await self._close(conn, 4004, b"Authentication failed.")
            return False
        session = self.sessions.get(str(d.get("session_id")))
        if session is None or not session.alive:
            conn.send({"op": OP_INVALID_SESSION, "s": None, "t": None, "d": False})
            return True
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            session.conn = None
            await self._close(old, 4000)
        seq = int(d.get("seq") or 0)
        for s, frame in list(session.buffer):
            if s > seq:
                conn.queue.put_nowait(frame)
        session.conn = conn
        conn.session = session
        session.resumes += 1
        session.dispatch("RESUMED", {"_trace": ["fakediscord"]})
        self.state.notify()
        return True

    def _request_members(self, session: Session, d: dict[str, Any]) -> None:
        state = self.state
        guild = state.guilds.get(int(d.get("guild_id", 0)))
        if guild is None:
            return
        uids = list(guild["members"])
        if d.get("user_ids"):
            wanted = d["user_ids"] if isinstance(d["user_ids"], list) else [d["user_ids"]]
            uids = [u for u in uids if str(u) in {str(w) for w in wanted}]
        elif d.get("query"):
            query = str(d["query"]).lower()
            uids = [u for u in uids if state.users[u]["username"].lower().startswith(query)]
        limit = int(d.get("limit") or 0)
        if limit:
            uids = uids[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild["id"]),
            "members": [member_json(state, guild, u) for u in uids],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("presences"):
            chunk["presences"] = []
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)
