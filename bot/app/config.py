"""Typed settings: ``bot.toml`` plus environment overrides.

Precedence (highest first): ``VOTEBOT_<SECTION>__<KEY>`` environment variables (top-level keys:
``VOTEBOT_<KEY>``), the common ``DISCORD_TOKEN`` / ``DATABASE_URL`` variables, ``bot.toml``, defaults.
Every key is declared once in :data:`SCHEMA`; unknown or invalid keys fail with a :class:`ConfigError`
that names the key. Secrets are masked whenever the config is shown.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.core.text import mask

DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
ENV_PREFIX = "VOTEBOT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SECRET = 16

TOKEN_HELP = (
    "no Discord bot token configured (key 'discord.token'). Create an application at "  # noqa: S105
    "https://discord.com/developers/applications, open 'Bot', press 'Reset Token' and put the token in "
    'bot.toml under [discord] token = "..." or in the DISCORD_TOKEN environment variable.'
)


MAX_REQUESTS_PER_SECOND = 50.0  # Discord's global limit for a bot


class ConfigError(Exception):
    """A configuration problem; the message always names the offending key."""


def _port(key: str, value: Any) -> int:
    number = _int(key, value)
    if not 0 <= number <= 65535:
        raise ConfigError(f"{key}: port must be between 0 and 65535, got {number}")
    return number


def _int(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{key}: expected an integer, got {value!r}")


def _positive_int(key: str, value: Any) -> int:
    number = _int(key, value)
    if number < 1:
        raise ConfigError(f"{key}: must be at least 1, got {number}")
    return number


def _float(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected a number, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{key}: must be greater than 0, got {number}")
    return number


def _request_rate(key: str, value: Any) -> float:
    rate = _float(key, value)
    if rate > MAX_REQUESTS_PER_SECOND:
        limit = f"{MAX_REQUESTS_PER_SECOND:g}"
        raise ConfigError(f"{key}: Discord allows a bot {limit} requests per second in all, got {rate:g}")
    return rate


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    raise ConfigError(f"{key}: expected true or false, got {value!r}")


def _str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    return value.strip()


def _http_url(key: str, value: Any, *, allow_empty: bool) -> str:
    text = _str(key, value).rstrip("/")
    if not text and allow_empty:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"{key}: expected an http:// or https:// URL, got {text!r}")
    return text


def _api_url(key: str, value: Any) -> str:
    return _http_url(key, value, allow_empty=False)


def _optional_url(key: str, value: Any) -> str:
    return _http_url(key, value, allow_empty=True)


def _database_url(key: str, value: Any) -> str:
    text = _str(key, value)
    if text and urlsplit(text).scheme not in {"postgres", "postgresql"}:
        raise ConfigError(f"{key}: expected a postgresql:// URL, got a {urlsplit(text).scheme or 'schemeless'} URL")
    return text


def _token(key: str, value: Any) -> str:
    text = _str(key, value)
    if text and len(text) < MIN_SECRET:
        raise ConfigError(f"{key}: must be at least {MIN_SECRET} characters (or empty to switch it off)")
    return text


def _snowflake_or_empty(key: str, value: Any) -> str:
    text = str(value).strip() if isinstance(value, int) and not isinstance(value, bool) else _str(key, value)
    if text and not (text.isascii() and text.isdigit() and 0 < int(text) < 2**64):
        raise ConfigError(f"{key}: expected a Discord id (digits only), got {text[:40]!r}")
    return text


def _networks(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{key}: expected a list of IP addresses or networks, got {value!r}")
    for item in value:
        try:
            ipaddress.ip_network(item.strip(), strict=False)
        except ValueError:
            raise ConfigError(
                f"{key}: {item!r} is not an IP address or network (e.g. 10.0.0.1 or 10.0.0.0/8)"
            ) from None
    return tuple(item.strip() for item in value)


def _log_level(key: str, value: Any) -> str:
    text = _str(key, value).upper()
    if text not in LOG_LEVELS:
        raise ConfigError(f"{key}: expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return text


def _id_list(key: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list of Discord ids, got {value!r}")
    ids = tuple(_int(key, item) for item in value)
    if any(i <= 0 for i in ids):
        raise ConfigError(f"{key}: Discord ids are positive integers")
    return ids


@dataclass(frozen=True, slots=True)
class Setting:
    parse: Callable[[str, Any], Any]
    default: Any
    secret: bool = False
    doc: str = ""


# (section, key) -> Setting; section "" holds top-level keys.
SCHEMA: dict[tuple[str, str], Setting] = {
    ("", "data_dir"): Setting(_str, "./data", doc="folder for the embedded database and key files"),
    ("", "log_level"): Setting(_log_level, "INFO"),
    ("discord", "token"): Setting(_str, "", secret=True),
    ("discord", "api_base_url"): Setting(_api_url, DEFAULT_API_BASE_URL),
    ("discord", "owner_ids"): Setting(_id_list, ()),
    ("discord", "requests_per_second"): Setting(
        _request_rate, 40.0, doc="REST requests per second the bot allows itself (Discord's global limit: 50)"
    ),
    ("database", "url"): Setting(_database_url, "", secret=True),
    ("database", "min_pool_size"): Setting(_positive_int, 1),
    ("database", "max_pool_size"): Setting(_positive_int, 10),
    ("database", "command_timeout"): Setting(_float, 30.0),
    ("webhooks", "enabled"): Setting(_bool, True),
    ("webhooks", "host"): Setting(_str, "0.0.0.0"),  # noqa: S104 - the webhook server must be reachable
    ("webhooks", "port"): Setting(_port, 8080),
    ("webhooks", "public_url"): Setting(_optional_url, ""),
    ("webhooks", "topgg_replay_window"): Setting(_positive_int, 300, doc="seconds a Top.gg v1 signature stays valid"),
    ("webhooks", "keepalive_timeout"): Setting(_float, 15.0, doc="seconds an idle or half-sent request may stay"),
    ("webhooks", "body_timeout"): Setting(_float, 10.0, doc="seconds a request body may take to arrive"),
    ("webhooks", "max_connections"): Setting(_positive_int, 2000, doc="open connections in all"),
    ("webhooks", "max_connections_per_source"): Setting(_positive_int, 200, doc="open connections per address"),
    ("webhooks", "public_read_concurrency"): Setting(
        _positive_int, 4, doc="database connections badges, health and the PULL API may use at once"
    ),
    ("webhooks", "failed_auth_per_minute"): Setting(_positive_int, 30, doc="failed signatures per address before 429"),
    ("webhooks", "metrics_token"): Setting(_token, "", secret=True, doc="bearer token /metrics requires when set"),
    ("webhooks", "trusted_proxies"): Setting(_networks, (), doc="reverse proxies whose X-Forwarded-For is believed"),
    ("votifier", "enabled"): Setting(_bool, True),
    ("votifier", "host"): Setting(_str, "0.0.0.0"),  # noqa: S104
    ("votifier", "port"): Setting(_port, 8192),
    ("votifier", "first_byte_timeout"): Setting(_float, 3.0, doc="seconds after the greeting to send a first byte"),
    ("votifier", "read_timeout"): Setting(_float, 5.0, doc="seconds in total to send a vote"),
    ("votifier", "max_connections"): Setting(_positive_int, 256, doc="connections served at once, in all"),
    ("votifier", "max_connections_per_source"): Setting(
        _positive_int, 16, doc="connections served at once from one address (IPv6: one /64)"
    ),
    ("votifier", "v1_failed_decrypts_per_minute"): Setting(
        _positive_int, 600, doc="RSA key trials a minute one address may spend on v1 blocks that are no vote"
    ),
    ("votifier", "v1_workers"): Setting(_positive_int, 1, doc="threads decrypting v1 blocks"),
    ("votifier", "log_interval"): Setting(_float, 60.0, doc="seconds between two refusal lines about one address"),
    ("topgg", "api_token"): Setting(_str, "", secret=True, doc="Top.gg API v1 token, enables the vote backfill"),
    ("topgg", "api_base_url"): Setting(_api_url, "https://top.gg/api/v1"),
    ("gamemonitoring", "api_base_url"): Setting(_api_url, "https://api.gamemonitoring.net"),
    ("dashboard", "enabled"): Setting(_bool, False, doc="serve the owners' web dashboard under /dashboard"),
    ("dashboard", "client_id"): Setting(_snowflake_or_empty, "", doc="the Discord application's client id (OAuth2)"),
    ("dashboard", "client_secret"): Setting(_str, "", secret=True, doc="the Discord application's OAuth2 secret"),
    ("dashboard", "cookie_secret"): Setting(
        _token, "", secret=True, doc="key of the session cookies (default: generated once in the data folder)"
    ),
    ("dashboard", "session_hours"): Setting(_positive_int, 12, doc="hours a dashboard login lasts"),
    ("dashboard", "logins_per_minute"): Setting(_positive_int, 10, doc="logins one address may start a minute"),
    ("status", "allow_private_addresses"): Setting(
        _bool, False, doc="probe private/loopback/link-local addresses too (only for a self-hosted bot on your LAN)"
    ),
    ("status", "concurrency"): Setting(_positive_int, 64, doc="game-server probes running at once"),
    ("status", "probe_timeout"): Setting(_float, 5.0, doc="seconds before a probe counts as failed"),
}


def _flat_key(section: str, key: str) -> str:
    return f"{section}.{key}" if section else key


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    token: str
    api_base_url: str
    owner_ids: tuple[int, ...]
    requests_per_second: float = 40.0


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    url: str = ""
    min_pool_size: int = 1
    max_pool_size: int = 10
    command_timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class WebhooksConfig:
    enabled: bool
    host: str
    port: int
    public_url: str
    topgg_replay_window: int = 300
    keepalive_timeout: float = 15.0
    body_timeout: float = 10.0
    max_connections: int = 2000
    max_connections_per_source: int = 200
    public_read_concurrency: int = 4
    failed_auth_per_minute: int = 30
    metrics_token: str = field(default="", repr=False)
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VotifierConfig:
    enabled: bool
    host: str
    port: int
    first_byte_timeout: float = 3.0
    read_timeout: float = 5.0
    max_connections: int = 256
    max_connections_per_source: int = 16
    v1_failed_decrypts_per_minute: int = 600
    v1_workers: int = 1
    log_interval: float = 60.0


@dataclass(frozen=True, slots=True)
class TopggConfig:
    api_token: str = ""
    api_base_url: str = "https://top.gg/api/v1"


@dataclass(frozen=True, slots=True)
class GamemonitoringConfig:
    api_base_url: str = "https://api.gamemonitoring.net"


@dataclass(frozen=True, slots=True)
class StatusConfig:
    allow_private_addresses: bool = False
    concurrency: int = 64
    probe_timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    enabled: bool = False
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    cookie_secret: str = field(default="", repr=False)
    session_hours: int = 12
    logins_per_minute: int = 10


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path
    log_level: str
    discord: DiscordConfig
    database: DatabaseConfig
    webhooks: WebhooksConfig
    votifier: VotifierConfig
    source: Path | None = None
    topgg: TopggConfig = field(default_factory=TopggConfig)
    gamemonitoring: GamemonitoringConfig = field(default_factory=GamemonitoringConfig)
    status: StatusConfig = field(default_factory=StatusConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)

    def require_token(self) -> str:
        if not self.discord.token:
            raise ConfigError(TOKEN_HELP)
        return self.discord.token

    def effective(self, *, mask_secrets: bool = True) -> dict[str, Any]:
        """The effective settings as ``{"section.key": value}``, secrets masked."""
        shown: dict[str, Any] = {}
        for (section, key), setting in SCHEMA.items():
            value = getattr(getattr(self, section), key) if section else getattr(self, key)
            if isinstance(value, Path):
                value = str(value)
            if setting.secret and mask_secrets and value:
                value = mask(str(value))
            shown[_flat_key(section, key)] = value
        return shown


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _flatten_file(data: Mapping[str, Any], path: Path) -> dict[tuple[str, str], Any]:
    sections = {section for section, _ in SCHEMA if section}
    raw: dict[tuple[str, str], Any] = {}
    for name, value in data.items():
        if name in sections:
            if not isinstance(value, dict):
                raise ConfigError(f"{name}: expected a [{name}] table in {path}")
            for key, inner in value.items():
                if (name, key) not in SCHEMA:
                    raise ConfigError(f"unknown key '{name}.{key}' in {path}")
                raw[(name, key)] = inner
        elif ("", name) in SCHEMA:
            raw[("", name)] = value
        else:
            raise ConfigError(f"unknown key '{name}' in {path}")
    return raw


def _from_env(environ: Mapping[str, str]) -> dict[tuple[str, str], Any]:
    raw: dict[tuple[str, str], Any] = {}
    if environ.get("DISCORD_TOKEN"):
        raw[("discord", "token")] = environ["DISCORD_TOKEN"]
    if environ.get("DATABASE_URL"):
        raw[("database", "url")] = environ["DATABASE_URL"]
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "VOTEBOT_CONFIG":
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        section, _, key = rest.partition("__") if "__" in rest else ("", "", rest)
        if (section, key) not in SCHEMA:
            raise ConfigError(f"unknown setting in environment variable {name}")
        raw[(section, key)] = value
    return raw


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load ``bot.toml`` (optional unless a path is given explicitly) and apply environment overrides."""
    environ = os.environ if environ is None else environ
    explicit = path is not None or "VOTEBOT_CONFIG" in environ
    file_path = Path(path if path is not None else environ.get("VOTEBOT_CONFIG", "bot.toml"))
    raw: dict[tuple[str, str], Any] = {}
    source: Path | None = None
    if file_path.exists():
        raw.update(_flatten_file(_read_file(file_path), file_path))
        source = file_path
    elif explicit:
        raise ConfigError(f"config file {file_path} does not exist")
    raw.update(_from_env(environ))

    values: dict[tuple[str, str], Any] = {}
    for (section, key), setting in SCHEMA.items():
        flat = _flat_key(section, key)
        values[(section, key)] = setting.parse(flat, raw[(section, key)]) if (section, key) in raw else setting.default

    database = DatabaseConfig(**{k: v for (s, k), v in values.items() if s == "database"})
    if database.min_pool_size > database.max_pool_size:
        raise ConfigError("database.min_pool_size: must not exceed database.max_pool_size")
    webhooks = WebhooksConfig(**{k: v for (s, k), v in values.items() if s == "webhooks"})
    if webhooks.public_read_concurrency >= database.max_pool_size:
        raise ConfigError(
            "webhooks.public_read_concurrency: must be below database.max_pool_size "
            f"({database.max_pool_size}) so vote intake always keeps a connection"
        )
    votifier = VotifierConfig(**{k: v for (s, k), v in values.items() if s == "votifier"})
    if votifier.max_connections_per_source > votifier.max_connections:
        raise ConfigError("votifier.max_connections_per_source: must not exceed votifier.max_connections")
    if webhooks.enabled and votifier.enabled and webhooks.port and webhooks.port == votifier.port:
        raise ConfigError("votifier.port: must differ from webhooks.port")
    dashboard = DashboardConfig(**{k: v for (s, k), v in values.items() if s == "dashboard"})
    if dashboard.enabled:
        for key in ("client_id", "client_secret"):
            if not getattr(dashboard, key):
                raise ConfigError(
                    f"dashboard.{key}: required when dashboard.enabled is on (the Discord application's OAuth2 page "
                    "at https://discord.com/developers/applications shows it)"
                )
        if not webhooks.enabled:
            raise ConfigError(
                "dashboard.enabled: the dashboard is served by the webhook server; turn webhooks.enabled on"
            )
        if not webhooks.public_url:
            raise ConfigError(
                "webhooks.public_url: required when dashboard.enabled is on (Discord sends people back to "
                "<public_url>/dashboard/callback after they log in; add that URL to the application's redirects)"
            )
    return Config(
        dashboard=dashboard,
        data_dir=Path(values[("", "data_dir")]).expanduser(),
        log_level=values[("", "log_level")],
        discord=DiscordConfig(**{k: v for (s, k), v in values.items() if s == "discord"}),
        database=database,
        webhooks=webhooks,
        votifier=votifier,
        source=source,
        topgg=TopggConfig(**{k: v for (s, k), v in values.items() if s == "topgg"}),
        gamemonitoring=GamemonitoringConfig(**{k: v for (s, k), v in values.items() if s == "gamemonitoring"}),
        status=StatusConfig(**{k: v for (s, k), v in values.items() if s == "status"}),
    )


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-8s %(name)s: %(message)s")
    logging.getLogger("discord.gateway").setLevel(max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # logs every pg_ctl command at INFO
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # logs every job run at INFO
