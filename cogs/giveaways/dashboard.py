"""The dashboard's giveaways page: the server's running and recent giveaways, a form to start one, and per giveaway
"End now", "Cancel" (each behind a confirmation page) and "Reroll" — through the very service /giveaway uses, with
the channel checked the way the slash command checks it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.errors import UserError
from bot.core.guild_checks import postable_channel
from bot.core.i18n import N_, _
from bot.core.text import escape
from bot.core.time import zone
from bot.web.dashboard.access import Page, Refusal, snowflake_in
from bot.web.dashboard.forms import channel_choices, role_choices
from bot.web.dashboard.sections import Form, Section
from cogs.giveaways.draws import MAX_BONUS, MAX_WINNERS
from cogs.giveaways.repository import Giveaway
from cogs.giveaways.service import GiveawayService
from cogs.giveaways.spec import GIVEAWAYS
from cogs.giveaways.views import ended_text, rerolled_text

if TYPE_CHECKING:
    from bot.app.client import VoteBot

NAME = "giveaways"
ACTIONS = ("end", "cancel", "reroll")


def local_time(at: dt.datetime, tz_name: str) -> str:
    """``2026-12-05 10:00 Europe/Berlin``: a time in the server's time zone."""
    return f"{at.astimezone(zone(tz_name)):%Y-%m-%d %H:%M} {tz_name}"


def whole(text: object, fallback: int) -> int:
    """A count typed in the form; what is not a whole number becomes ``fallback`` (refused by the service's
    bounds, with the slash command's words)."""
    cleaned = str(text).strip()
    return int(cleaned) if cleaned.isascii() and cleaned.isdigit() and len(cleaned) < 6 else fallback


class GiveawaysPage:
    def __init__(self, service: GiveawayService, sections: list[Section]) -> None:
        self.service = service
        self.sections = sections

    async def _giveaway(self, page: Page, giveaway_id: int) -> Giveaway:
        """The giveaway of this game server (the slash commands find it in the guild; the page is the server's)."""
        try:
            giveaway = await self.service.get_in_guild(page.guild.id, giveaway_id)
        except UserError as missing:
            raise Refusal(404, str(missing)) from None
        if giveaway.server_id != page.server.id:
            raise Refusal(404, _("There is no giveaway #{id} here. /giveaway list shows them.", id=giveaway_id))
        return giveaway

    async def get(self, page: Page) -> web.StreamResponse:
        status = 422 if page.error else 200
        action = page.action_on_id(ACTIONS)
        tz_name = page.server.timezone
        if action is not None and action[0] != "reroll":  # a refused reroll shows the list with the refusal
            giveaway = await self._giveaway(page, action[1])
            return await page.render(
                "giveaways/confirm.html",
                status=status,
                action=action[0],
                giveaway=giveaway,
                ends=local_time(giveaway.ends_at, tz_name),
                sections=self.sections,
            )
        default_channel = await self.service.channel_of(page.server)
        typed_channel = snowflake_in(page.typed("channel_id")) if page.form is not None else default_channel
        typed_role = snowflake_in(page.typed("required_role_id"))
        rows = [
            (giveaway, entrants, local_time(giveaway.finished_at or giveaway.ends_at, tz_name))
            for giveaway, entrants in await self.service.list_for_server(page.server)
        ]
        return await page.render(
            "giveaways/list.html",
            status=status,
            rows=rows,
            channels=channel_choices(page.guild, typed_channel),
            roles=role_choices(page.guild, typed_role),
            max_winners=MAX_WINNERS,
            max_bonus=MAX_BONUS,
            timezone=tz_name,
            sections=self.sections,
        )

    async def post(self, page: Page, form: Form) -> web.StreamResponse:
        action = page.action_on_id(ACTIONS)
        if action is None:
            return await page.done(await self._start(page, form))
        name, giveaway_id = action
        await self._giveaway(page, giveaway_id)
        if name == "reroll":
            result = await self.service.reroll(page.guild.id, giveaway_id, whole(form.get("winners") or "1", 0))
            return await page.done(rerolled_text(giveaway_id, len(result.draw.winners)), to=page.url("s", NAME))
        if form.get("confirm") != "on":
            raise UserError(_("Tick the box to confirm; nothing was changed."))
        if name == "end":
            ended = await self.service.end_now(page.guild.id, giveaway_id)
            return await page.done(ended_text(giveaway_id, len(ended.draw.winners)), to=page.url("s", NAME))
        cancelled = await self.service.cancel(page.guild.id, giveaway_id)
        return await page.done(_("Giveaway #{id} was cancelled.", id=cancelled.id), to=page.url("s", NAME))

    async def _start(self, page: Page, form: Form) -> str:
        """/giveaway start: the channel checked as the slash command checks it, then the same service call."""
        channel_id = snowflake_in(str(form.get("channel_id") or "")) or await self.service.channel_of(page.server)
        target = postable_channel(page.guild, channel_id, _(GIVEAWAYS.label))
        role_id = snowflake_in(str(form.get("required_role_id") or ""))
        if role_id is not None:
            role = page.guild.get_role(role_id)
            if role is None:
                raise UserError(_("That role no longer exists."))
            if role.is_default():
                raise UserError(_("Everyone has @everyone: leave the role out instead."))
        giveaway = await self.service.start(
            page.server,
            channel_id=target.id,
            host_id=page.member.id,
            prize=str(form.get("prize") or ""),
            duration=str(form.get("duration") or ""),
            winners=whole(form.get("winners") or "1", 0),
            required_role_id=role_id,
            require_vote=form.get("voted_this_month") == "on",
            voter_bonus=whole(form.get("voter_bonus") or "0", -1),
        )
        return _(
            "Giveaway `#{id}` for **{prize}** started in {channel}; it ends {relative}.",
            id=giveaway.id,
            prize=escape(giveaway.prize),
            channel=target.mention,
            relative=local_time(giveaway.ends_at, page.server.timezone),
        )


def add_section(bot: VoteBot, service: GiveawayService) -> None:
    bot.dashboard.add(
        Section(
            name=NAME,
            label=N_("Giveaways"),
            handler=GiveawaysPage(service, bot.dashboard.sections),
            package="cogs.giveaways",
            feature=GIVEAWAYS.name,
        )
    )
