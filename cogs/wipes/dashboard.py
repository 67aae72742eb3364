"""The dashboard's wipes page: the planned wipes and events (what /wipe list shows), a form to plan one (the fields
and the time parsing of /wipe add, times in the server's time zone), moving one, and removing one behind a
confirmation page — through the very service /wipe uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.errors import UserError
from bot.core.i18n import N_, _
from bot.core.text import escape
from bot.core.time import format_duration, zone
from bot.web.dashboard.access import Page, Refusal
from bot.web.dashboard.forms import Choice
from bot.web.dashboard.sections import Form, Section
from cogs.wipes.calendar import REPEATS
from cogs.wipes.repository import Wipe
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

    async def get(self, page: Page) -> web.StreamResponse:
        status = 422 if page.error else 200
        tz_name = page.server.timezone
        action = page.action_on_id(("remove", "move"))
        if action is not None:
            try:
                wipe = await self.service.get_for_server(page.server, action[1])
            except UserError as missing:
                raise Refusal(404, str(missing)) from None
            return await page.render(
                "wipes/move.html" if action[0] == "move" else "wipes/confirm.html",
                status=status,
                wipe=wipe,
                starts=local_time(wipe.starts_at, tz_name),
                typed_start=page.typed("when", f"{wipe.starts_at.astimezone(zone(tz_name)):%Y-%m-%d %H:%M}"),
                repeat=_(REPEAT_LABELS[wipe.repeat]),
                timezone=tz_name,
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
        action = page.action_on_id(("remove", "move"))
        if action is not None and action[0] == "move":
            moved = await self.service.move(page.server, action[1], str(form.get("when") or ""))
            return await page.done(await self._moved_text(page, moved), to=page.url("s", NAME))
        if action is not None:
            wipe_id = action[1]
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

    async def _moved_text(self, page: Page, moved: Wipe) -> str:
        """/wipe move's answer, with the time in the server's time zone (a page shows no Discord timestamps)."""
        local = local_time(moved.starts_at, page.server.timezone)
        channel_id = await self.service.channel_of(page.server)
        channel = f"<#{channel_id}>"
        if channel_id is None:
            return _(
                "Moved wipe #{id} **{title}** to {local}.", id=str(moved.id), title=escape(moved.title), local=local
            )
        return _(
            "Moved wipe #{id} **{title}** to {local}. If it was already announced, I'll post the new time in "
            "{channel}.",
            id=str(moved.id),
            title=escape(moved.title),
            local=local,
            channel=channel,
        )


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
