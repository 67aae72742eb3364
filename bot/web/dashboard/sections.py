"""Pages that feature packages add to the dashboard, the way they add slash commands.

A feature package's ``setup(bot)`` calls ``bot.dashboard.add(Section(...))``; the section is served for every game
server at ``/dashboard/servers/{id}/s/{name}`` (and below: ``…/{name}/{tail}``), listed in the server's menu, behind
the same login, Manage Server re-check and CSRF check as the dashboard's own pages. Its templates live in the
package's ``templates/`` folder and are named ``{name}/…`` (``giveaways/list.html``). Owners of the bot also see
the :class:`InstanceFacts` features add to the instance page (a backlog, a queue).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web
from multidict import MultiDictProxy

if TYPE_CHECKING:
    from bot.web.dashboard.access import Page

Form = MultiDictProxy[Any]
"""A sent form (``await request.post()``): text fields, and files nobody here asks for."""


class SectionHandler(Protocol):
    async def get(self, page: Page) -> web.StreamResponse:
        """The section's page (``page.tail`` is the path below it, ``""`` for its first page). When a POST raised a
        :class:`~bot.core.errors.UserError`, ``page.error`` holds its text and ``page.form`` what was typed."""
        ...

    async def post(self, page: Page, form: Form) -> web.StreamResponse:
        """A form was sent (its CSRF token already checked, the person's Manage Server re-checked). Raise a
        :class:`~bot.core.errors.UserError` to refuse: the page is shown again with the message. On success
        answer ``page.done(text)`` (back to the section's page with the text shown)."""
        ...


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # the URL part and the templates' folder: lower case letters and dashes
    label: str  # marked with N_, translated where it is shown
    handler: SectionHandler
    package: str  # the package whose templates/ folder holds ``{name}/…`` (``cogs.giveaways``)
    feature: str = ""  # the feature it belongs to: the menu shows it beside that feature


@dataclass(frozen=True, slots=True)
class Fact:
    label: str  # already in the language in force
    value: str


InstanceFacts = Callable[[], Awaitable[list[Fact]]]
"""What a feature adds to the bot owners' instance page, in the language in force."""


@dataclass
class DashboardPages:
    sections: list[Section] = field(default_factory=list)
    instance_facts: list[tuple[str, InstanceFacts]] = field(default_factory=list)  # (heading marked N_, facts)

    def add(self, section: Section) -> None:
        if any(known.name == section.name for known in self.sections):
            raise ValueError(f"dashboard section {section.name!r} added twice")
        if not section.name.replace("-", "").isalpha() or not section.name.islower():
            raise ValueError(f"dashboard section name {section.name!r}: lower case letters and dashes only")
        self.sections.append(section)

    def remove(self, name: str) -> None:
        """Take a section away (its package's ``teardown()``), so loading the package again adds it again."""
        self.sections[:] = [section for section in self.sections if section.name != name]

    def add_instance_facts(self, heading: str, facts: InstanceFacts) -> None:
        self.instance_facts.append((heading, facts))

    def remove_instance_facts(self, heading: str) -> None:
        self.instance_facts[:] = [(known, facts) for known, facts in self.instance_facts if known != heading]

    def get(self, name: str) -> Section | None:
        return next((section for section in self.sections if section.name == name), None)
