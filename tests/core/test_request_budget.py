"""The REST request budget: pace, priorities, cancellation, exempt routes."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from bot.core.request_budget import Priority, RequestBudget, is_exempt


async def test_the_most_urgent_waiting_request_goes_first() -> None:
    budget = RequestBudget(per_second=50, burst=1)
    granted: list[str] = []

    async def request(name: str, priority: Priority) -> None:
        await budget.acquire(priority)
        granted.append(name)

    await budget.acquire(Priority.BOARD)  # the only token: everything below queues
    boards = [asyncio.create_task(request(f"board {n}", Priority.BOARD)) for n in range(6)]
    await asyncio.sleep(0)
    routine = asyncio.create_task(request("routine", Priority.ROUTINE))
    vote = asyncio.create_task(request("vote effect", Priority.VOTE_EFFECT))
    member = asyncio.create_task(request("interaction", Priority.INTERACTION))
    await asyncio.gather(*boards, routine, vote, member)
    assert granted[:3] == ["interaction", "vote effect", "routine"]
    assert granted[3:] == [f"board {n}" for n in range(6)]  # in arrival order within a priority
    assert budget.stats[Priority.BOARD].waited == 6
    await budget.close()


async def test_no_second_sees_more_than_the_burst_and_the_rate() -> None:
    budget = RequestBudget(per_second=40, burst=10)
    times: list[float] = []

    async def request() -> None:
        await budget.acquire(Priority.ROUTINE)
        times.append(time.monotonic())

    await asyncio.gather(*(request() for _ in range(70)))
    # The bound holds however slow the machine is: every window of a second holds at most 10 + 40 grants.
    for index, start in enumerate(times):
        assert sum(1 for t in times[index:] if t - start < 1.0) <= 50
    assert times[-1] - times[0] >= (70 - 10 - 1) / 40  # the first 10 at once, then 40 a second at most
    await budget.close()


async def test_a_request_cancelled_while_waiting_spends_no_token() -> None:
    budget = RequestBudget(per_second=20, burst=1)
    await budget.acquire(Priority.ROUTINE)
    abandoned = asyncio.create_task(budget.acquire(Priority.BOARD))
    await asyncio.sleep(0)
    abandoned.cancel()
    started = time.monotonic()
    await budget.acquire(Priority.BOARD)  # the next token is this one's, not the cancelled request's
    assert time.monotonic() - started < 0.2
    assert budget.waiting == dict.fromkeys(Priority, 0)
    await budget.close()


def test_a_budget_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        RequestBudget(per_second=0)
    with pytest.raises(ValueError, match="burst"):
        RequestBudget(burst=0)


def test_interaction_replies_are_outside_the_global_limit() -> None:
    route = discord.http.Route
    assert is_exempt(route("POST", "/interactions/{interaction_id}/{interaction_token}/callback", interaction_id=1,
                           interaction_token="t"))  # fmt: skip
    assert is_exempt(route("POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id=1, webhook_token="t"))
    assert not is_exempt(route("POST", "/channels/{channel_id}/messages", channel_id=1))
    assert not is_exempt(route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=1, message_id=2))
