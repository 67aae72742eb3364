"""Checks run when an admin configures a channel or role: the bot's permissions, and for a role also what the
member who asks may do with it and whether it is safe to hand out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import discord

from bot.core.errors import UserError
from bot.core.features import FeatureSpec
from bot.core.i18n import N_, _, n_, names

# Labels are Discord's permission names, in English here (compared below, and shown at the CLI); translated where
# a member reads them (``_(label)``).
# Translators: Discord's permission names: use the names Discord's own settings show in your language.
CHANNEL_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", N_("View Channel")),
    ("send_messages", N_("Send Messages")),
    ("embed_links", N_("Embed Links")),
    ("read_message_history", N_("Read Message History")),
)


def needed_permissions(specs: Iterable[FeatureSpec]) -> discord.Permissions:
    """Every server-wide permission the bot needs to run these features, read from their declarations: the
    :data:`CHANNEL_PERMISSIONS` for a feature that posts in a channel, Manage Roles for one that hands out a role,
    and what a feature declares besides (``FeatureSpec.bot_permissions``). The invite URL asks for exactly these."""
    needed = discord.Permissions.none()
    for spec in specs:
        names = [attribute for attribute, _ in CHANNEL_PERMISSIONS] if spec.needs_channel else []
        if spec.needs_role or spec.grants_role:
            names.append("manage_roles")
        needed |= discord.Permissions(**dict.fromkeys([*names, *spec.bot_permissions], True))  # a typo raises
    return needed


# Discord's JSON error codes for a guild the application is not in: 403 Missing Access (404 Unknown Guild for an
# id that is no guild at all).
NOT_IN_GUILD_CODES = (50001, 10004)


def invite_url(application_id: int, permissions: discord.Permissions) -> str:
    """The URL that adds the bot to a server with its slash commands and ``permissions``."""
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope=bot+applications.commands&permissions={permissions.value}"
    )


def missing_channel_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    permissions = channel.permissions_for(me)
    missing = [label for attribute, label in CHANNEL_PERMISSIONS if not getattr(permissions, attribute)]
    if "View Channel" in missing:  # without it Discord reports every other permission as missing too
        return ["View Channel"]
    if "Send Messages" in missing and "Embed Links" in missing:  # implied: no sending means no embeds
        missing.remove("Embed Links")
    return missing


def check_channel(channel: discord.abc.GuildChannel, me: discord.Member) -> None:
    missing = missing_channel_permissions(channel, me)
    if missing:
        raise UserError(
            n_(
                "I can't post in {channel}: I am missing the {permissions} permission there. Grant it to my role in "
                "the channel settings and try again.",
                "I can't post in {channel}: I am missing the {permissions} permissions there. Grant them to my role "
                "in the channel settings and try again.",
                len(missing),
                channel=channel.mention,
                permissions=", ".join(_(label) for label in missing),
            )
        )


# Permissions a role the bot hands out for voting must not carry, whoever configures it (the guild owner too):
# a vote is open to anyone, so such a role would sell moderator powers for a vote. They are Discord's own
# "elevated" set, the powers it asks 2FA for (discord.Permissions.elevated(): Administrator, Manage Server,
# Manage Roles, Manage Channels, Kick and Ban Members, Manage Webhooks — a webhook posts as anyone and pings
# @everyone —, Manage Messages, Manage Threads, Manage Expressions, Timeout Members), plus Mention @everyone,
# which would make every voter a mass-pinger. A role the bot only pings may carry anything: it is not given.
# Translators: Discord's permission names: use the names Discord's own settings show in your language.
DANGEROUS_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("administrator", N_("Administrator")),
    ("manage_guild", N_("Manage Server")),
    ("manage_roles", N_("Manage Roles")),
    ("manage_channels", N_("Manage Channels")),
    ("ban_members", N_("Ban Members")),
    ("kick_members", N_("Kick Members")),
    ("manage_webhooks", N_("Manage Webhooks")),
    ("mention_everyone", N_("Mention @everyone, @here and All Roles")),
    ("manage_messages", N_("Manage Messages")),
    ("manage_threads", N_("Manage Threads")),
    ("manage_expressions", N_("Manage Expressions")),
    ("moderate_members", N_("Timeout Members")),
)


def dangerous_permissions(permissions: discord.Permissions) -> list[str]:
    """The (English) labels of the :data:`DANGEROUS_PERMISSIONS` that ``permissions`` (a role's own) grant."""
    return [label for attribute, label in DANGEROUS_PERMISSIONS if getattr(permissions, attribute)]


def _listed(labels: list[str]) -> str:
    shown = names([_(label) for label in labels])
    # Translators: a noun phrase put into "{role} carries {found}" and "it carries {permissions}"; {names} are
    # Discord permission names.
    return n_("the {names} permission", "the {names} permissions", len(labels), names=shown)


def refusal_to_grant(permissions: discord.Permissions) -> str | None:
    """Why the bot must not hand out a role with these (its own) permissions, or None when it may, in the language
    in force. Checked each time the bot grants a role (:meth:`bot.core.messaging.Messenger.add_role`): the role may
    have changed since."""
    found = dangerous_permissions(permissions)
    # Translators: why the bot refuses to give a role; shown after "I can't give the voter role @Role: ".
    return _("it carries {permissions}, which I never hand out", permissions=_listed(found)) if found else None


# The role rule's refusals, worded for who asks: a member in Discord (the bot speaks as "I") or the operator at the
# CLI (bot/cli/discord_check.py words them with "the bot"). Fields: {role} the role as shown, {found} the dangerous
# permissions, {top} the bot's highest role.
# CLI permission labels). Each text is passed through ``_()`` where it is raised: the member's language for
# ROLE_TEXTS (marked N_ for the catalog), English for the CLI's (no language is in force there).
ROLE_TEXTS: Mapping[str, str] = {
    "default": N_("@everyone can't be used here; pick or create a dedicated role."),
    "managed": N_("{role} is managed by an integration and can't be used here."),
    "dangerous": N_(
        "{role} carries {found}, and I never hand out a role like that: anyone who votes would get it. "
        "Pick a role without moderator permissions."
    ),
    "no_manage_roles": N_("I need the Manage Roles permission to hand out this role."),
    "above_bot": N_(
        "{role} is above my highest role ({top}), so Discord won't let me assign it. "
        "Drag my role above it in Server Settings → Roles."
    ),
    "bot_cannot_ping": N_(
        "{role} is not mentionable and I lack Mention @everyone, @here and All Roles, so my pings would not "
        "notify anyone. Make the role mentionable or grant me that permission."
    ),
}


def check_role(
    spec: FeatureSpec,
    role: discord.Role,
    me: discord.Member,
    member: discord.Member | None,
    *,
    texts: Mapping[str, str] = ROLE_TEXTS,
    shown: Callable[[discord.Role], str] = lambda role: role.mention,
) -> None:
    """The one rule for configuring a role, run wherever one is picked (``member`` is who asks; ``None`` for the
    operator at the CLI, who is trusted with what only members are checked for).

    A role the bot hands out: no dangerous permission (for anyone, the owner too); ``member`` could assign
    it themselves — Manage Roles (Administrator implies it) and the role strictly below their top role, as
    Discord asks of them (the owner stands above every role); and so could the bot. A role the bot pings:
    when it is not mentionable, ``member`` and the bot both need Mention @everyone, as Discord asks of anyone
    who pings it.
    """
    if role.is_default():
        raise UserError(_(texts["default"]))
    if role.managed:
        raise UserError(_(texts["managed"], role=shown(role)))
    if spec.needs_role or spec.grants_role:  # the bot will give and take this role
        found = dangerous_permissions(role.permissions)
        if found:
            raise UserError(_(texts["dangerous"], role=shown(role), found=_listed(found)))
        if member is not None:
            _check_member_may_assign(role, member)
        if not me.guild_permissions.manage_roles:
            raise UserError(_(texts["no_manage_roles"]))
        if role >= me.top_role:
            raise UserError(_(texts["above_bot"], role=shown(role), top=shown(me.top_role)))
    elif not role.mentionable:
        if member is not None and not member.guild_permissions.mention_everyone:
            raise UserError(
                _(
                    "{role} is not mentionable, and you lack the Mention @everyone, @here and All Roles "
                    "permission, so you could not ping it yourself. Make the role mentionable or ask someone who has "
                    "that permission.",
                    role=role.mention,
                )
            )
        if not me.guild_permissions.mention_everyone:
            raise UserError(_(texts["bot_cannot_ping"], role=shown(role)))


def _check_member_may_assign(role: discord.Role, member: discord.Member) -> None:
    """Could ``member`` give ``role`` to someone themselves? Discord's rule: Manage Roles, and the role below
    their own top role; the guild owner may assign any role."""
    if member.id == role.guild.owner_id:
        return
    if not member.guild_permissions.manage_roles:  # Administrator implies it (guild_permissions knows)
        raise UserError(
            _(
                "You need the Manage Roles permission to choose a role I hand out ({role}): "
                "you could not give it to anyone yourself.",
                role=role.mention,
            )
        )
    if role >= member.top_role:
        raise UserError(
            _(
                "{role} is not below your highest role ({top}), so you could not give it "
                "to anyone yourself. Pick a lower role, or ask someone above it.",
                role=role.mention,
                top=member.top_role.mention,
            )
        )


def usable_channel(guild: discord.Guild, channel_id: int) -> discord.TextChannel:
    """The guild's text channel, checked for the permissions the bot needs to post there."""
    channel = guild.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel):
        raise UserError(_("I can't see that channel. Give my role the View Channel permission there."))
    check_channel(channel, guild.me)
    return channel


def usable_role(guild: discord.Guild, role_id: int, spec: FeatureSpec, member: discord.Member) -> discord.Role:
    """The guild's role, checked for what ``spec`` does with it (hand it out, or ping it) on behalf of ``member``,
    the member configuring it (:func:`check_role`). Every slash command that takes a feature's role calls this."""
    role = guild.get_role(role_id)
    if role is None:
        raise UserError(_("That role no longer exists."))
    check_role(spec, role, guild.me, member)
    return role


def postable_channel(guild: discord.Guild, channel_id: int | None, what: str) -> discord.TextChannel:
    """The channel a feature posts in (given, or its configured one), checked; a clear error when none is set."""
    if channel_id is None:
        raise UserError(
            _(
                "There is no channel for {what} yet: pick one in the channel option, or set one with /feature enable.",
                what=what,
            )
        )
    return usable_channel(guild, channel_id)
