from __future__ import annotations

import re

import asyncpg
import pytest

from bot.app.extensions import features
from bot.core.errors import UserError
from bot.core.server_removal import ServerRemoval
from bot.core.servers import ServerService, hash_api_key, options_summary
from bot.core.validation import clean_address


async def test_add_first_server_is_default_and_key_stored_hashed(pool: asyncpg.Pool) -> None:
    service = ServerService(pool, features())
    created = await service.add(guild_id=10, name="  Alpha  ", vote_url="https://example.com/vote/1", game="Minecraft")
    assert created.server.name == "Alpha" and created.server.is_default and created.server.game == "minecraft"
    stored = await pool.fetchval("SELECT api_key_hash FROM servers WHERE id = $1", created.server.id)
    assert stored == hash_api_key(created.api_key) and created.api_key not in stored
    second = await service.add(guild_id=10, name="Beta", vote_url="http://example.com/b")
    assert not second.server.is_default
    switches = {f.feature: f.enabled for f in await service.settings_of(second.server.id)}
    assert switches["vote"] is True and switches["reminders"] is False and len(switches) == 11


async def test_remove_default_promotes_another(pool: asyncpg.Pool) -> None:
    service = ServerService(pool, features())
    a = (await service.add(guild_id=10, name="A", vote_url="https://x.io/a")).server
    b = (await service.add(guild_id=10, name="B", vote_url="https://x.io/b")).server
    await ServerRemoval(pool, None).remove(a)
    assert (await service.resolve(10, None)).id == b.id
    assert (await service.resolve(10, None)).is_default


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vote_url": "ftp://example.com"}, "http:// or https://"),
        ({"vote_url": "javascript:alert(1)"}, "http:// or https://"),
        ({"vote_url": "https://"}, "not a valid web address"),
        ({"vote_url": "https://user:pw@example.com"}, "user name or password"),
        ({"name": "x" * 101}, "limit is 100"),
        ({"name": "   "}, "must not be empty"),
        ({"name": "bad\u200bname"}, "invisible"),
        ({"address": "host:99999"}, "between 1 and 65535"),
        ({"address": "bad host!"}, "not a valid host"),
        ({"game": "<script>"}, "short name"),
    ],
)
async def test_bad_input_writes_nothing(pool: asyncpg.Pool, kwargs: dict[str, str], message: str) -> None:
    service = ServerService(pool, features())
    arguments = {"guild_id": 10, "name": "Alpha", "vote_url": "https://example.com/vote"} | kwargs
    with pytest.raises(UserError, match=message):
        await service.add(**arguments)  # type: ignore[arg-type]
    assert await pool.fetchval("SELECT count(*) FROM servers") == 0


async def test_duplicate_name_in_guild(pool: asyncpg.Pool) -> None:
    service = ServerService(pool, features())
    await service.add(guild_id=10, name="Alpha", vote_url="https://x.io")
    with pytest.raises(UserError, match="already has a game server"):
        await service.add(guild_id=10, name="Alpha", vote_url="https://y.io")
    with pytest.raises(UserError, match=r"“Alpha” \(id \d+\)\. Names can't differ only in upper and lower case"):
        await service.add(guild_id=10, name="ALPHA", vote_url="https://y.io")
    await service.add(guild_id=11, name="Alpha", vote_url="https://y.io")  # another guild may
    with pytest.raises(UserError, match="looks like a server id"):
        await service.add(guild_id=10, name="#12", vote_url="https://y.io")


async def test_feature_switches_and_master(pool: asyncpg.Pool) -> None:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=10, name="A", vote_url="https://x.io")).server
    with pytest.raises(UserError, match="choose a channel in the channel option"):
        await service.switch_feature(server, "reminders", enabled=True)
    await service.switch_feature(server, "reminders", enabled=True, channel_id=55)
    assert await service.is_active(server, "reminders")
    await service.switch_feature(server, "reminders", enabled=False)
    setting = await service.setting(server.id, "reminders")
    assert setting is not None and not setting.enabled and setting.channel_id == 55  # config kept
    await service.switch_feature(server, "all", enabled=False)
    server = await service.get(server.id)
    assert not await service.is_active(server, "vote")
    with pytest.raises(UserError, match="Unknown feature"):
        await service.switch_feature(server, "fireworks", enabled=True)


def test_address_normalisation() -> None:
    assert clean_address("Play.Example.COM:25565") == "play.example.com:25565"
    assert clean_address("[2001:db8::1]:27015") == "[2001:db8::1]:27015"
    assert clean_address("10.0.0.1") == "10.0.0.1"
    assert clean_address("") is None


async def test_update_options_validates_everything_first(pool: asyncpg.Pool) -> None:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=10, name="A", vote_url="https://x.io")).server
    updated = await service.update_options(server, timezone="Europe/Berlin", category="Survival", cooldown_hours=2)
    assert updated.timezone == "Europe/Berlin" and updated.category == "survival"
    assert updated.vote_cooldown.total_seconds() == 7200
    with pytest.raises(UserError, match="not a time zone"):
        await service.update_options(updated, timezone="Mars/Olympus", category="other")
    with pytest.raises(
        UserError, match=r"^The vote cooldown must be 1 to 168 hours \(one week\), not 500\. Use the same"
    ):
        await service.update_options(updated, cooldown_hours=500)
    lower = await service.update_options(updated, timezone=" america/new york ")  # any case, a space for the _
    assert lower.timezone == "America/New_York"
    with pytest.raises(UserError, match=r"^“Europe/Berln” is not a time zone. Did you mean Europe/Berlin[?]$"):
        await service.update_options(updated, timezone="Europe/Berln")
    with pytest.raises(UserError, match=r"^“a{39}…” is not a valid host name or IP address[.]$"):
        await service.update_options(updated, address="a" * 300)
    await service.update_options(lower, timezone="Europe/Berlin")
    with pytest.raises(UserError, match="Nothing to change"):
        await service.update_options(updated)
    unchanged = await service.get(server.id)
    assert unchanged.category == "survival" and unchanged.timezone == "Europe/Berlin"  # nothing half-written


async def test_the_options_summary_shows_every_option_with_the_vote_page(pool: asyncpg.Pool) -> None:
    service = ServerService(pool, features())
    server = (await service.add(guild_id=10, name="Sur_vival", vote_url="https://example.com/vote")).server
    assert options_summary(server, service.language(server)) == (
        "Saved. Options of **Sur\\_vival**: time zone UTC, no category, vote cooldown 12 hr, no game, no address, "
        "vote page <https://example.com/vote>, language English (follows the Discord server's language)."
    )
    long_url = "https://example.com/" + "v" * 300
    server = await service.update_options(
        server, game="minecraft", address="127.0.0.1:25566", vote_url=long_url, category="PvP"
    )
    summary = options_summary(server, service.language(server))
    assert "game Minecraft, address 127.0.0.1:25566, vote page https://example.com/vvv" in summary
    assert "v…, language English" in summary, summary  # the 320-character URL is cut, not echoed whole
    assert len(summary) < 300


async def test_the_language_is_one_the_bot_speaks_or_auto(pool: asyncpg.Pool) -> None:
    service = ServerService(pool, features(), guild_locale=lambda guild_id: "fr")
    server = (await service.add(guild_id=10, name="Survival", vote_url="https://example.com/vote")).server
    assert service.language(server).code == "fr"  # no language of its own: the guild's preferred locale
    server = await service.update_options(server, language="PT-br")
    assert server.language == "pt-BR" and service.language(server).code == "pt-BR"
    assert "language Português (Brasil)." in options_summary(server, service.language(server))
    with pytest.raises(
        UserError, match=re.escape("I don't speak 'xx'. Choose one of: en, fr, de, es-ES, pt-BR, ru, or auto")
    ):
        await service.update_options(server, language="xx")
    assert (await service.get(server.id)).language == "pt-BR"  # nothing changed
    server = await service.update_options(server, language="auto")
    assert server.language is None
    assert options_summary(server, service.language(server)).endswith(
        ", language Français (follows the Discord server's language)."
    )
