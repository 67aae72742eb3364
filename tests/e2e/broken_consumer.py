"""An extension for tests: a vote consumer that always fails, as a feature broken for good would."""

from __future__ import annotations

from typing import Any

from bot.votes.events import VoteEvent

NAME = "always-broken"


class AlwaysBroken:
    name = NAME

    async def handle(self, event: VoteEvent) -> None:
        raise RuntimeError(f"cannot handle vote {event.ledger_id}")


async def setup(bot: Any) -> None:
    bot.add_vote_consumer(AlwaysBroken())


async def teardown(bot: Any) -> None:
    bot.remove_vote_consumer(NAME)
