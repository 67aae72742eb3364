"""The dashboard's wipes page: the planned wipes and events (what /wipe list shows), a form to plan one (the fields
and the time parsing of /wipe add, times in the server's time zone), and removing one behind a confirmation page —
through the very service /wipe uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.errors import UserError
from bot.core.i18n import N_, _
from bot.core.text import escape
from bot.core.time import format_duration
from bot.web.dashboard.access import Page, Refusal, snowflake_in
from bot.web.dashboard.forms import Choice
from bot.web.dashboard.sections import Form, Section
from cogs.wipes.calendar import REPEATS
from cogs.wipes.service import WipeService
from cogs.wipes.spec import WIPES
from cogs.wipes.views import REPEAT_LABELS, local_time, removed_text

if TYPE_CHECKING:
    from bot.app.client import VoteBot

NAME = "wipes"


class WipesPage:
    def __init__(self, service: WipeService, sections: list[Section]) -> None:
        self.service = service
        self.sections = sections

    def _removing(self, page: Page) -> int | None:
        """``remove/7`` → 7; None for the section's first page; a refusal for anything else."""
        if not page.tail:
            return None
        action, _slash, number = page.tail.partition("/")
        wipe_id = snowflake_in(number)
        if action != "remove" or wipe_id is None:
            raise Refusal(404, _("This page does not exist."))
        return wipe_id

    async def get(self, page: Page) -> web.StreamResponse:
        status = 422 if page.error else 200
        tz_name = page.server.timezone
        wipe_id = self._removing(page)
        if wipe_id is not None:
            try:
                wipe = await self.service.get_for_server(page.server, wipe_id)
            except UserError as missing:
                raise Refusal(404, str(missing)) from None
            return await page.render(
                "wipes/confirm.html",
                status=status,
                wipe=wipe,
                starts=local_time(wipe.starts_at, tz_name),
                repeat=_(REPEAT_LABELS[wipe.repeat]),
                sections=self.sections,
            )
        rows = [
            (wipe, local_time(at, tz_name), format_duration(wipe.duration), _(REPEAT_LABELS[wipe.repeat]))
            for wipe, at in await self.service.upcoming(page.server)
        ]
        typed_repeat = page.typed("repeat", "none")
        repeats = tuple(Choice(value, _(REPEAT_LABELS[value]), value == typed_repeat) for value in REPEATS)
        return await page.render(
            "wipes/list.html",
            status=status,
            rows=rows,
            repeats=repeats,
            timezone=tz_name,
            sections=self.sections,
        )

    async def post(self, page: Page, form: Form) -> web.StreamResponse:
        wipe_id = self._removing(page)
        if wipe_id is not None:
            if form.get("confirm") != "on":
                raise UserError(_("Tick the box to confirm; nothing was changed."))
            planned = await self.service.remove(page.server, wipe_id)
            text = removed_text(planned, await self.service.channel_of(page.server))
            return await page.done(text, to=page.url("s", NAME))
        description = str(form.get("description") or "").strip()
        duration = str(form.get("duration") or "").strip()
        wipe, notes = await self.service.add(
            page.server,
            title=str(form.get("title") or ""),
            when=str(form.get("when") or ""),
            description=description or None,
            repeat=str(form.get("repeat") or "none"),
            duration=duration or None,
            discord_event=form.get("discord_event") == "on",
            created_by=page.member.id,
        )
        planned_text = _(
            "Planned wipe #{id} **{title}** for {local}.",
            id=str(wipe.id),
            title=escape(wipe.title),
            local=local_time(wipe.starts_at, page.server.timezone),
        )
        return await page.done("\n".join([planned_text, *(escape(note) for note in notes)]))


def add_section(bot: VoteBot, service: WipeService) -> None:
    bot.dashboard.add(
        Section(
            name=NAME,
            label=N_("Wipes"),
            handler=WipesPage(service, bot.dashboard.sections),
            package="cogs.wipes",
            feature=WIPES.name,
        )
    )
