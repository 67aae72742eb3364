"""Form fields generated from the feature declarations (bot/core/features.py): one field per setting, of the
kind the setting declares, with its bounds and description as help. What is sent back is parsed by the very
:meth:`~bot.core.features.SettingSpec.parse` the slash commands and the CLI use, so a value out of bounds is refused
with the same words everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord

from bot.core.features import FeatureSpec, SettingSpec, translated
from bot.core.i18n import p_
from bot.web.dashboard.sections import Form


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the form field: ``setting.<stored name>``
    label: str
    kind: str  # text | numeric | time | url | select
    value: str
    help: str  # what the setting does (its declared description)
    choices: tuple[Choice, ...] = ()
    rule: str = ""  # what it accepts, as the refusal says it ("The board refresh must be 1 to 60 minutes.")


def _typed_form(spec: SettingSpec, value: Any) -> str:
    """A stored value as it is typed back into the form (``50, 100``, ``09:00``; empty for off)."""
    if value is None:
        return "0" if spec.kind == "int" and spec.zero_means_off else ""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def setting_field(spec: SettingSpec, current: Any, typed: str | None) -> Field:
    name = f"setting.{spec.name}"
    value = typed if typed is not None else _typed_form(spec, current)
    description = translated(spec.description)
    label = spec.human_label[:1].upper() + spec.human_label[1:]
    if spec.kind == "bool":
        choices: tuple[Choice, ...] = (
            Choice("on", p_("setting value", "on"), value == "on"),
            Choice("off", p_("setting value", "off"), value != "on"),
        )
        return Field(name, label, "select", value, description, choices)
    if spec.kind == "choice":
        labels = [translated(text) for text in spec.choice_labels] or list(spec.choices)
        choices = tuple(
            Choice(choice, label_text, value == choice)
            for choice, label_text in zip(spec.choices, labels, strict=False)
        )
        return Field(name, label, "select", value, description, choices)
    kind = {"int": "numeric", "time": "time", "url": "url"}.get(spec.kind, "text")
    return Field(name, label, kind, value, description, rule=spec.rule())


def setting_fields(spec: FeatureSpec, current: Mapping[str, Any], form: Form | None) -> list[Field]:
    fields = []
    for setting in spec.settings:
        typed = form.get(f"setting.{setting.name}") if form is not None else None
        fields.append(setting_field(setting, current.get(setting.name), typed))
    return fields


def settings_sent(spec: FeatureSpec, form: Form) -> dict[str, str]:
    """The settings typed in the form, as text for :meth:`FeatureSpec.parse_settings` (an empty field is left out:
    nothing to change)."""
    sent: dict[str, str] = {}
    for setting in spec.settings:
        value = form.get(f"setting.{setting.name}")
        if isinstance(value, str) and value.strip():
            sent[setting.name] = value.strip()
    return sent


def channel_choices(guild: discord.Guild, selected: int | None) -> tuple[Choice, ...]:
    """The guild's text channels, in the order Discord shows them."""
    channels = sorted(guild.text_channels, key=lambda channel: (channel.position, channel.id))
    return tuple(Choice(str(channel.id), f"#{channel.name}", channel.id == selected) for channel in channels)


def role_choices(guild: discord.Guild, selected: int | None) -> tuple[Choice, ...]:
    """The guild's roles a feature may use (not @everyone, not the integrations'), highest first."""
    roles = [role for role in reversed(guild.roles) if not role.is_default() and not role.managed]
    return tuple(Choice(str(role.id), f"@{role.name}", role.id == selected) for role in roles)


def wants_channel(spec: FeatureSpec) -> bool:
    """The feature posts in a channel: one it needs, or one it may have (the vote feature's thank-yous)."""
    return spec.needs_channel or bool(spec.posts)


def wants_role(spec: FeatureSpec) -> bool:
    return spec.needs_role or spec.uses_role or spec.grants_role
