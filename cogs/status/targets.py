"""Where and how to query a game server: protocol by game name, ports, address checks. No Discord here."""

from __future__ import annotations

from dataclasses import dataclass

import opengsq.protocols

from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.validation import clean_address, quoted

# Game names (as owners type them in /setup, lower case) -> (protocol key, default game port).
GAMES: dict[str, tuple[str, int]] = {
    "minecraft": ("minecraft", 25565),
    "minecraft java": ("minecraft", 25565),
    "mc": ("minecraft", 25565),
    "minecraft bedrock": ("bedrock", 19132),
    "bedrock": ("bedrock", 19132),
    "mcbe": ("bedrock", 19132),
    "fivem": ("fivem", 30120),
    "redm": ("fivem", 30120),
    "gta5": ("fivem", 30120),
}
SOURCE_GAMES = (
    "source", "csgo", "cs2", "css", "cstrike", "tf2", "gmod", "garrysmod", "rust", "ark", "valheim", "l4d", "l4d2",
    "dayz", "arma3", "7dtd", "7 days to die", "unturned", "insurgency", "squad", "conan", "hl2dm", "dod", "dods",
    "csgo2", "projectzomboid", "pz", "terraria", "vrising", "palworld-a2s", "left4dead2", "counter-strike",
)  # fmt: skip
for _game in SOURCE_GAMES:
    GAMES.setdefault(_game, ("source", 27015))

# Every other protocol opengsq speaks is selectable by its class name in lower case (samp, quake3, eos …).
OPENGSQ_PROTOCOLS: dict[str, str] = {name.lower(): name for name in opengsq.protocols.__all__}
NATIVE = {"minecraft", "bedrock", "source", "fivem"}


def protocol_names() -> list[str]:
    return sorted(NATIVE | set(OPENGSQ_PROTOCOLS) - {"raknet"})


@dataclass(frozen=True, slots=True)
class Target:
    """One probe destination. ``host`` is what the owner typed; ``ip`` is set once resolved."""

    server_id: int
    protocol: str
    host: str
    port: int
    query_port: int

    @property
    def shown(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def protocol_for(game: str | None, override: str | None = None) -> str:
    """The protocol key for a server: the explicit override, else from its game name, else Source (A2S)."""
    if override:
        key = override.strip().lower()
        if key in NATIVE or key in OPENGSQ_PROTOCOLS:
            return "bedrock" if key == "raknet" else key
        raise UserError(
            _(
                "I don't know the query protocol {protocol}. Start typing in the protocol option to see the ones I "
                "know, or leave it empty to pick it from the game.",
                protocol=quoted(override),
            )
        )
    if game:
        name = game.strip().lower()
        if name in GAMES:
            return GAMES[name][0]
        if name in OPENGSQ_PROTOCOLS:
            return "bedrock" if name == "raknet" else name
    return "source"


def default_port(protocol: str) -> int:
    return {"minecraft": 25565, "bedrock": 19132, "fivem": 30120}.get(protocol, 27015)


def split_address(address: str) -> tuple[str, int | None]:
    normal = clean_address(address)
    if normal is None:
        raise UserError(_("The server has no address. Set one with /setup options address:host:port."))
    if normal.startswith("["):
        host, _bracket, rest = normal[1:].partition("]")
        return host, int(rest[1:]) if rest else None
    host, _colon, port = normal.partition(":")
    return host, int(port) if port else None


def check_port(port: int, what: str = "port") -> int:
    """``what``: ``port`` (the game port) or ``query port``."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        if what == "query port":
            raise UserError(_("The query port must be a number between 1 and 65535, not {port}.", port=repr(port)))
        raise UserError(_("The port must be a number between 1 and 65535, not {port}.", port=repr(port)))
    return port


def build_target(
    server_id: int, address: str | None, game: str | None, *, protocol: str | None = None, query_port: int | None = None
) -> Target:
    """A probe target from the server's stored address and game plus the optional status settings."""
    if not address:
        raise UserError(_("The server has no address. Set one with /setup options address:host:port."))
    key = protocol_for(game, protocol)
    host, port = split_address(address)
    port = check_port(port or default_port(key))
    query = check_port(query_port, "query port") if query_port is not None else port
    return Target(server_id=server_id, protocol=key, host=host, port=port, query_port=query)
