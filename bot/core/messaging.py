"""Talking to Discord from services: post, edit, DM, give and take roles — with one error vocabulary.

Services never catch discord.py's exceptions themselves. A call here either works, raises
:class:`Unreachable` (permanent for this target: the channel is gone, is not a text channel, or Discord
refuses the bot there — retrying will not help until an admin acts), or raises :class:`discord.HTTPException`
untouched for everything transient (5xx, rate limits that ran out) — vote consumers let that propagate so
the dispatcher retries later.

Every post names its ``allowed_mentions`` (nothing by default). A post can carry a ``nonce`` made by
:func:`effect_nonce`: Discord returns the existing message instead of creating a second one when the same
nonce comes again within a few minutes, so a retry after a crash between posting and bookkeeping does
not post twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.core import i18n
from bot.core.guild_checks import refusal_to_grant
from bot.core.i18n import N_, _

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
CANNOT_SEND_IN_NON_TEXT = 50008
CANNOT_DM = 50007
UNKNOWN_MEMBER, UNKNOWN_ROLE, UNKNOWN_USER = 10007, 10011, 10013


@dataclass(frozen=True)
class Picture:
    """A picture sent with a message (a chart): bytes, not a :class:`discord.File`, which can be sent only once.

    An embed shows it with ``embed.set_image(url=picture.url)``: Discord resolves ``attachment://`` to the
    uploaded file, also when an edit keeps the file it had."""

    filename: str  # e.g. "votes.png": ASCII, no spaces (Discord's rule for attachment:// references)
    data: bytes
    description: str = ""  # the picture's alt text, in the reader's language

    @property
    def url(self) -> str:
        return f"attachment://{self.filename}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def file(self) -> discord.File:
        return discord.File(io.BytesIO(self.data), filename=self.filename, description=self.description or None)


def files_of(pictures: Sequence[Picture]) -> list[discord.File]:
    return [picture.file() for picture in pictures]


class Unreachable(Exception):
    """The target cannot take this (gone, wrong kind, or the bot lacks permission).

    ``reason`` says which in English (log lines, stored errors); :attr:`shown` says it in the language in force,
    for the owner notice or board text it ends up in — read it inside ``with servers.speaking_for(server):``.
    ``reason`` is an ``N_``-marked text whose ``{placeholders}`` are filled from ``params``, or a function that
    words it in the language in force (a plural, or Discord's own words: :func:`_discord_words`).
    """

    def __init__(self, reason: str | Callable[[], str], /, **params: object) -> None:
        if callable(reason):
            self._shown = reason
        else:
            self._shown = lambda: _(reason, **params)
        with i18n.speaking(i18n.ENGLISH):
            english = self._shown()
        super().__init__(english)
        self.reason = english

    @property
    def shown(self) -> str:
        """The reason in the language in force."""
        return self._shown()


class Gone(Unreachable):
    """The channel, message, role or user no longer exists."""


class DmClosed(Unreachable):
    """The member does not accept DMs from the bot."""


class DangerousRole(Unreachable):
    """The role carries a permission the bot never hands out (:data:`bot.core.guild_checks.DANGEROUS_PERMISSIONS`);
    it gained it after it was configured, or was configured where no member was asked (the CLI)."""


def effect_nonce(*parts: object) -> str:
    """A message nonce for one effect (e.g. ``("thanks", vote_id)``): the same effect, the same nonce."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:25]


def only_users(*user_ids: int) -> discord.AllowedMentions:
    """Mentions that ping exactly these members (and nobody else)."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(u) for u in user_ids], replied_user=False
    )


def only_role(role_id: int | None) -> discord.AllowedMentions:
    """Mentions that ping exactly this role (or nobody, for None)."""
    return discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(role_id)] if role_id else False, replied_user=False
    )


async def _unless_gone(call: Awaitable[object]) -> bool:
    """Await a call on an existing message: False when the message is gone, :class:`Unreachable` when refused."""
    try:
        await call
    except discord.NotFound:
        return False
    except discord.HTTPException as exc:
        refused = _refused(exc)
        if refused is None:
            raise
        raise refused from exc
    return True


def _refused(exc: discord.HTTPException) -> Unreachable | None:
    if isinstance(exc, discord.Forbidden):
        if exc.code == CANNOT_DM:
            return DmClosed(N_("the member does not accept direct messages"))
        # Translators: {error} is Discord's own error text (English).
        return Unreachable(N_("Discord refused access ({error})"), error=exc.text or str(exc.status))
    if isinstance(exc, discord.NotFound):
        return Gone(N_("the channel no longer exists"))
    if exc.code == CANNOT_SEND_IN_NON_TEXT:
        return Unreachable(N_("it is not a text channel"))
    return None


def _discord_words(text: str) -> Callable[[], str]:
    """Discord's own error text as a reason: shown as it is, never looked up in the catalog."""
    return lambda: text


class Messenger:
    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(
        self,
        channel_id: int,
        content: str | None = None,
        *,
        embeds: Sequence[discord.Embed] = (),
        view: discord.ui.View | None = None,
        mentions: discord.AllowedMentions = NO_MENTIONS,
        nonce: str | None = None,
        reply_to: int | None = None,
        guild_id: int | None = None,
        pictures: Sequence[Picture] = (),
    ) -> int:
        """Post in a channel; returns the message id."""
        channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
        kwargs: dict[str, Any] = {"allowed_mentions": mentions}
        if content is not None:
            kwargs["content"] = content
        if embeds:
            kwargs["embeds"] = list(embeds)
        if pictures:
            kwargs["files"] = files_of(pictures)
        if view is not None:
            kwargs["view"] = view
        if nonce is not None:
            kwargs["nonce"] = nonce
        if reply_to is not None:
            kwargs["reference"] = discord.MessageReference(
                message_id=reply_to, channel_id=channel_id, fail_if_not_exists=False
            )
        try:
            message = await channel.send(**kwargs)
        except discord.HTTPException as exc:
            refused = _refused(exc)
            if refused is None:
                raise
            raise refused from exc
        return message.id

    async def edit(
        self,
        channel_id: int,
        message_id: int,
        *,
        content: str | None = None,
        embeds: Sequence[discord.Embed] | None = None,
        view: discord.ui.View | None = None,
        remove_view: bool = False,
        guild_id: int | None = None,
        pictures: Sequence[Picture] | None = None,
    ) -> bool:
        """Edit one of the bot's messages; False when it was deleted meanwhile. ``pictures`` replace the message's
        files (``()`` removes them); None keeps the files it has (nothing uploaded again)."""
        message = self._client.get_partial_messageable(channel_id, guild_id=guild_id).get_partial_message(message_id)
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if content is not None:
            kwargs["content"] = content
        if embeds is not None:
            kwargs["embeds"] = list(embeds)
        if pictures is not None:
            kwargs["attachments"] = files_of(pictures)
        if view is not None or remove_view:
            kwargs["view"] = view
        return await _unless_gone(message.edit(**kwargs))

    async def delete(self, channel_id: int, message_id: int, *, guild_id: int | None = None) -> bool:
        """Delete one of the bot's messages; False when it (or its channel) was already gone."""
        message = self._client.get_partial_messageable(channel_id, guild_id=guild_id).get_partial_message(message_id)
        return await _unless_gone(message.delete())

    async def dm(self, user_id: int, content: str, *, nonce: str | None = None) -> int:
        """DM a member; :class:`DmClosed` when they do not accept DMs, :class:`Unreachable` for an unknown user."""
        try:
            user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
            channel = await user.create_dm()
            if nonce is None:
                message = await channel.send(content, allowed_mentions=NO_MENTIONS)
            else:
                message = await channel.send(content, allowed_mentions=NO_MENTIONS, nonce=nonce)
        except discord.NotFound as exc:
            raise Gone(N_("the user no longer exists")) from exc
        except discord.Forbidden as exc:
            raise DmClosed(N_("the member does not accept direct messages")) from exc
        return message.id

    async def create_scheduled_event(
        self, guild_id: int, *, name: str, start: dt.datetime, end: dt.datetime, location: str, description: str
    ) -> int:
        """An external Discord scheduled event; :class:`Unreachable` when the bot may not (Manage Events)."""
        guild = self._client.get_guild(guild_id)
        if guild is None:
            raise Unreachable(N_("the guild is not available"))
        try:
            event = await guild.create_scheduled_event(
                name=name[:100],
                start_time=start,
                end_time=end,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=location[:100],
                description=description[:1000] or discord.utils.MISSING,
            )
        except discord.HTTPException as exc:
            raise Unreachable(_discord_words(exc.text or "Missing Permissions")) from exc
        return event.id

    async def move_scheduled_event(self, guild_id: int, event_id: int, *, start: dt.datetime, end: dt.datetime) -> None:
        """Give a scheduled event a new start and end; :class:`Gone` when it was deleted meanwhile."""
        try:
            await self._client.http.edit_scheduled_event(
                guild_id, event_id, scheduled_start_time=start.isoformat(), scheduled_end_time=end.isoformat()
            )
        except discord.NotFound as exc:
            raise Gone(N_("the scheduled event no longer exists")) from exc
        except discord.HTTPException as exc:
            raise Unreachable(_discord_words(exc.text or str(exc.status))) from exc

    async def delete_scheduled_event(self, guild_id: int, event_id: int) -> None:
        try:
            await self._client.http.delete_scheduled_event(guild_id, event_id)
        except discord.HTTPException as exc:
            raise Unreachable(_discord_words(exc.text or str(exc.status))) from exc

    async def add_role(self, guild_id: int, member_id: int, role_id: int, *, reason: str) -> bool:
        """Give a role; False when the member is not in the guild. :class:`DangerousRole` when the role carries
        a permission the bot never hands out (every grant passes here, so it is checked at every grant);
        :class:`Unreachable` when the role is gone or Discord does not allow it."""
        permissions = await self._role_permissions(guild_id, role_id)
        if refusal_to_grant(permissions) is not None:  # worded again in the language the notice is shown in
            raise DangerousRole(lambda: refusal_to_grant(permissions) or "")
        return await self._role(self._client.http.add_role, guild_id, member_id, role_id, reason)

    async def _role_permissions(self, guild_id: int, role_id: int) -> discord.Permissions:
        """The role's own permissions: from the cache (kept current by GUILD_ROLE_UPDATE), else asked of Discord."""
        guild = self._client.get_guild(guild_id)
        role = guild.get_role(role_id) if guild is not None else None
        if role is not None:
            return role.permissions
        try:
            roles = await self._client.http.get_roles(guild_id)
        except (discord.Forbidden, discord.NotFound) as exc:
            # Translators: {error} is Discord's own error text (English).
            raise Unreachable(
                N_("I can't read the guild's roles ({error})"), error=exc.text or str(exc.status)
            ) from exc
        for data in roles:
            if int(data["id"]) == role_id:
                return discord.Permissions(int(data["permissions"]))
        raise Gone(N_("the role no longer exists"))

    async def remove_role(self, guild_id: int, member_id: int, role_id: int, *, reason: str) -> bool:
        """Take a role back; False when the member left. :class:`Unreachable` as for :meth:`add_role`."""
        return await self._role(self._client.http.remove_role, guild_id, member_id, role_id, reason)

    @staticmethod
    async def _role(call: Any, guild_id: int, member_id: int, role_id: int, reason: str) -> bool:
        try:
            await call(guild_id, member_id, role_id, reason=reason)
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_ROLE:
                raise Gone(N_("the role no longer exists")) from exc
            log.info("role %s of member %s in guild %s: %s", role_id, member_id, guild_id, exc.text)
            return False  # the member left (or never joined): nothing to give or take
        except discord.Forbidden as exc:
            if exc.code in (0, 50013):
                raise Unreachable(N_("it is above my highest role or I lack Manage Roles")) from exc
            # Translators: {error} is Discord's own error text (English).
            raise Unreachable(N_("Discord refused ({error})"), error=exc.text) from exc
        return True
