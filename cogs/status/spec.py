"""The status package's toggles (live board, offline alerts) and its query settings (/status-admin configure)."""

from bot.core.features import FeatureSpec, SettingSpec
from bot.core.i18n import N_

INTERVAL = SettingSpec(
    "interval_s",
    "int",
    60,
    N_("Seconds between checks"),
    minimum=30,
    maximum=3600,
    option="interval",
    label=N_("check interval"),
    unit="second",
    every=True,
)
FAILURES = SettingSpec(
    "failures_to_down",
    "int",
    3,
    N_("Failed checks in a row before an offline alert"),
    minimum=1,
    maximum=20,
    option="failures",
    label=N_("alert threshold"),
    unit="failed check",
)
CONFIRM_INTERVAL = SettingSpec(
    "confirm_interval_s",
    "int",
    15,
    N_("Seconds between confirmation checks once a check failed"),
    minimum=5,
    maximum=600,
    option="confirm_interval",
    label=N_("recheck interval"),
    unit="second",
    every=True,
)
QUERY_PORT = SettingSpec(
    "query_port",
    "int",
    None,
    N_("Query port when it differs from the game port (e.g. Rust, ARK)"),
    minimum=1,
    maximum=65535,
    label=N_("query port"),
    grouped=False,
)
CONNECT_URL = SettingSpec(
    "connect_url", "url", None, N_("https:// link for a Connect button on the board"), label=N_("Connect button link")
)

QUERY_SETTINGS = (QUERY_PORT, INTERVAL, FAILURES, CONFIRM_INTERVAL, CONNECT_URL)
"""Stored in ``status_settings`` (one row per server, for both toggles), not in the toggles' settings."""

PICTURE = SettingSpec(
    "picture",
    "bool",
    False,
    N_("Show players over 24 hours and uptime over 7 days as a picture (updated at most hourly)"),
    # Translators: a setting's name in listings ("status picture: on"): the board's chart of players and uptime.
    label=N_("status picture"),
)
"""Off by default: a board that was text only stays so (no surprise upload after an upgrade), and a picture makes
the board message much taller in a busy channel; the owner switches it on."""

STATUS_BOARD = FeatureSpec(
    "status_board",
    N_("Live status board"),
    needs_channel=True,
    settings=(PICTURE,),
    package="status",
    posts=N_("live status board"),
    needs_address=True,
)
OFFLINE_ALERTS = FeatureSpec(
    "offline_alerts",
    N_("Offline and recovery alerts"),
    needs_channel=True,
    uses_role=True,
    package="status",
    posts=N_("offline and recovery alerts"),
    needs_address=True,
)

FEATURES = (STATUS_BOARD, OFFLINE_ALERTS)
