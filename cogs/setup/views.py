"""What /setup and /feature show: the linked servers, every feature with its channel, role and settings, and
the form in which an admin types a provider secret (so it never appears in a command line)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

import discord

from bot.core import i18n
from bot.core.errors import UserError
from bot.core.features import FeatureRegistry
from bot.core.games import game_name
from bot.core.i18n import N_, _, p_
from bot.core.interactions import NO_MENTIONS, on_tree_error
from bot.core.text import escape
from bot.db.records import FeatureSetting, Server
from bot.votes.credentials import DEFAULT_SECRET_INPUT, NO_PUBLIC_ADDRESS, SECRET_INPUTS, pastes, provider_name

log = logging.getLogger(__name__)

SETUP_COLOUR = discord.Colour.from_rgb(88, 101, 242)
SECRET_INPUT_ID = "secret"  # noqa: S105 - a component id, not a password
# provider settings typed in the same form as the secret: setting key -> (label, placeholder)
SETTING_INPUTS: dict[str, tuple[str, str]] = {
    "gm_server_id": (
        N_("GAMEMONITORING server id (recommended)"),
        N_("The number in your server's page address; votes for other servers are refused"),
    ),
}
MISSING_SETTING_TIPS = {
    "gm_server_id": N_(
        "Tip: add your GAMEMONITORING server id (run this command again) so that votes for another server signed "
        "with the same token are refused."
    ),
}


def servers_embed(servers: Sequence[Server]) -> discord.Embed:
    embed = discord.Embed(title=_("Linked game servers"), colour=SETUP_COLOUR)
    if not servers:
        embed.description = _("No game server is linked yet. Add one with /setup server.")
    for server in servers:
        shown_id = str(server.id)
        if server.enabled:
            # Translators: a server's first line in /setup list: its id, the default server, switched on.
            state = _("ID `{id}` · default, on", id=shown_id) if server.is_default else _("ID `{id}` · on", id=shown_id)
        elif server.is_default:
            # Translators: a server's first line in /setup list: its id, the default server, its master switch off.
            state = _("ID `{id}` · default, master switch off", id=shown_id)
        else:
            state = _("ID `{id}` · master switch off", id=shown_id)
        lines = [state, _("Vote: {url}", url=escape(server.vote_url))]
        if server.game:
            lines.append(_("Game: {game}", game=escape(game_name(server.game))))
        if server.address:
            lines.append(_("Address: `{address}`", address=server.address))
        embed.add_field(name=escape(server.name), value="\n".join(lines), inline=False)
    return embed


def features_embed(server: Server, settings: Sequence[FeatureSetting], registry: FeatureRegistry) -> discord.Embed:
    by_name = {s.feature: s for s in settings}
    lines = [
        _("Master switch: **on**") if server.enabled else _("Master switch: **off** — every feature is paused."),
        "",
    ]
    for spec in registry:
        setting = by_name.get(spec.name)
        on = bool(setting and setting.enabled)
        extras = []
        if setting and setting.channel_id:
            extras.append(f"<#{setting.channel_id}>")
        if setting and setting.role_id:
            extras.append(f"<@&{setting.role_id}>")
        values = spec.current(setting.settings if setting else {})
        # Translators: a setting and its value in /feature list, e.g. "board refresh: every 5 minutes".
        extras.extend(
            _("{setting}: {value}", setting=s.human_label, value=s.shown(values[s.name])) for s in spec.settings
        )
        label = _(spec.label)
        head = _("✅ **{feature}**", feature=label) if on else _("⬜ **{feature}** (off)", feature=label)
        lines.append(" · ".join([head, *extras]))
    return discord.Embed(  # the description holds 4096 characters: every feature with its channel, role, settings
        title=_("Features of {server}", server=escape(server.name)),
        description="\n".join(lines),
        colour=SETUP_COLOUR if server.enabled else discord.Colour.dark_grey(),
    )


OnSecret = Callable[[discord.Interaction, str, dict[str, str]], Awaitable[None]]


class SecretModal(discord.ui.Modal):
    """The secret, and the provider's settings from :data:`SETTING_INPUTS` (prefilled with the stored ones)."""

    def __init__(
        self,
        title: str,
        on_secret: OnSecret,
        *,
        provider: str = "",
        settings: Sequence[str] = (),
        current: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(title=title[:45], timeout=600)
        self._on_secret = on_secret
        label, hint = SECRET_INPUTS.get(provider, DEFAULT_SECRET_INPUT)
        self.secret: discord.ui.TextInput[SecretModal] = discord.ui.TextInput(
            label=_(label)[:45],
            custom_id=SECRET_INPUT_ID,
            style=discord.TextStyle.short,
            min_length=1,
            max_length=4000,
            placeholder=_(hint)[:100],
        )
        self.add_item(self.secret)
        self.settings: dict[str, discord.ui.TextInput[SecretModal]] = {}
        for key in settings:
            label, placeholder = SETTING_INPUTS[key]
            field: discord.ui.TextInput[SecretModal] = discord.ui.TextInput(
                label=_(label)[:45],
                custom_id=key,
                style=discord.TextStyle.short,
                required=False,
                max_length=200,
                placeholder=_(placeholder)[:100],
                default=(current or {}).get(key),
            )
            self.settings[key] = field
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_secret(interaction, self.secret.value, {k: f.value for k, f in self.settings.items()})

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await on_tree_error(interaction, error)  # same handling as commands: UserError → ephemeral message


CONFIRM_SECONDS = 60  # how long the Remove button of /setup remove stays pressable


class ConfirmRemoval(discord.ui.View):
    """Remove / Cancel under the ephemeral summary of /setup remove: only the admin who ran it may press, and
    nothing is deleted when it times out. ``texts`` are marked with ``N_``: each is translated when shown, in the
    language of whoever reads it (the timeout's in the admin's, the language in force when the view was made)."""

    def __init__(
        self,
        invoker_id: int,
        on_confirm: Callable[[discord.Interaction], Awaitable[str]],
        texts: Mapping[str, str],
        timeout: float = CONFIRM_SECONDS,
    ) -> None:
        super().__init__(timeout=timeout)
        self._invoker_id = invoker_id
        self._on_confirm = on_confirm
        self._texts = texts
        self._language = i18n.current()  # the admin's: the timeout runs outside their interaction
        # Translators: the button that deletes a game server after /setup remove ("Press **Remove** …").
        self.confirm.label = p_("button", "Remove")
        # Translators: the button that keeps a game server after /setup remove ("… or **Cancel**").
        self.cancel.label = p_("button", "Cancel")
        self.origin: discord.Interaction | None = None  # the /setup remove interaction, to edit on timeout

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self._invoker_id:
            return True
        await interaction.response.send_message(
            _(self._texts["not_yours"]), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return False

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmRemoval]) -> None:
        self.stop()
        await interaction.response.defer()  # deleting the boards may take a moment; the message is edited after
        try:
            text = await self._on_confirm(interaction)
        except UserError as exc:  # removed meanwhile (another admin, the CLI): say so in place
            text = str(exc)
        await interaction.edit_original_response(content=text, view=None, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmRemoval]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=_(self._texts["cancelled"]), view=None, allowed_mentions=NO_MENTIONS
        )

    async def on_timeout(self) -> None:
        if self.origin is None:
            return
        with i18n.speaking(self._language):
            text = _(self._texts["timed_out"])
        try:
            await self.origin.edit_original_response(content=text, view=None, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # the admin dismissed the message, or the token expired
            log.info("could not mark /setup remove as timed out: %s", exc)

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[ConfirmRemoval]
    ) -> None:
        await on_tree_error(interaction, error)


def secret_saved_lines(server: Server, provider: str, info: Mapping[str, object]) -> list[str]:
    """The reply to a saved secret: what was saved and what to paste into the listing site."""
    lines = [
        _("{provider} secret for **{server}** saved.", provider=provider_name(provider), server=escape(server.name))
    ]
    found, unknown_address = pastes(info)
    for paste in found:
        if paste.path_after_public_address:
            path = paste.path_after_public_address
            lines.append(_("{what}: the bot's public address followed by `{path}`", what=paste.label, path=path))
        else:
            # Translators: what an admin pastes into a listing site, e.g. "Votifier port: `8192`".
            lines.append(_("{what}: `{value}`", what=paste.label, value=paste.value))
    if unknown_address:
        lines.append(_(NO_PUBLIC_ADDRESS))
    return lines
