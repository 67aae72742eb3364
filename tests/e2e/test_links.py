"""/link asks for proof: a one-time code typed in game and confirmed by the game plugin; /links set stays direct."""

from __future__ import annotations

import asyncpg

from tests.e2e.engagement_helpers import confirm_link, link_code, make_server, record_vote
from tests.e2e.harness import ADMIN, MEMBER, BotRunner, reply_text


async def links(pool: asyncpg.Pool) -> dict[int, str]:
    return {r["discord_user_id"]: r["player_name"] for r in await pool.fetch("SELECT * FROM player_links")}


async def test_link_gives_a_code_and_links_only_once_the_game_confirms(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await make_server(pool)
    responses = await runner.command(MEMBER, "link", player="Steve")
    assert responses[0]["data"]["flags"] & 64  # ephemeral: nobody else sees the code
    reply = reply_text(responses)
    code = link_code(reply)
    assert reply.startswith(
        f"To prove **Steve** is you, join **Alpha** as Steve and type `/votebot link {code}` in the game chat.\n"
        "The code works once and expires <t:"
    )
    assert reply.endswith(":R>. Don't share it. Check /points once you've typed it.")
    assert reply.count(code) == 1  # the code once, inside the command to type
    assert await links(pool) == {}  # nothing linked yet: anyone may type /link Steve
    assert "Linked as" not in reply_text(await runner.command(MEMBER, "points"))
    assert "code is waiting" in reply_text(await runner.command(MEMBER, "points"))

    status, body = await confirm_link(runner, pool, server, code, "steve")  # the game's spelling is stored
    assert status == 200 and body["player"] == "steve" and body["discordUserId"] == str(MEMBER)
    assert await links(pool) == {MEMBER: "steve"}
    await record_vote(pool, server, "v1", runner.clock(), player_name="STEVE")  # a vote carrying only the name
    points = reply_text(await runner.command(MEMBER, "points"))
    assert "You have **1** vote point" in points and "Linked as **steve**" in points
    assert "code is waiting" not in points


async def test_someone_elses_name_is_not_linked_and_links_set_stays_direct(
    runner: BotRunner, pool: asyncpg.Pool
) -> None:
    server = await make_server(pool)
    reply = reply_text(await runner.command(MEMBER, "link", player="Notch"))  # not their name
    status, body = await confirm_link(runner, pool, server, link_code(reply), "Mallory")  # typed by who they are
    assert (status, body) == (409, {"ok": False, "error": "code was issued for another player name"})
    assert await links(pool) == {}

    answer = reply_text(await runner.command(ADMIN, "links set", member=str(MEMBER), player="Notch"))
    assert "is now linked to **Notch**" in answer and "until now" not in answer
    assert await links(pool) == {MEMBER: "Notch"}
    moved = reply_text(await runner.command(ADMIN, "links set", member=str(ADMIN), player="notch"))
    assert moved.endswith(
        f"The name was linked to <@{MEMBER}> until now; its votes count for <@{ADMIN}> from now on."
    )  # the admin sees whose name they took
    assert await links(pool) == {ADMIN: "notch"}


async def test_unlink_also_cancels_a_code_still_waiting(runner: BotRunner, pool: asyncpg.Pool) -> None:
    server = await make_server(pool)
    reply = reply_text(await runner.command(MEMBER, "link"))  # no name: the game's name is taken
    code = link_code(reply)
    assert reply.startswith(
        f"To link your player name, join **Alpha** and type `/votebot link {code}` in the game chat."
    )
    cancelled = reply_text(await runner.command(MEMBER, "unlink"))
    assert cancelled == "Your /link code for **Alpha** is cancelled. No player name was linked there."
    assert await confirm_link(runner, pool, server, code, "Steve") == (404, {"ok": False, "error": "unknown code"})
    assert await links(pool) == {}


async def test_one_name_limit_for_link_links_set_and_the_game_confirm(runner: BotRunner, pool: asyncpg.Pool) -> None:
    """Listing sites refuse names over 64 characters, so a longer link could never match a vote: refused alike."""
    server = await make_server(pool)
    too_long = "x" * 65
    assert "at most 64 characters" in reply_text(await runner.command(MEMBER, "link", player=too_long))
    answer = reply_text(await runner.command(ADMIN, "links set", member=str(MEMBER), player=too_long))
    assert "at most 64 characters" in answer
    assert await links(pool) == {}
    assert await pool.fetchval("SELECT count(*) FROM link_claims") == 0

    longest = "y" * 64
    code = link_code(reply_text(await runner.command(MEMBER, "link", player=longest)))
    assert (await confirm_link(runner, pool, server, code, longest))[0] == 200
    assert await links(pool) == {MEMBER: longest}
    status, body = await confirm_link(runner, pool, server, code, too_long)
    assert (status, body["error"]) == (400, "username must be 1 to 64 printable characters")


async def test_unlink_and_links_remove_name_the_server_and_the_player(runner: BotRunner, pool: asyncpg.Pool) -> None:
    await make_server(pool)
    assert reply_text(await runner.command(MEMBER, "unlink")) == "You have no player name linked on **Alpha**."
    await runner.command(ADMIN, "links set", member=str(MEMBER), player="BobMC")
    already = reply_text(await runner.command(MEMBER, "link", player="bobmc"))
    assert already == "You're already linked as **BobMC** on **Alpha**."  # no code: there is nothing to change
    relink = reply_text(await runner.command(MEMBER, "link", player="Robert"))
    assert relink.startswith(
        "You're linked as **BobMC** on **Alpha**; once you've typed the code, **Robert** replaces it."
    )
    unnamed = reply_text(await runner.command(MEMBER, "link"))
    assert unnamed.startswith("You're linked as **BobMC** on **Alpha**; once you've typed the code, your in-game name")
    assert reply_text(await runner.command(MEMBER, "unlink")) == "Your player name **BobMC** on **Alpha** is unlinked."
    assert await links(pool) == {}

    await runner.command(ADMIN, "links set", member=str(MEMBER), player="BobMC")
    removed = reply_text(await runner.command(ADMIN, "links remove", member=str(MEMBER)))
    assert removed == f"Unlinked <@{MEMBER}> (**BobMC**) on **Alpha**."
    again = reply_text(await runner.command(ADMIN, "links remove", member=str(MEMBER)))
    assert again == f"<@{MEMBER}> has no player name linked on **Alpha**."
