"""The audit log as people read it: one line per entry, in the language in force.

The web dashboard shows ``when · who (source) · describe(entry)``; ``votebot audit`` prints the same in English.
Names and titles typed by owners are returned as they are: whoever renders the line escapes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from bot.core.features import FeatureRegistry, FeatureSpec
from bot.core.games import game_name
from bot.core.i18n import N_, _, language, n_, p_
from bot.core.time import format_duration
from bot.db.audit import AuditEntry

# One whole sentence per option (its words change with the option in most languages).
OPTION_CHANGES: Mapping[str, str] = {
    "timezone": N_("Changed the time zone from {old} to {new}"),
    "category": N_("Changed the category from {old} to {new}"),
    "vote_cooldown": N_("Changed the vote cooldown from {old} to {new}"),
    "vote_url": N_("Changed the vote page from {old} to {new}"),
    "address": N_("Changed the address from {old} to {new}"),
    "game": N_("Changed the game from {old} to {new}"),
    "language": N_("Changed the language from {old} to {new}"),
}

SOURCES: Mapping[str, str] = {
    # Translators: where a change in the audit log came from.
    "dashboard": N_("dashboard"),
    "cli": N_("command line"),
}
NAMES = {"discord": "Discord", "api": "API"}  # names, the same in every language


def source_label(source: str) -> str:
    """``Discord``, ``dashboard``, ``API``, ``command line``, in the language in force."""
    if source in NAMES:
        return NAMES[source]
    return _(SOURCES[source]) if source in SOURCES else source


def _none() -> str:
    # Translators: an option or a channel that was not set, in "Changed the category from none to pvp".
    return p_("audit value", "none")


def _option_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return _none()
    if key == "vote_cooldown" and isinstance(value, int | float):
        return format_duration(dt.timedelta(seconds=value))
    if key == "game":
        return game_name(str(value))
    if key == "language":
        found = language(str(value))
        return found.name if found is not None else str(value)
    return str(value)


def _when(value: Any) -> str:
    """A stored ISO time as ``2026-12-01 18:00 UTC`` (the log is read in any zone)."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _target(value: Any) -> str:
    return str(value) if value else _none()


def _spec(registry: FeatureRegistry, name: str) -> FeatureSpec | None:
    return registry.get(name) if name in registry else None


def _setting_changes(spec: FeatureSpec | None, changes: Mapping[str, Any]) -> list[str]:
    parts = []
    for name, pair in changes.items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label: str = name
        shown: Callable[[Any], str] = lambda value: _none() if value is None else str(value)  # noqa: E731
        if spec is not None:
            for setting in spec.settings:
                if setting.name == name:
                    label, shown = setting.human_label, setting.shown
        # Translators: one setting changed in the audit log, e.g. "board refresh from every 10 minutes to every 15
        # minutes".
        parts.append(_("{setting} from {old} to {new}", setting=label, old=shown(old), new=shown(new)))
    return parts


def _target_changes(details: Mapping[str, Any]) -> list[str]:
    parts = []
    if isinstance(channel := details.get("channel_id"), list):
        parts.append(_("channel from {old} to {new}", old=_target(channel[0]), new=_target(channel[1])))
    if isinstance(role := details.get("role_id"), list):
        parts.append(_("role from {old} to {new}", old=_target(role[0]), new=_target(role[1])))
    return parts


def _feature(entry: AuditEntry, registry: FeatureRegistry) -> str:
    details = entry.details
    name = str(details.get("feature", ""))
    spec = _spec(registry, name)
    label = _(spec.label) if spec is not None else name
    settings = _setting_changes(spec, details.get("settings") or {})
    if entry.action == "feature.off":
        text = _("Turned off {feature}", feature=label)
        extra = _target_changes(details) + settings
    elif entry.action == "feature.on":
        channel = details.get("channel_id")
        role = details.get("role_id")
        channel_id = channel[1] if isinstance(channel, list) else None
        role_id = role[1] if isinstance(role, list) else None
        if channel_id and role_id:
            text = _(
                "Turned on {feature} in channel {channel} with the role {role}",
                feature=label,
                channel=str(channel_id),
                role=str(role_id),
            )
        elif channel_id:
            text = _("Turned on {feature} in channel {channel}", feature=label, channel=str(channel_id))
        elif role_id:
            text = _("Turned on {feature} with the role {role}", feature=label, role=str(role_id))
        else:
            text = _("Turned on {feature}", feature=label)
        extra = settings
    else:
        # Translators: {changes} lists what changed, e.g. "channel from 1 to 2, board refresh from … to …".
        return _(
            "Changed {feature}: {changes}",
            feature=label,
            changes=", ".join(_target_changes(details) + settings),
        )
    return f"{text} ({', '.join(extra)})" if extra else text


def _server(entry: AuditEntry) -> str:
    details = entry.details
    name = str(details.get("name", ""))
    if entry.action == "server.add":
        return _("Linked the game server {server}", server=name)
    if entry.action == "server.default":
        return _("Made {server} the default game server", server=name)
    if entry.action == "server.remove":
        return _("Removed the game server {server}", server=name)
    lines = []
    for key, pair in (details.get("changes") or {}).items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        template = OPTION_CHANGES.get(key)
        if template is None:
            lines.append(_("{setting} from {old} to {new}", setting=key, old=str(old), new=str(new)))
        else:
            lines.append(_(template, old=_option_value(key, old), new=_option_value(key, new)))
    return "; ".join(lines)


def _forwarding(entry: AuditEntry) -> str:
    details = entry.details
    name = str(details.get("name", ""))
    if entry.action == "forwarding.add":
        return _("Added the vote destination {name} ({where})", name=name, where=str(details.get("where", "")))
    if entry.action == "forwarding.remove":
        return _("Removed the vote destination {name}", name=name)
    if entry.action == "forwarding.pause":
        return _("Paused the vote destination {name}", name=name)
    if entry.action == "forwarding.resume":
        return _("Resumed the vote destination {name}", name=name)
    count = int(details.get("count") or 0)
    return n_(
        "Queued {count} dead letter of {name} again",
        "Queued {count} dead letters of {name} again",
        count,
        name=name,
    )


def _giveaway(entry: AuditEntry) -> str:
    details = entry.details
    params = {"id": str(details.get("giveaway_id", "")), "prize": str(details.get("prize", ""))}
    if entry.action == "giveaway.create":
        return _(
            "Started giveaway #{id} ({prize}) in channel {channel}, ending {ends}",
            channel=str(details.get("channel_id", "")),
            ends=_when(details.get("ends_at", "")),
            **params,
        )
    if entry.action == "giveaway.end":
        return _("Ended giveaway #{id} ({prize}) early", **params)
    if entry.action == "giveaway.cancel":
        return _("Cancelled giveaway #{id} ({prize})", **params)
    return _("Rerolled giveaway #{id} ({prize})", **params)


def _wipe(entry: AuditEntry) -> str:
    details = entry.details
    params = {"id": str(details.get("wipe_id", "")), "title": str(details.get("title", ""))}
    if entry.action == "wipe.create":
        return _("Planned wipe #{id} “{title}” for {when}", when=_when(details.get("starts_at", "")), **params)
    if entry.action == "wipe.cancel":
        return _("Removed the planned wipe #{id} “{title}”", **params)
    moved = details.get("starts_at")
    old, new = moved if isinstance(moved, list) and len(moved) == 2 else ("", moved)
    return _("Moved wipe #{id} “{title}” from {old} to {new}", old=_when(old), new=_when(new), **params)


def _secret(entry: AuditEntry) -> str:
    details = entry.details
    provider = _(str(details.get("label") or details.get("provider", "")))
    shown = str(details.get("fingerprint", ""))
    if details.get("service"):
        return _(
            "Stored a new {provider} token for the service {service} (fingerprint {fingerprint})",
            provider=provider,
            service=str(details["service"]),
            fingerprint=shown,
        )
    return _("Stored a new {provider} secret (fingerprint {fingerprint})", provider=provider, fingerprint=shown)


KNOWN = frozenset(
    {
        "server.add",
        "server.options",
        "server.default",
        "server.remove",
        "master.on",
        "master.off",
        "feature.on",
        "feature.off",
        "feature.configure",
        "provider.secret",
        "forwarding.add",
        "forwarding.remove",
        "forwarding.pause",
        "forwarding.resume",
        "forwarding.replay",
        "giveaway.create",
        "giveaway.end",
        "giveaway.cancel",
        "giveaway.reroll",
        "wipe.create",
        "wipe.cancel",
        "wipe.move",
    }
)


def describe(entry: AuditEntry, registry: FeatureRegistry) -> str:
    """What ``entry`` changed, in one line in the language in force (an action this module does not know is shown
    by its name)."""
    action = entry.action
    if action not in KNOWN:
        return action
    if action == "master.on":
        return _("Turned the master switch on: the features that are on run again")
    if action == "master.off":
        return _("Turned the master switch off: every feature is paused")
    if action == "provider.secret":
        return _secret(entry)
    kind = action.partition(".")[0]
    if kind == "feature":
        return _feature(entry, registry)
    if kind == "server":
        return _server(entry)
    if kind == "forwarding":
        return _forwarding(entry)
    if kind == "giveaway":
        return _giveaway(entry)
    return _wipe(entry)


def who(entry: AuditEntry) -> str:
    """``alice (Discord)``, ``root (command line)``: who made the change and the way they came in."""
    name = entry.actor or (str(entry.user_id) if entry.user_id else "?")
    # Translators: who changed something in the audit log and where from, e.g. "alice (dashboard)".
    return _("{who} ({source})", who=name, source=source_label(entry.source))
