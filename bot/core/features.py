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
from bot.core.time import TIME_HINT, parse_hhmm
from bot.core.validation import clean_vote_url, is_ascii_digits, quoted

MASTER_SWITCH = "all"

SettingKind = Literal["int", "bool", "time", "choice", "int_list", "url"]


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One setting of a feature: ``name`` is the key it is stored under and the option users type.

    ``label`` is what people read ("board refresh"), ``unit`` the singular unit of an int ("minute"): listings
    and refusals say "The board refresh must be 1 to 60 minutes, not 0." instead of quoting the option."""

    name: str
    kind: SettingKind
    default: Any
    description: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    max_items: int | None = None  # int_list
    zero_means_off: bool = False  # int: 0 is accepted and stored as "off" (None)
    off_text: str = "off"  # what "off" (None) means, in listings and in the refusal's "(0 means …)"
    option: str = ""  # the slash-command option (and CLI key) when it differs from the stored key
    label: str = ""  # the human name, lower case unless a proper noun ("board refresh"); the option name otherwise
    unit: str = ""  # int / int_list: singular unit ("minute"); the plural adds an s
    every: bool = False  # int: listed as "every 10 minutes" (an interval)
    grouped: bool = True  # int: thousands separators (not for port numbers)
    choice_labels: tuple[str, ...] = ()  # choice: what each of ``choices`` means, for listings

    @property
    def option_name(self) -> str:
        return self.option or self.name

    @property
    def human_label(self) -> str:
        return self.label or self.option_name.replace("_", " ")

    def number(self, value: int) -> str:
        """``1,000`` (``25565`` for a port)."""
        return f"{value:,}" if self.grouped else str(value)

    def amount(self, value: int) -> str:
        """``10 minutes``, ``1 minute``, ``1,000`` (no unit)."""
        if not self.unit:
            return self.number(value)
        return f"{self.number(value)} {self.unit if value == 1 else self.unit + 's'}"

    def _range(self, low: int, high: int) -> str:
        units = f" {self.unit}s" if self.unit else ""
        return f"{self.number(low)} to {self.number(high)}{units}"

    def _zero(self) -> str:
        """What 0 means for a ``zero_means_off`` int: ``0 turns it off``."""
        return "0 turns it off" if self.off_text == "off" else f"0 means {self.off_text}"

    def bounds_text(self) -> str:
        """What the setting accepts, as a phrase (``1 to 60 minutes``), for help texts."""
        if self.kind == "int":
            low = 0 if self.zero_means_off else (self.minimum or 0)
            text = self._range(low, self.maximum or 0)
            return f"{text}, {self._zero()}" if self.zero_means_off else text
        if self.kind == "int_list":
            low, high = self.minimum or 1, self.maximum or 10**9
            units = f" {self.unit}s" if self.unit else ""
            return (
                f"1 to {self.max_items or 20} {self.human_label} between {self.number(low)} and "
                f"{self.number(high)}{units}, separated by commas"
            )
        if self.kind == "choice":
            return _either(self.choices)
        if self.kind == "time":
            return "a time on the 24-hour clock, e.g. 09:00"
        if self.kind == "url":
            return "a link starting with http:// or https://"
        return "on or off"

    def rule(self) -> str:
        """The whole sentence a refusal ends with: ``The board refresh must be 1 to 60 minutes.``"""
        if self.kind == "int_list":
            return f"Give {self.bounds_text()}."
        if self.kind == "time":
            return TIME_HINT
        if self.kind == "url":
            return f"The {self.human_label} must start with http:// or https://."
        if self.kind == "bool":
            return f"Use on or off for the {self.human_label}."
        if self.kind == "int":
            low = 0 if self.zero_means_off else (self.minimum or 0)
            text = f"The {self.human_label} must be {self._range(low, self.maximum or 0)}."
            return f"{text} {self._zero().capitalize()}." if self.zero_means_off else text
        return f"The {self.human_label} must be {self.bounds_text()}."

    def shown(self, value: Any) -> str:
        """A stored value as people read it: ``every 10 minutes``, ``50, 100, 1,000 votes``, ``on``."""
        if value is None:
            return self.off_text
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, list):
            numbers = ", ".join(self.number(v) for v in value)
            return f"{numbers} {self.unit}s" if self.unit else numbers
        if isinstance(value, int):
            if self.every:
                return f"every {self.unit}" if value == 1 and self.unit else f"every {self.amount(value)}"
            return self.amount(value)
        if self.kind == "choice" and value in self.choices and self.choice_labels:
            return self.choice_labels[self.choices.index(value)]
        return str(value)

    def refuse(self, value: object, problem: str = "") -> UserError:
        """``“abc” is not a whole number. The board refresh must be 1 to 60 minutes.`` (``problem`` says what is
        wrong with the value; without it the value is out of bounds)."""
        shown = quoted(value)
        if self.kind == "time":
            return UserError(f"{shown} is not a time. {TIME_HINT}")
        if problem:
            return UserError(f"{shown} {problem}. {self.rule()}")
        if self.kind == "int_list":
            return UserError(f"{shown} is not a list of whole numbers. {self.rule()}")
        return UserError(_not(self.rule(), shown))

    def out_of_bounds(self, number: int) -> UserError:
        """``The board refresh must be 1 to 60 minutes, not 0.``"""
        return UserError(_not(self.rule(), self.number(number)))

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
                raise self.out_of_bounds(number)
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
    role_use: str = ""  # one whole sentence: what the bot does with the feature's role (/feature enable)
    needs_address: bool = False  # it queries the game server, so it shows nothing until the server has an address

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


def _not(rule: str, shown: str) -> str:
    """``The board refresh must be 1 to 60 minutes, not 0.`` (the value goes after the rule's first sentence)."""
    first, dot, rest = rule.partition(". ")
    if dot:
        return f"{first}, not {shown}. {rest}"
    return f"{rule.removesuffix('.')}, not {shown}."


def _either(choices: tuple[str, ...]) -> str:
    """``all or first``; ``a, b or c``."""
    if len(choices) <= 1:
        return "".join(choices)
    return ", ".join(choices[:-1]) + " or " + choices[-1]


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
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and is_ascii_digits(value.strip().removeprefix("-")):
        return int(value.strip())
    raise spec.refuse(value, "is not a whole number")


def _int_list(value: object, spec: SettingSpec) -> list[int]:
    if isinstance(value, str):
        parts = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise spec.refuse(value)
    if not parts:
        raise UserError(f"No {spec.human_label} were given. {spec.rule()}")
    numbers = sorted({_int(part, spec) for part in parts})
    low, high = spec.minimum or 1, spec.maximum or 10**9
    limit = spec.max_items or 20
    if len(numbers) > limit:
        raise UserError(f"That's {len(numbers)} {spec.human_label}; at most {limit} are allowed.")
    for number in (numbers[0], numbers[-1]):
        if not low <= number <= high:
            raise UserError(f"{spec.number(number)} is out of range. {spec.rule()}")
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
        raise spec.refuse(value, "is not a web link") from None
