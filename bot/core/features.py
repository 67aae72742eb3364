"""Feature declarations: what a feature is called, what it needs and which settings it takes.

Each feature package declares itself once in its ``spec.py`` (``FEATURES = (FeatureSpec(...), ...)``).
The app collects those declarations into a :class:`FeatureRegistry` (:func:`bot.app.extensions.features`);
slash-command options and choices, ``votebot feature set``, validation and listings all read it, so a
value out of bounds is refused the same way everywhere (:meth:`SettingSpec.parse`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.errors import UserError
from bot.core.time import parse_hhmm
from bot.core.validation import clean_vote_url, is_ascii_digits

MASTER_SWITCH = "all"

SettingKind = Literal["int", "bool", "time", "choice", "int_list", "url"]


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One setting of a feature: ``name`` is the key it is stored under and the option users type."""

    name: str
    kind: SettingKind
    default: Any
    description: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    max_items: int | None = None  # int_list
    zero_means_off: bool = False  # int: 0 is accepted and stored as "off" (None)
    off_text: str = "off"  # what "off" (None) means, in listings and in the refusal's "(0: …)"
    option: str = ""  # the slash-command option (and CLI key) when it differs from the stored key

    @property
    def option_name(self) -> str:
        return self.option or self.name

    def bounds_text(self) -> str:
        if self.kind == "int":
            low = 0 if self.zero_means_off else self.minimum
            text = f"a whole number from {low} to {self.maximum}"
            if not self.zero_means_off:
                return text
            return text + (" (0 turns it off)" if self.off_text == "off" else f" (0: {self.off_text})")
        if self.kind == "int_list":
            return f"1 to {self.max_items} whole numbers from {self.minimum} to {self.maximum}, separated by commas"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "time":
            return "a time like 09:00 (24-hour clock)"
        if self.kind == "url":
            return "an http:// or https:// link"
        return "true or false"

    def refuse(self, value: object) -> UserError:
        shown = str(value)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        return UserError(f"`{self.option_name}` must be {self.bounds_text()}; `{shown}` is not.")

    def parse(self, value: object) -> Any:
        """The stored form of ``value`` (typed, or as text from the CLI); a :class:`UserError` naming the
        setting and its bounds otherwise. Every way in (slash command, CLI, event API) calls this."""
        if self.kind == "bool":
            return _bool(value, self)
        if self.kind == "int":
            number = _int(value, self)
            if self.zero_means_off and number == 0:
                return None
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise self.refuse(value)
            return number
        if self.kind == "int_list":
            return _int_list(value, self)
        if self.kind == "choice":
            text = str(value).strip().lower()
            if text not in self.choices:
                raise self.refuse(value)
            return text
        if self.kind == "time":
            return _hhmm(value, self)
        return _url(value, self)

    def current(self, settings: Mapping[str, Any]) -> Any:
        """The stored value, or the default when it is missing or no longer valid (bounds changed)."""
        if self.name not in settings:
            return self.default
        try:
            return self.parse(settings[self.name]) if settings[self.name] is not None else None
        except UserError:
            return self.default


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    label: str
    needs_channel: bool = False
    needs_role: bool = False
    uses_role: bool = False  # the feature pings this role
    grants_role: bool = False  # the bot hands the role out (so it must sit below the bot's own role)
    # Server-wide Discord permissions the bot needs for this feature beyond posting in its channel (implied by
    # needs_channel) and Manage Roles (implied by grants_role): discord.Permissions attribute names. The invite
    # URL asks for all of them (bot.core.guild_checks.needed_permissions).
    bot_permissions: tuple[str, ...] = ()
    enabled_by_default: bool = False
    settings: tuple[SettingSpec, ...] = ()
    package: str = ""  # the feature package that declared it (cogs.<package>)
    channel_use: str = ""  # one whole sentence: what the feature posts in its channel (refusals, /feature enable)
    # What the feature posts, as a noun phrase that fits "Survival's … will be posted in this channel."
    posts: str = ""

    def setting(self, name: str) -> SettingSpec:
        """The setting stored as (or typed as) ``name``."""
        for spec in self.settings:
            if name in (spec.name, spec.option_name):
                return spec
        known = ", ".join(s.option_name for s in self.settings) or "none"
        raise UserError(f"{self.label} has no setting `{name[:40]}`; its settings are: {known}.")

    def parse_settings(self, values: Mapping[str, object]) -> dict[str, Any]:
        """Validate several settings at once (all or nothing)."""
        parsed: dict[str, Any] = {}
        for name, value in values.items():
            spec = self.setting(name)
            parsed[spec.name] = spec.parse(value)
        return parsed

    def current(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {spec.name: spec.current(settings) for spec in self.settings}


@dataclass(frozen=True)
class FeatureRegistry:
    """Every declared feature, in declaration order."""

    specs: tuple[FeatureSpec, ...] = field(default=())

    @classmethod
    def of(cls, specs: Iterable[FeatureSpec]) -> FeatureRegistry:
        collected = tuple(specs)
        names = [s.name for s in collected]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"features declared twice: {sorted(duplicates)}")
        return cls(collected)

    def __iter__(self) -> Iterator[FeatureSpec]:
        return iter(self.specs)

    def __contains__(self, name: object) -> bool:
        return any(spec.name == name for spec in self.specs)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.specs)

    def get(self, name: str) -> FeatureSpec:
        """The feature called ``name``; a clear :class:`UserError` for anything else (input is not trusted)."""
        for spec in self.specs:
            if spec.name == name:
                return spec
        known = ", ".join([*self.names, MASTER_SWITCH])
        raise UserError(f"Unknown feature {name[:40]!r}; choose one of: {known}.")

    def label(self, name: str) -> str:
        return self.get(name).label if name in self else name


# ---------------------------------------------------------------------------------------------- parsers


def _bool(value: object, spec: SettingSpec) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "on", "1"}:
        return True
    if text in {"false", "no", "off", "0"}:
        return False
    raise spec.refuse(value)


def _int(value: object, spec: SettingSpec) -> int:
    if isinstance(value, bool):
        raise spec.refuse(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and is_ascii_digits(value.strip().removeprefix("-")):
        return int(value.strip())
    raise spec.refuse(value)


def _int_list(value: object, spec: SettingSpec) -> list[int]:
    if isinstance(value, str):
        parts = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise spec.refuse(value)
    numbers = sorted({_int(part, spec) for part in parts})
    low, high = spec.minimum or 1, spec.maximum or 10**9
    if not numbers or numbers[0] < low or numbers[-1] > high or len(numbers) > (spec.max_items or 20):
        raise spec.refuse(value)
    return numbers


def _hhmm(value: object, spec: SettingSpec) -> str:
    try:
        return parse_hhmm(str(value)).strftime("%H:%M")
    except ValueError:
        raise spec.refuse(value) from None


def _url(value: object, spec: SettingSpec) -> str:
    try:
        return clean_vote_url(str(value))
    except UserError:
        raise spec.refuse(value) from None
