"""The one parser for every id the CLI reads (Discord snowflakes, server ids, vote ids, shard lists)."""

from __future__ import annotations

import argparse


def snowflake(text: str) -> int:
    """A Discord id (guild, channel, role)."""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Discord id (a positive number)")
    return int(text)


def server_id(text: str) -> int:
    """A game server's id, as ``votebot server add`` and ``votebot server list`` print it."""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is not a server id (the number `votebot server add` printed)")
    return int(text)


def record_id(text: str) -> int:
    """A row id the bot printed (a vote in ``votebot outbox``)."""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a positive number)")
    return int(text)


def shard_list(text: str) -> list[int]:
    try:
        shards = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected shard ids like 0,1,2") from None
    if not shards or shards[0] < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected non-negative shard ids like 0,1,2")
    return shards


def positive(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive number")
    return int(text)


def setting_pairs(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` options (``--set``), in the order given; a later key replaces an earlier one."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"--set {pair!r}: expected KEY=VALUE")
        values[key.strip()] = value.strip()
    return values
