from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.config import DEFAULT_API_BASE_URL, ConfigError, load_config, mask


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text)
    return path


def test_defaults_without_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), environ={})
    assert config.discord.api_base_url == DEFAULT_API_BASE_URL
    assert config.webhooks.port == 8080
    assert config.votifier.port == 8192
    assert config.database.url == ""


def test_file_then_env_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, '[discord]\ntoken = "file-token"\n[webhooks]\nport = 9000\n')
    config = load_config(path, environ={"VOTEBOT_WEBHOOKS__PORT": "9100", "DATABASE_URL": "postgresql://u:p@h/db"})
    assert config.discord.token == "file-token"
    assert config.webhooks.port == 9100
    assert config.database.url == "postgresql://u:p@h/db"
    assert load_config(path, environ={"DISCORD_TOKEN": "env"}).discord.token == "env"
    assert load_config(path, environ={"VOTEBOT_DISCORD__TOKEN": "specific"}).discord.token == "specific"


def test_missing_token_says_how_to_get_one(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), environ={})
    with pytest.raises(ConfigError) as info:
        config.require_token()
    assert "discord.token" in str(info.value)
    assert "developers/applications" in str(info.value)


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ("[webhooks]\nport = 70000\n", {}, "webhooks.port"),
        ('[webhooks]\nport = "eighty"\n', {}, "webhooks.port"),
        ("", {"VOTEBOT_VOTIFIER__PORT": "-1"}, "votifier.port"),
        ('[discord]\ntokn = "x"\n', {}, "discord.tokn"),
        ('colour = "blue"\n', {}, "colour"),
        ("", {"VOTEBOT_WEBHOOKS__PROT": "1"}, "VOTEBOT_WEBHOOKS__PROT"),
        ('[discord]\napi_base_url = "ftp://x"\n', {}, "discord.api_base_url"),
        ('[database]\nurl = "mysql://x"\n', {}, "database.url"),
        ('log_level = "LOUD"\n', {}, "log_level"),
        ('[webhooks]\nenabled = "maybe"\n', {}, "webhooks.enabled"),
        ('[discord]\nowner_ids = ["abc"]\n', {}, "discord.owner_ids"),
        ("[webhooks]\nport = 8192\n", {}, "votifier.port"),
        ("discord = 3\n", {}, "discord"),
        ("[status]\nprobe_timeout = 0\n", {}, "status.probe_timeout"),
        ("", {"VOTEBOT_STATUS__CONCURRENCY": "0"}, "status.concurrency"),
        ("[votifier]\nmax_connections = 0\n", {}, "votifier.max_connections"),
        ("[votifier]\nfirst_byte_timeout = 0\n", {}, "votifier.first_byte_timeout"),
        ("[votifier]\nv1_failed_decrypts_per_minute = 0\n", {}, "votifier.v1_failed_decrypts_per_minute"),
        ("", {"VOTEBOT_VOTIFIER__V1_WORKERS": "1.5"}, "votifier.v1_workers"),
        ("[votifier]\nlog_interval = -1\n", {}, "votifier.log_interval"),
        ("", {"VOTEBOT_VOTIFIER__READ_TIMEOUT": "soon"}, "votifier.read_timeout"),
        ("", {"VOTEBOT_VOTIFIER__MAX_CONNECTIONS_PER_SOURCE": "-3"}, "votifier.max_connections_per_source"),
        ('[votifier]\nmax_connections_per_source = "many"\n', {}, "votifier.max_connections_per_source"),
        (
            "[votifier]\nmax_connections = 8\nmax_connections_per_source = 9\n",
            {},
            "votifier.max_connections_per_source",
        ),
        ("[dashboard]\nenabled = true\n", {}, "dashboard.client_id"),
        ('[dashboard]\nenabled = true\nclient_id = "1234"\n', {}, "dashboard.client_secret"),
        (
            '[dashboard]\nenabled = true\nclient_id = "1234"\nclient_secret = "s3cret"\n',
            {},
            "webhooks.public_url",
        ),
        ('[dashboard]\nclient_id = "app-one"\n', {}, "dashboard.client_id"),
        ('[dashboard]\ncookie_secret = "short"\n', {}, "dashboard.cookie_secret"),
        ("", {"VOTEBOT_DASHBOARD__SESSION_HOURS": "0"}, "dashboard.session_hours"),
    ],
)
def test_invalid_values_name_the_key(tmp_path: Path, text: str, env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), environ=env)
    assert key in str(info.value)


def test_broken_toml_and_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[discord\n"), environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", environ={})


def test_effective_config_masks_secrets(tmp_path: Path) -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.verysecretpart1234"
    config = load_config(
        write(tmp_path, f'[discord]\ntoken = "{token}"\n[database]\nurl = "postgresql://bot:hunter22@db/votes"\n'),
        environ={},
    )
    shown = config.effective()
    assert token not in str(shown)
    assert shown["discord.token"] == "****1234"
    assert "hunter22" not in shown["database.url"]
    assert shown["database.url"] == "postgresql://bot:****@db/votes"
    assert mask("short") == "****"


def test_a_password_anywhere_in_the_dsn_is_never_shown() -> None:
    for dsn in (
        "postgresql://bot@db/votes?password=hunter22&sslmode=require",
        "postgresql://bot:hunter22@db:5432/votes?sslpassword=hunter22",
        "postgresql:///votes?host=/run/pg&PASSWORD=hunter22",
    ):
        shown = mask(dsn)
        assert "hunter22" not in shown and "****" in shown, shown
    assert mask("postgresql://bot@db/votes?password=x&sslmode=require").endswith("?password=****&sslmode=require")


def test_short_tokens_and_bad_proxy_lists_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"webhooks\.metrics_token: must be at least 16"):
        load_config(write(tmp_path, '[webhooks]\nmetrics_token = "abc"\n'), environ={})
    with pytest.raises(ConfigError, match=r"webhooks\.trusted_proxies: 'nope'"):
        load_config(write(tmp_path, '[webhooks]\ntrusted_proxies = ["10.0.0.0/8", "nope"]\n'), environ={})
    with pytest.raises(ConfigError, match=r"webhooks\.public_read_concurrency: must be below database\.max_pool_size"):
        load_config(write(tmp_path, "[webhooks]\npublic_read_concurrency = 10\n"), environ={})
    config = load_config(write(tmp_path, '[webhooks]\ntrusted_proxies = ["10.0.0.1"]\n'), environ={})
    assert config.webhooks.trusted_proxies == ("10.0.0.1",) and config.webhooks.keepalive_timeout == 15.0


def test_the_request_rate_stays_within_discords_global_limit(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"discord\.requests_per_second: Discord allows a bot 50 requests per second"):
        load_config(write(tmp_path, "[discord]\nrequests_per_second = 80\n"), environ={})
    with pytest.raises(ConfigError, match=r"discord\.requests_per_second: must be greater than 0"):
        load_config(write(tmp_path, "[discord]\nrequests_per_second = 0\n"), environ={})
    assert load_config(write(tmp_path, ""), environ={}).discord.requests_per_second == 40.0
    rate = load_config(write(tmp_path, ""), environ={"VOTEBOT_DISCORD__REQUESTS_PER_SECOND": "25"})
    assert rate.discord.requests_per_second == 25.0


def test_example_file_is_valid_and_documents_every_key() -> None:
    from bot.app.config import SCHEMA

    example = Path(__file__).parents[2] / "bot.toml.example"
    config = load_config(example, environ={})
    assert config.webhooks.port == 8080
    text = example.read_text()
    for section, key in SCHEMA:
        assert f"{key} =" in text, f"bot.toml.example does not document {section}.{key}"


async def test_votifier_limits_reach_the_listener(tmp_path: Path) -> None:
    from bot.app.runtime import votifier_limits
    from bot.votes.votifier.listener import VotifierListener
    from bot.votes.votifier.protocol import StaticVotifierKeys

    text = "[votifier]\nmax_connections = 64\nmax_connections_per_source = 4\nfirst_byte_timeout = 1.5\n"
    limits = votifier_limits(load_config(write(tmp_path, text), environ={}).votifier)
    assert limits["first_byte_timeout"] == 1.5
    assert limits["max_connections"] == 64
    assert limits["max_connections_per_source"] == 4

    async def record(vote: object) -> None: ...

    VotifierListener(StaticVotifierKeys(), record, **limits)  # every option is one the listener takes


def test_private_game_server_addresses_are_opt_in(tmp_path: Path) -> None:
    """Guild admins pick the addresses the bot probes: only public ones unless the operator allows more."""
    assert load_config(write(tmp_path, ""), environ={}).status.allow_private_addresses is False
    example = Path(__file__).parents[2] / "bot.toml.example"
    assert load_config(example, environ={}).status.allow_private_addresses is False
    environ = {"VOTEBOT_STATUS__ALLOW_PRIVATE_ADDRESSES": "true"}
    assert load_config(write(tmp_path, ""), environ=environ).status.allow_private_addresses is True
    allowed = write(tmp_path, "[status]\nallow_private_addresses = true\n")
    assert load_config(allowed, environ={}).status.allow_private_addresses is True


def test_webhook_limits_reach_the_manager(tmp_path: Path) -> None:
    from bot.app.runtime import webhook_manager

    text = (
        '[webhooks]\nkeepalive_timeout = 3\nmax_connections_per_source = 7\nmetrics_token = "m-token-0123456789ab"\n'
        'trusted_proxies = ["10.0.0.0/8"]\n'
    )
    manager = webhook_manager(load_config(write(tmp_path, text), environ={}), pool=None)  # type: ignore[arg-type]
    limits = manager.limits
    assert (limits.keepalive_timeout, limits.max_connections_per_source) == (3.0, 7)
    assert limits.metrics_token == "m-token-0123456789ab" and [str(n) for n in limits.trusted_proxies] == ["10.0.0.0/8"]
    assert manager.connections.max_per_source == 7 and manager.intake.limits is limits
