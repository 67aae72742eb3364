"""What /forward shows: the form for a Votifier token or public key, the replies, and each destination's health."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.core.i18n import N_, _, n_
from bot.core.interactions import on_tree_error
from bot.core.text import escape, relative_time
from bot.db.records import Server
from cogs.forwarding.checks import providers_text
from cogs.forwarding.model import DeliveryFailed, Destination, Kind
from cogs.forwarding.repository import Health
from cogs.forwarding.service import DestinationHealth

FORWARD_COLOUR = discord.Colour.from_rgb(87, 242, 135)
SECRET_INPUT_ID = "secret"  # noqa: S105 - a component id, not a password
MAX_ERROR = 200  # characters of the last error shown in /forward list

# Translators: the kind of a vote destination that receives signed HTTP requests (Standard Webhooks).
WEBHOOK_LABEL = N_("signed webhook")


def kind_label(kind: Kind) -> str:
    """``Votifier v2``, ``Votifier v1`` (a protocol's name, the same in every language) or a signed webhook."""
    if kind is Kind.WEBHOOK:
        return _(WEBHOOK_LABEL)
    return "Votifier v2" if kind is Kind.VOTIFIER_V2 else "Votifier v1"


when = relative_time  # a Discord timestamp ("3 hours ago"), shown in each reader's own language and time zone


def code(text: str) -> str:
    """Outside text in a code span: shown as typed, never formatted."""
    return text.replace("`", "'")


OnSecret = Callable[[discord.Interaction, str], Awaitable[None]]


class VotifierSecretModal(discord.ui.Modal):
    """The NuVotifier token (v2) or the game server's public key (v1), typed where nobody else sees it."""

    def __init__(self, version: int, destination: str, on_secret: OnSecret) -> None:
        if version == 2:
            # Translators: the title of the form in which an admin pastes a game server's NuVotifier token (at most
            # 45 characters; {destination} is the name they gave the destination).
            title = _("NuVotifier token for {destination}", destination=destination)
            # Translators: the token field of that form: where the token is on the game server (at most 45
            # characters; keep the file path as it is).
            label = _("Token from plugins/Votifier/config.yml")
            # Translators: the hint in the token field (at most 100 characters; keep "tokens:" and "default:").
            hint = _("The value after tokens: → default: in that file")
        else:
            # Translators: the title of the form in which an admin pastes a game server's Votifier public key (at most
            # 45 characters; {destination} is the name they gave the destination).
            title = _("Votifier public key for {destination}", destination=destination)
            # Translators: the key field of that form: where the key is on the game server (at most 45 characters;
            # keep the file path as it is).
            label = _("Key from plugins/Votifier/rsa/public.key")
            # Translators: the hint in the public key field (at most 100 characters).
            hint = _("The whole contents of that file (one line of base64)")
        super().__init__(title=title[:45], timeout=600)
        self._on_secret = on_secret
        self.secret: discord.ui.TextInput[VotifierSecretModal] = discord.ui.TextInput(
            label=label[:45],
            custom_id=SECRET_INPUT_ID,
            style=discord.TextStyle.short if version == 2 else discord.TextStyle.paragraph,
            min_length=1,
            max_length=4000,
            placeholder=hint[:100],
        )
        self.add_item(self.secret)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_secret(interaction, self.secret.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await on_tree_error(interaction, error)  # same handling as commands: UserError → ephemeral message


def votifier_added_text(server: Server, destination: Destination) -> str:
    """The answer to /forward add votifier: what was added (never the token or key)."""
    sites = providers_text(destination.providers)
    if destination.kind is Kind.VOTIFIER_V2:
        text = _(
            "Added **{destination}** to **{server}**: votes from {sites} now go to the Votifier v2 server at "
            "`{where}` (service name “{service}”).",
            destination=escape(destination.name),
            server=escape(server.name),
            sites=sites,
            where=code(destination.shown),
            service=escape(destination.service_name),
        )
    else:
        text = _(
            "Added **{destination}** to **{server}**: votes from {sites} now go to the Votifier v1 server at "
            "`{where}`. Votifier v1 never confirms a vote, so each one is sent once.",
            destination=escape(destination.name),
            server=escape(server.name),
            sites=sites,
            where=code(destination.shown),
        )
    return "\n".join([text, _("Send a test vote with /forward test to check the token or key.")])


def webhook_added_text(server: Server, destination: Destination, secret: str) -> str:
    """The answer to /forward add webhook, with the signing secret: the only time anybody sees it."""
    return "\n".join(
        [
            _(
                "Added **{destination}** to **{server}**: votes from {sites} now go to `{url}` as signed webhooks.",
                destination=escape(destination.name),
                server=escape(server.name),
                sites=providers_text(destination.providers),
                url=code(destination.shown),
            ),
            _("Signing secret (shown only once, keep it secret): `{secret}`", secret=secret),
            _(
                "Your receiver verifies each request with this secret and the webhook-id, webhook-timestamp and "
                "webhook-signature headers (Standard Webhooks; the bot's README shows how in its “Votes out” "
                "section). Lost it? Remove the destination and add it again."
            ),
            _("Send a test vote with /forward test to check your receiver."),
        ]
    )


def _state_line(destination: Destination) -> str:
    if destination.paused == "owner":
        return _("State: ⏸️ paused by an admin (/forward resume sends again)")
    if destination.paused == "failing":
        since = destination.failing_since or destination.last_error_at
        if since is not None:
            return _("State: ⛔ paused: failing since {since}", since=when(since))
        return _("State: ⛔ paused: failing")
    if destination.failing_since is not None:
        return _("State: ⚠️ retrying, failing since {since}", since=when(destination.failing_since))
    return _("State: ✅ delivering")


def _health_lines(destination: Destination, health: Health) -> list[str]:
    lines = [
        # Translators: a destination's first line in /forward list, e.g. "Votifier v2 · `play.example.com:8192`".
        _("{kind} · `{where}`", kind=kind_label(destination.kind), where=code(destination.shown)),
        _("Listing sites: {sites}", sites=providers_text(destination.providers)),
        _state_line(destination),
    ]
    if destination.last_success_at is not None:
        lines.append(_("Last success: {when}", when=when(destination.last_success_at)))
    else:
        lines.append(_("Last success: never"))
    if destination.last_error:
        error = escape((destination.last_error_shown or "")[:MAX_ERROR])
        if destination.last_error_at is not None:
            lines.append(_("Last error ({when}): {error}", when=when(destination.last_error_at), error=error))
        else:
            lines.append(_("Last error: {error}", error=error))
    lines += [
        n_("Backlog: {count} vote", "Backlog: {count} votes", health.backlog),
        n_("Delivered: {count} vote", "Delivered: {count} votes", health.delivered),
        # Translators: votes not sent because the voter (on Top.gg, known by their Discord account only) linked no
        # player name.
        n_(
            "Skipped (unlinked Top.gg voters): {count} vote",
            "Skipped (unlinked Top.gg voters): {count} votes",
            health.skipped,
        ),
    ]
    if health.dead:
        # Translators: votes given up on after a day of failed attempts; only whoever runs the bot can send them again.
        lines.append(
            n_(
                "Dead letters: {count} vote (whoever runs the bot can send it again with `votebot forward replay`)",
                "Dead letters: {count} votes (whoever runs the bot can send them again with `votebot forward replay`)",
                health.dead,
            )
        )
    else:
        lines.append(_("Dead letters: none"))
    return lines


def overview_embed(server: Server, destinations: Sequence[DestinationHealth]) -> discord.Embed:
    """/forward list: each destination with where it delivers, which sites' votes, its state and its queue."""
    embed = discord.Embed(
        title=_("Where the votes of {server} go", server=escape(server.name)),
        colour=FORWARD_COLOUR if destinations else discord.Colour.dark_grey(),
    )
    if not destinations:
        embed.description = _(
            "No vote destination yet. Hand votes on to the game server with /forward add votifier (NuVotifier) or "
            "/forward add webhook (an HTTP callback)."
        )
    for item in destinations:
        embed.add_field(
            name=escape(item.destination.name)[:256],
            value="\n".join(_health_lines(item.destination, item.health))[:1024],
            inline=False,
        )
    return embed


def tested_text(destination: Destination, player: str, answer: str | None) -> str:
    """/forward test went through: the game server's answer (Votifier v1 gives none)."""
    values = {"destination": escape(destination.name), "where": code(destination.shown), "player": escape(player)}
    if answer:
        return _(
            "✅ The test vote for **{player}** reached **{destination}** (`{where}`). It answered: {answer}",
            answer=escape(answer[:MAX_ERROR]),
            **values,
        )
    if destination.kind is Kind.VOTIFIER_V1:
        return _(
            "✅ The test vote for **{player}** was sent to **{destination}** (`{where}`). Votifier v1 never answers: "
            "check the game server's console or log for it.",
            **values,
        )
    return _("✅ The test vote for **{player}** reached **{destination}** (`{where}`).", **values)


def test_failed_text(destination: Destination, failure: DeliveryFailed) -> str:
    """/forward test did not go through, said plainly (a refused token, no answer, a network error …)."""
    return _(
        "❌ The test vote did not reach **{destination}** (`{where}`): {reason}",
        destination=escape(destination.name),
        where=code(destination.shown),
        reason=failure.shown,
    )


def paused_text(destination: Destination) -> str:
    return _(
        "Paused **{destination}**: its votes are kept in its queue and sent once you run /forward resume.",
        destination=escape(destination.name),
    )


def resumed_text(destination: Destination, backlog: int) -> str:
    if not backlog:
        return _("**{destination}** delivers votes again.", destination=escape(destination.name))
    return n_(
        "**{destination}** delivers votes again, starting with the {count} vote waiting in its queue.",
        "**{destination}** delivers votes again, starting with the {count} votes waiting in its queue.",
        backlog,
        destination=escape(destination.name),
    )


def removed_text(destination: Destination, health: Health) -> str:
    """/forward remove: what went with the destination (its queue and dead letters are deleted with it)."""
    waiting = health.backlog + health.dead
    if not waiting:
        return _(
            "Removed **{destination}**. No vote was waiting for it; new votes no longer go there.",
            destination=escape(destination.name),
        )
    return n_(
        "Removed **{destination}** and its queue: the {count} vote still waiting for it was deleted with it and "
        "will not be sent.",
        "Removed **{destination}** and its queue: the {count} votes still waiting for it were deleted with it and "
        "will not be sent.",
        waiting,
        destination=escape(destination.name),
    )


def destination_choice_name(destination: Destination) -> str:
    # Translators: a vote destination as the name option's list shows it, e.g. "survival (Votifier v2)".
    return _("{destination} ({kind})", destination=destination.name, kind=kind_label(destination.kind))[:100]
