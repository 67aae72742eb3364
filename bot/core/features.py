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

import babel.lists

from bot.core import i18n
from bot.core.errors import UserError
from bot.core.i18n import N_plural, _, n_, p_
from bot.core.time import TIME_HINT, parse_hhmm
from bot.core.validation import clean_vote_url, is_ascii_digits, quoted

MASTER_SWITCH = "all"

SettingKind = Literal["int", "bool", "time", "choice", "int_list", "url"]


def translated(text: str) -> str:
    """A text declared in a spec (marked with ``N_``) in the language in force; an empty one stays empty (gettext
    would answer ``""`` with the catalog's header)."""
    return _(text) if text else ""


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One setting of a feature: ``name`` is the key it is stored under and the option users type.

    ``label`` is what people read ("board refresh"), ``unit`` the singular unit of an int ("minute"): listings
    and refusals say "The board refresh must be 1 to 60 minutes, not 0." instead of quoting the option.
    Texts people read (``label``, ``off_text``, ``choice_labels``) are marked with ``N_`` where they are declared
    and translated here when shown; a unit's words (with their plural forms) are in :data:`UNITS`, so a new
    unit adds its words there (a unit without them is refused when the spec is declared)."""

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
    unit: str = ""  # int / int_list: singular unit ("minute"), one of UNITS
    every: bool = False  # int: listed as "every 10 minutes" (an interval)
    grouped: bool = True  # int: thousands separators (not for port numbers)
    choice_labels: tuple[str, ...] = ()  # choice: what each of ``choices`` means, for listings

    def __post_init__(self) -> None:
        if self.unit and self.unit not in UNITS:
            raise ValueError(f"setting {self.name}: unit {self.unit!r} has no words in bot/core/features.py UNITS")

    @property
    def option_name(self) -> str:
        return self.option or self.name

    @property
    def human_label(self) -> str:
        """The label in the language in force (the option name when there is none)."""
        return _(self.label) if self.label else self.option_name.replace("_", " ")

    def number(self, value: int) -> str:
        """``1,000`` (``25565`` for a port), formatted for the language in force."""
        return i18n.number(value) if self.grouped else str(value)

    def amount(self, value: int) -> str:
        """``10 minutes``, ``1 minute``, ``1,000`` (no unit)."""
        if not self.unit:
            return self.number(value)
        return _amount(self.unit, value, self.number(value))

    def _range(self, low: int, high: int) -> str:
        # Translators: the range a setting accepts, e.g. "1 to 60 minutes" ({high} carries the unit).
        return _("{low} to {high}", low=self.number(low), high=self.amount(high))

    def _off(self) -> str:
        """What "off" (None) means: ``off``, or the spec's own ``off_text``."""
        if self.off_text == "off":
            # Translators: a setting's value when it is switched off.
            return p_("setting value", "off")
        return _(self.off_text)

    def bounds_text(self) -> str:
        """What the setting accepts, as a phrase (``1 to 60 minutes``), for help texts."""
        if self.kind == "int":
            low = 0 if self.zero_means_off else (self.minimum or 0)
            text = self._range(low, self.maximum or 0)
            if not self.zero_means_off:
                return text
            if self.off_text == "off":
                return _("{range}, 0 turns it off", range=text)
            return _("{range}, 0 means {off}", range=text, off=self._off())
        if self.kind == "int_list":
            low, high = self.minimum or 1, self.maximum or 10**9
            return _(
                "1 to {limit} {setting} between {low} and {high}, separated by commas",
                limit=i18n.number(self.max_items or 20),
                setting=self.human_label,
                low=self.number(low),
                high=self.amount(high),
            )
        if self.kind == "choice":
            return _either(self.choices)
        if self.kind == "time":
            return _("a time on the 24-hour clock, e.g. 09:00")
        if self.kind == "url":
            return _("a link starting with http:// or https://")
        # Translators: what a switch setting accepts.
        return _("on or off")

    def rule(self) -> str:
        """The whole sentence a refusal ends with: ``The board refresh must be 1 to 60 minutes.``"""
        return self._rule(None)

    def _rule(self, given: str | None) -> str:
        """The rule; with ``given`` (the refused value, quoted) it says ``…, not “0”.`` after the bounds."""
        setting = self.human_label
        if self.kind == "time":
            return _(TIME_HINT)
        if self.kind == "int_list":
            if given is None:
                return _("Give {bounds}.", bounds=self.bounds_text())
            return _("Give {bounds}, not {value}.", bounds=self.bounds_text(), value=given)
        if self.kind == "url":
            if given is None:
                return _("The {setting} must start with http:// or https://.", setting=setting)
            return _("The {setting} must start with http:// or https://, not {value}.", setting=setting, value=given)
        if self.kind == "bool":
            if given is None:
                return _("Use on or off for the {setting}.", setting=setting)
            return _("Use on or off for the {setting}, not {value}.", setting=setting, value=given)
        if self.kind == "int":
            low = 0 if self.zero_means_off else (self.minimum or 0)
            bounds = self._range(low, self.maximum or 0)
            if not self.zero_means_off:
                if given is None:
                    return _("The {setting} must be {range}.", setting=setting, range=bounds)
                return _("The {setting} must be {range}, not {value}.", setting=setting, range=bounds, value=given)
            if self.off_text == "off":
                if given is None:
                    return _("The {setting} must be {range}. 0 turns it off.", setting=setting, range=bounds)
                return _(
                    "The {setting} must be {range}, not {value}. 0 turns it off.",
                    setting=setting,
                    range=bounds,
                    value=given,
                )
            if given is None:
                return _(
                    "The {setting} must be {range}. 0 means {off}.", setting=setting, range=bounds, off=self._off()
                )
            return _(
                "The {setting} must be {range}, not {value}. 0 means {off}.",
                setting=setting,
                range=bounds,
                value=given,
                off=self._off(),
            )
        if given is None:
            return _("The {setting} must be {bounds}.", setting=setting, bounds=self.bounds_text())
        return _(
            "The {setting} must be {bounds}, not {value}.", setting=setting, bounds=self.bounds_text(), value=given
        )

    def shown(self, value: Any) -> str:
        """A stored value as people read it: ``every 10 minutes``, ``50, 100, 1,000 votes``, ``on``."""
        if value is None:
            return self._off()
        if isinstance(value, bool):
            # Translators: a setting's value when it is switched on.
            return p_("setting value", "on") if value else p_("setting value", "off")
        if isinstance(value, list):
            numbers = ", ".join(self.number(v) for v in value)
            return _numbers(self.unit, value[-1] if value else 0, numbers) if self.unit else numbers
        if isinstance(value, int):
            if self.every:
                return _every(self.unit, value, self.number(value))
            return self.amount(value)
        if self.kind == "choice" and value in self.choices and self.choice_labels:
            return _(self.choice_labels[self.choices.index(value)])
        return str(value)

    def refuse(self, value: object, problem: str = "") -> UserError:
        """``“abc” is not a whole number. The board refresh must be 1 to 60 minutes.`` (``problem`` is the whole
        sentence saying what is wrong with the value, with a ``{value}`` placeholder for it, already translated;
        without it the value is out of bounds)."""
        shown = quoted(value)
        if self.kind == "time":
            return UserError(_("{value} is not a time.", value=shown) + " " + _(TIME_HINT))
        if problem:
            return UserError(problem.format(value=shown) + " " + self.rule())
        if self.kind == "int_list":
            return UserError(_("{value} is not a list of whole numbers.", value=shown) + " " + self.rule())
        return UserError(self._rule(shown))

    def out_of_bounds(self, number: int) -> UserError:
        """``The board refresh must be 1 to 60 minutes, not 0.``"""
        return UserError(self._rule(self.number(number)))

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
        if not self.settings:
            raise UserError(
                _("{feature} has no setting `{name}`; its settings are: none.", feature=_(self.label), name=name[:40])
            )
        known = ", ".join(s.option_name for s in self.settings)
        raise UserError(
            _(
                "{feature} has no setting `{name}`; its settings are: {settings}.",
                feature=_(self.label),
                name=name[:40],
                settings=known,
            )
        )

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
        raise UserError(_("Unknown feature {name}; choose one of: {features}.", name=repr(name[:40]), features=known))

    def label(self, name: str) -> str:
        """The feature's label as declared (English, marked with ``N_``: translate it where it is shown)."""
        return self.get(name).label if name in self else name


# ---------------------------------------------------------------------------------------------- parsers


def _either(choices: tuple[str, ...]) -> str:
    """``all or first``; ``a, b or c`` (the choices are what people type, never translated)."""
    if len(choices) <= 1:
        return "".join(choices)
    return babel.lists.format_list(list(choices), style="or", locale=i18n.current().locale)


@dataclass(frozen=True)
class UnitTexts:
    """A unit's words with their plural forms: ``10 minutes``, ``every 10 minutes``, ``50, 100 minutes``."""

    amount: tuple[str, str]
    every: tuple[str, str]
    numbers: tuple[str, str]


UNITS: Mapping[str, UnitTexts] = {
    "minute": UnitTexts(
        N_plural("{count} minute", "{count} minutes"),
        N_plural("every minute", "every {count} minutes"),
        N_plural("{numbers} minute", "{numbers} minutes"),
    ),
    "second": UnitTexts(
        N_plural("{count} second", "{count} seconds"),
        N_plural("every second", "every {count} seconds"),
        N_plural("{numbers} second", "{numbers} seconds"),
    ),
    "hour": UnitTexts(
        N_plural("{count} hour", "{count} hours"),
        N_plural("every hour", "every {count} hours"),
        N_plural("{numbers} hour", "{numbers} hours"),
    ),
    "vote": UnitTexts(
        N_plural("{count} vote", "{count} votes"),
        N_plural("every vote", "every {count} votes"),
        N_plural("{numbers} vote", "{numbers} votes"),
    ),
    # Translators: failed checks of a game server in a row (the status alert's threshold).
    "failed check": UnitTexts(
        N_plural("{count} failed check", "{count} failed checks"),
        N_plural("every failed check", "every {count} failed checks"),
        N_plural("{numbers} failed check", "{numbers} failed checks"),
    ),
}
"""Every unit a setting may declare (``SettingSpec`` refuses another): a new unit adds its words here."""


def _amount(unit: str, count: int, shown: str) -> str:
    """``10 minutes`` for ``unit`` (its singular, as a spec declares it); ``shown`` is the formatted number."""
    return n_(*UNITS[unit].amount, count, count=shown)


def _every(unit: str, count: int, shown: str) -> str:
    """``every minute``, ``every 10 minutes`` (an interval)."""
    if unit:
        return n_(*UNITS[unit].every, count, count=shown)
    # Translators: an interval without a unit, e.g. "every 10".
    return _("every {amount}", amount=shown)


def _numbers(unit: str, last: int, numbers: str) -> str:
    """``50, 100, 1,000 votes`` (the plural form follows the last number)."""
    return n_(*UNITS[unit].numbers, last, numbers=numbers)


def _bool(value: object, spec: SettingSpec) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    # English always, and the words the listing shows in the language in force ("activé", "aus", "вкл")
    if text in {"true", "yes", "on", "1", p_("setting value", "on").lower()}:
        return True
    if text in {"false", "no", "off", "0", p_("setting value", "off").lower()}:
        return False
    raise spec.refuse(value)


def _int(value: object, spec: SettingSpec) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and is_ascii_digits(value.strip().removeprefix("-")):
        return int(value.strip())
    raise spec.refuse(value, _("{value} is not a whole number."))


def _int_list(value: object, spec: SettingSpec) -> list[int]:
    if isinstance(value, str):
        parts = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise spec.refuse(value)
    if not parts:
        raise UserError(_("No {setting} were given.", setting=spec.human_label) + " " + spec.rule())
    numbers = sorted({_int(part, spec) for part in parts})
    low, high = spec.minimum or 1, spec.maximum or 10**9
    limit = spec.max_items or 20
    if len(numbers) > limit:
        raise UserError(
            n_(
                "That's {total} {setting}; at most {count} is allowed.",
                "That's {total} {setting}; at most {count} are allowed.",
                limit,
                total=i18n.number(len(numbers)),
                setting=spec.human_label,
            )
        )
    for number in (numbers[0], numbers[-1]):
        if not low <= number <= high:
            raise UserError(_("{value} is out of range.", value=spec.number(number)) + " " + spec.rule())
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
        raise spec.refuse(value, _("{value} is not a web link.")) from None
