"""The real senders, one per kind of destination, under one address policy (the bot's and the CLI's alike)."""

from __future__ import annotations

from cogs.forwarding.model import Kind, Sender
from cogs.forwarding.votifier import VotifierV1Sender, VotifierV2Sender
from cogs.forwarding.webhook import WebhookSender


def real_senders(allow_private: bool) -> dict[Kind, Sender]:
    return {
        Kind.VOTIFIER_V2: VotifierV2Sender(allow_private),
        Kind.VOTIFIER_V1: VotifierV1Sender(allow_private),
        Kind.WEBHOOK: WebhookSender(allow_private),
    }


async def close_senders(senders: dict[Kind, Sender]) -> None:
    """Close what holds connections (the webhook sender's HTTP session)."""
    for sender in senders.values():
        if isinstance(sender, WebhookSender):
            await sender.close()
