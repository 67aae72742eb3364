"""Querying one game server through opengsq, with a timeout, a size cap and a normalised result (the limits
under opengsq's sockets are in ``wire.py``).

A probe never raises: every failure (timeout, refused, garbage, oversized answer) comes back as an offline
:class:`QueryResult` whose ``error`` says what went wrong, so the monitor can record it and go on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import opengsq.protocols
from opengsq.protocols import FiveM, Minecraft, RakNet

from cogs.status import http_probe, wire
from cogs.status.http_probe import address_policy, probe_session
from cogs.status.targets import OPENGSQ_PROTOCOLS, Target
from cogs.status.wire import BadAnswer, CappedSource, probe_limits

log = logging.getLogger(__name__)

MAX_TEXT = 100
MAX_PLAYER_NAMES = 50
MAX_PLAYERS = 1_000_000
DEFAULT_TIMEOUT = 5.0
_COLOUR_CODES = re.compile(r"\u00a7[0-9a-fk-or]|\^[0-9]", re.IGNORECASE)  # Minecraft §x, FiveM/Quake ^n


@dataclass(frozen=True, slots=True)
class QueryResult:
    online: bool
    players: int | None = None
    max_players: int | None = None
    name: str | None = None
    map: str | None = None
    version: str | None = None
    latency_ms: float | None = None
    player_names: tuple[str, ...] = field(default_factory=tuple)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["player_names"] = list(self.player_names)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueryResult:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["player_names"] = tuple(values.get("player_names") or ())
        return cls(**values)


class _CappedFiveM(FiveM):
    """FiveM's JSON endpoints through a probe session: capped, no redirects, the address policy on connect."""

    async def _get(self, filename: str) -> Any:
        url = f"http://{self._host}:{self._port}/{filename}.json"
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with probe_session(timeout=timeout) as session, session.get(url, allow_redirects=False) as response:
            if response.status != 200:
                raise BadAnswer(f"HTTP {response.status}")
            body = await response.read()
            try:
                return json.loads(body)
            except ValueError:
                raise BadAnswer("not JSON") from None


def clean_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Outside text made safe to store: a string, no control characters, bounded length."""
    if value is None:
        return None
    if isinstance(value, dict):  # Minecraft chat components
        value = _component_text(value, depth=0)
    text = _COLOUR_CODES.sub("", str(value)[:4096])
    text = " ".join("".join(ch for ch in text if ch.isprintable() or ch == " ").split())
    return text[:limit] or None


def _component_text(value: Any, depth: int) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or depth > 8:
        return ""
    extra: list[Any] = value["extra"] if isinstance(value.get("extra"), list) else []
    return str(value.get("text") or "") + "".join(_component_text(x, depth + 1) for x in extra[:50])


def clean_count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadAnswer(f"player count is not a number: {str(value)[:20]!r}")
    try:
        number = int(value)
    except ValueError:
        raise BadAnswer(f"player count is not a number: {str(value)[:20]!r}") from None
    if not 0 <= number <= MAX_PLAYERS:
        raise BadAnswer(f"player count out of range: {number}")
    return number


def _names(items: Any) -> tuple[str, ...]:
    names = []
    for item in list(items or [])[:MAX_PLAYER_NAMES]:
        raw = item.get("name") if isinstance(item, dict) else getattr(item, "name", item)
        name = clean_text(raw, 32)
        if name:
            names.append(name)
    return tuple(names)


def _as_dict(answer: Any) -> dict[str, Any]:
    if isinstance(answer, dict):
        return answer
    if dataclasses.is_dataclass(answer) and not isinstance(answer, type):
        return {f.name: getattr(answer, f.name) for f in dataclasses.fields(answer)}
    if hasattr(answer, "__dict__"):
        return dict(vars(answer))
    raise BadAnswer(f"unexpected answer type {type(answer).__name__}")


def _first(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if data.get(key) not in (None, ""):
            return data[key]
    return None


def normalise_generic(answer: Any) -> dict[str, Any]:
    """Best effort for the many opengsq protocols whose answers name things differently."""
    data = _as_dict(answer)
    players = _first(data, "num_players", "numplayers", "players", "clients", "virtualserver_clientsonline")
    names: tuple[str, ...] = ()
    if isinstance(players, list):
        names, players = _names(players), len(players)
    return {
        "name": _first(data, "name", "server_name", "hostname", "sv_hostname", "virtualserver_name", "motd"),
        "map": _first(data, "map", "map_name", "mapname", "mapName"),
        "version": _first(data, "version", "version_name", "gamever"),
        "players": players,
        "max_players": _first(data, "max_players", "maxplayers", "sv_maxclients", "virtualserver_maxclients"),
        "player_names": names,
    }


async def _query_minecraft(host: str, ip: str, port: int, seconds: float) -> dict[str, Any]:
    del ip  # Minecraft proxies route by the host name in the handshake, so connect by name
    data = _as_dict(await Minecraft(host, port, seconds).get_status())
    players: dict[str, Any] = data["players"] if isinstance(data.get("players"), dict) else {}
    version: dict[str, Any] = data["version"] if isinstance(data.get("version"), dict) else {}
    return {
        "name": data.get("description"),
        "version": version.get("name"),
        "players": players.get("online"),
        "max_players": players.get("max"),
        "player_names": _names(players.get("sample") if isinstance(players.get("sample"), list) else []),
    }


async def _query_bedrock(host: str, ip: str, port: int, seconds: float) -> dict[str, Any]:
    status = await RakNet(ip, port, seconds).get_status()
    return {
        "name": status.motd_line1,
        "map": status.motd_line2,
        "version": status.version_name,
        "players": status.num_players,
        "max_players": status.max_players,
    }


async def _query_source(host: str, ip: str, port: int, seconds: float) -> dict[str, Any]:
    source = CappedSource(ip, port, seconds)
    info = await source.get_info()  # opengsq answers the S2C_CHALLENGE itself
    names: tuple[str, ...] = ()
    if getattr(info, "players", 0):
        try:
            names = _names(await source.get_players())
        except (TimeoutError, OSError, BadAnswer, ValueError, IndexError, KeyError) as exc:
            log.debug("A2S_PLAYER of %s:%s failed: %r", ip, port, exc)
    return {
        "name": info.name,
        "map": info.map,
        "version": getattr(info, "version", None),
        "players": info.players,
        "max_players": info.max_players,
        "player_names": names,
    }


async def _query_fivem(host: str, ip: str, port: int, seconds: float) -> dict[str, Any]:
    fivem = _CappedFiveM(ip, port, seconds)
    dynamic = await fivem.get_dynamic()
    if not isinstance(dynamic, dict):
        raise BadAnswer("dynamic.json is not an object")
    return {
        "name": dynamic.get("hostname"),
        "map": dynamic.get("mapname"),
        "version": None,
        "players": dynamic.get("clients"),
        "max_players": dynamic.get("sv_maxclients"),
    }


async def _query_opengsq(protocol: str, ip: str, port: int, seconds: float) -> dict[str, Any]:
    name = OPENGSQ_PROTOCOLS[protocol]
    cls = wire.CAPPED_PROTOCOLS.get(name) or getattr(opengsq.protocols, name)
    client = cls(ip, port, seconds)
    for method in ("get_status", "get_info", "get_details"):
        if hasattr(client, method):
            return normalise_generic(await getattr(client, method)())
    raise BadAnswer(f"opengsq's {cls.__name__} has no status call")


class Prober:
    """Runs one probe against an already resolved (and policy-checked) IP.

    ``connect_by_name``: Minecraft connects by host name (proxies route on the name in the handshake); switch it
    off on instances that refuse private addresses so a DNS answer cannot change between check and connect.
    ``allow_private``: the address policy every HTTP connection of a probe is checked against again (redirects are
    refused anyway; some opengsq protocols open connections of their own).
    """

    def __init__(
        self, *, timeout: float = DEFAULT_TIMEOUT, connect_by_name: bool = True, allow_private: bool = False
    ) -> None:
        self.timeout = timeout
        self.connect_by_name = connect_by_name
        self.allow_private = allow_private
        wire.install()
        http_probe.install()

    async def probe(self, target: Target, ip: str) -> QueryResult:
        started = time.perf_counter()
        try:
            # every socket of this probe draws from one budget of bytes and packets; HTTP obeys the address policy
            with probe_limits(), address_policy(allow_private=self.allow_private):
                raw = await asyncio.wait_for(self._query(target, ip), timeout=self.timeout + 1)
            result = QueryResult(
                online=True,
                name=clean_text(raw.get("name")),
                map=clean_text(raw.get("map"), 64),
                version=clean_text(raw.get("version"), 64),
                players=clean_count(raw.get("players")),
                max_players=clean_count(raw.get("max_players")),
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                player_names=tuple(raw.get("player_names") or ()),
            )
        # The reasons are stored in English; cogs.status.views.reason_text shows them in the reader's language
        # (keep these texts and the ones it lists the same).
        except TimeoutError:
            return QueryResult(online=False, error=f"no answer within {self.timeout:g} s")
        except ConnectionRefusedError:
            return QueryResult(online=False, error="connection refused")
        except OSError as exc:
            return QueryResult(online=False, error=f"network error: {exc.strerror or type(exc).__name__}"[:200])
        except BadAnswer as exc:
            return QueryResult(online=False, error=f"bad answer: {exc}"[:200])
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # opengsq raises many kinds on garbage (struct, index, unicode, json …)
            log.debug("probe of %s failed", target.shown, exc_info=True)
            return QueryResult(online=False, error=f"bad answer: {type(exc).__name__}"[:200])
        return result

    async def _query(self, target: Target, ip: str) -> dict[str, Any]:
        port, timeout = target.query_port, self.timeout
        if target.protocol == "minecraft":
            return await _query_minecraft(target.host if self.connect_by_name else ip, ip, port, timeout)
        if target.protocol == "bedrock":
            return await _query_bedrock(target.host, ip, port, timeout)
        if target.protocol == "source":
            return await _query_source(target.host, ip, port, timeout)
        if target.protocol == "fivem":
            return await _query_fivem(target.host, ip, port, timeout)
        return await _query_opengsq(target.protocol, ip, port, timeout)
