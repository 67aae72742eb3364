"""The dashboard's forwarding page: where the server's votes are handed on (Votifier, signed webhooks) with each
destination's state, backlog and last error; adding one (the fields of /forward add, the token or key typed into a
password field that is never filled in or shown again: only its fingerprint is), pause, resume, a test vote, and
removing one behind a confirmation page — through the very service /forward uses. The owners' instance page gets
the forwarding backlog of every server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.errors import UserError
from bot.core.i18n import N_, _, number
from bot.db.credentials import fingerprint
from bot.web.dashboard.access import Page, Refusal
from bot.web.dashboard.sections import Fact, Form, InstanceFacts, Section
from cogs.forwarding.checks import clean_providers, providers_text
from cogs.forwarding.model import DeliveryFailed, Destination
from cogs.forwarding.service import ForwardingService, test_player
from cogs.forwarding.views import (
    MAX_ERROR,
    kind_label,
    paused_text,
    removed_text,
    resumed_text,
    test_failed_text,
    tested_text,
    votifier_added_text,
    webhook_added_text,
)

if TYPE_CHECKING:
    from bot.app.client import VoteBot

NAME = "forwarding"
HEADING = N_("Forwarding")
ADDING = ("add-votifier", "add-webhook")
ACTIONS = ("pause", "resume", "test", "remove")


def state_of(destination: Destination) -> tuple[str, str]:
    """The destination's state for the list, and its CSS class."""
    if destination.paused == "owner":
        # Translators: the state of a vote destination on the dashboard.
        return _("paused"), "off"
    if destination.paused == "failing":
        # Translators: the state of a vote destination on the dashboard.
        return _("paused: it kept failing"), "off"
    if destination.failing_since is not None:
        # Translators: the state of a vote destination on the dashboard.
        return _("retrying"), ""
    # Translators: the state of a vote destination on the dashboard.
    return _("delivering"), "on"


class ForwardingPage:
    def __init__(self, service: ForwardingService, sections: list[Section]) -> None:
        self.service = service
        self.sections = sections

    def _action(self, page: Page) -> tuple[str, str]:
        """``pause/survival`` → ("pause", "survival"); ("add-webhook", ""); ("", "") for the first page."""
        if not page.tail or page.tail in ADDING:
            return page.tail, ""
        found = page.action(ACTIONS)
        assert found is not None  # noqa: S101 - page.tail is not empty
        return found

    async def _destination(self, page: Page, name: str) -> Destination:
        try:
            return await self.service.destination(page.server, name)
        except UserError as missing:
            raise Refusal(404, str(missing)) from None

    async def get(self, page: Page) -> web.StreamResponse:
        status = 422 if page.error else 200
        action, name = self._action(page)
        if action == "remove":
            destination = await self._destination(page, name)
            health = await self.service.health(destination)
            return await page.render(
                "forwarding/confirm.html",
                status=status,
                destination=destination,
                kind=kind_label(destination.kind),
                backlog=health.backlog + health.dead,
                sections=self.sections,
            )
        if action in ACTIONS:  # pause, resume and test are buttons of the list
            raise Refusal(404, _("This page does not exist."))
        rows = []
        for item in await self.service.overview(page.server):
            destination = item.destination
            state, css = state_of(destination)
            rows.append(
                {
                    "destination": destination,
                    "kind": kind_label(destination.kind),
                    "sites": providers_text(destination.providers),
                    "state": state,
                    "css": css,
                    "health": item.health,
                    "error": (destination.last_error_shown or "")[:MAX_ERROR],
                    "fingerprint": fingerprint(destination.secret),
                }
            )
        return await page.render(
            "forwarding/list.html",
            status=status,
            rows=rows,
            adding=action,
            version=page.typed("version", "2"),
            sections=self.sections,
        )

    async def post(self, page: Page, form: Form) -> web.StreamResponse:
        action, name = self._action(page)
        if action == "add-votifier":
            return await page.done(await self._add_votifier(page, form), to=page.url("s", NAME))
        if action == "add-webhook":
            return await self._add_webhook(page, form)
        if action not in ACTIONS:
            raise Refusal(404, _("This page does not exist."))
        back = page.url("s", NAME)
        destination = await self._destination(page, name)
        if action == "pause":
            await self.service.pause(destination)
            return await page.done(paused_text(destination), to=back)
        if action == "resume":
            return await page.done(resumed_text(destination, await self.service.resume(destination)), to=back)
        if action == "test":
            player = test_player(str(form.get("player") or ""))
            try:
                answer = await self.service.test(page.server, destination, player)
            except DeliveryFailed as failure:
                return await page.done(test_failed_text(destination, failure), to=back)
            return await page.done(tested_text(destination, player, answer), to=back)
        if form.get("confirm") != "on":
            raise UserError(_("Tick the box to confirm; nothing was changed."))
        return await page.done(removed_text(destination, await self.service.remove(destination)), to=back)

    async def _add_votifier(self, page: Page, form: Form) -> str:
        """/forward add votifier and its token form in one: the same checks, in the same order."""
        name = str(form.get("name") or "")
        providers = str(form.get("providers") or "").strip() or None
        await self.service.check_new(page.server, name)  # a bad, taken or one-too-many name: refused first
        clean_providers(providers)
        added = await self.service.add_votifier(
            page.server,
            name=name,
            address=str(form.get("address") or ""),
            secret=str(form.get("secret") or ""),
            version=1 if form.get("version") == "1" else 2,
            service_name=str(form.get("service_name") or "").strip() or "votebot",
            providers=providers,
        )
        return votifier_added_text(page.server, added)

    async def _add_webhook(self, page: Page, form: Form) -> web.StreamResponse:
        """/forward add webhook: its new signing secret is shown on this one answer (as the slash command shows it
        once), never stored in the session nor shown again."""
        providers = str(form.get("providers") or "").strip() or None
        added, secret = await self.service.add_webhook(
            page.server, name=str(form.get("name") or ""), url=str(form.get("url") or ""), providers=providers
        )
        return await page.render(
            "forwarding/added.html", text=webhook_added_text(page.server, added, secret), sections=self.sections
        )


def backlog_facts(service: ForwardingService) -> InstanceFacts:
    async def facts() -> list[Fact]:
        backlog = await service.backlog()
        return [
            # Translators: a line of the bot owners' page: votes waiting to be handed on to game servers.
            Fact(_("Votes queued"), number(backlog.queued)),
            # Translators: a line of the bot owners' page: vote destinations failing now.
            Fact(_("Destinations failing"), number(backlog.failing)),
            # Translators: a line of the bot owners' page: votes given up on after a day of failed attempts.
            Fact(_("Dead letters"), number(backlog.dead)),
        ]

    return facts


def add_section(bot: VoteBot, service: ForwardingService) -> None:
    bot.dashboard.add(
        Section(
            name=NAME, label=HEADING, handler=ForwardingPage(service, bot.dashboard.sections), package="cogs.forwarding"
        )
    )
    bot.dashboard.add_instance_facts(HEADING, backlog_facts(service))


def remove_section(bot: VoteBot) -> None:
    bot.dashboard.remove(NAME)
    bot.dashboard.remove_instance_facts(HEADING)
