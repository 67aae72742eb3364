-- Game servers linked to guilds, their per-feature settings, provider credentials and recorded votes.

CREATE TABLE servers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id        bigint NOT NULL CHECK (guild_id > 0),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    vote_url        text NOT NULL CHECK (vote_url ~ '^https?://[^\s/]+' AND char_length(vote_url) <= 512),
    game            text CHECK (char_length(game) BETWEEN 1 AND 64),
    address         text CHECK (char_length(address) BETWEEN 1 AND 261),
    category        text CHECK (char_length(category) BETWEEN 1 AND 64),
    timezone        text NOT NULL DEFAULT 'UTC' CHECK (char_length(timezone) BETWEEN 1 AND 64),
    enabled         boolean NOT NULL DEFAULT true,
    is_default      boolean NOT NULL DEFAULT false,
    vote_cooldown   interval NOT NULL DEFAULT interval '12 hours'
                    CHECK (vote_cooldown >= interval '1 minute' AND vote_cooldown <= interval '7 days'),
    api_key_hash    text NOT NULL UNIQUE CHECK (api_key_hash ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (guild_id, name)
);

-- At most one default server per guild.
CREATE UNIQUE INDEX servers_one_default_per_guild ON servers (guild_id) WHERE is_default;

CREATE TABLE server_features (
    server_id   bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    feature     text NOT NULL CHECK (feature IN (
                    'vote', 'reminders', 'status_board', 'offline_alerts', 'milestones', 'reviews', 'wipes',
                    'top_voter_role', 'giveaways', 'daily_leaderboard', 'top10_board')),
    enabled     boolean NOT NULL DEFAULT false,
    channel_id  bigint CHECK (channel_id > 0),
    role_id     bigint CHECK (role_id > 0),
    message_id  bigint CHECK (message_id > 0),
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, feature)
);

CREATE TABLE provider_credentials (
    server_id   bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    provider    text NOT NULL CHECK (provider IN ('topserver', 'topgg', 'gamemonitoring', 'votifier')),
    secret      text NOT NULL CHECK (char_length(secret) BETWEEN 1 AND 4096),
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, provider)
);

CREATE TABLE votes (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    provider         text NOT NULL CHECK (provider IN ('topserver', 'topgg', 'gamemonitoring', 'votifier')),
    external_id      text NOT NULL CHECK (char_length(external_id) BETWEEN 1 AND 200),
    player_name      text CHECK (char_length(player_name) <= 200),
    discord_user_id  bigint CHECK (discord_user_id > 0),
    weight           smallint NOT NULL DEFAULT 1 CHECK (weight >= 1),
    voted_at         timestamptz NOT NULL,
    expires_at       timestamptz,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (server_id, provider, external_id)
);

CREATE INDEX votes_by_member ON votes (server_id, discord_user_id, voted_at DESC) WHERE discord_user_id IS NOT NULL;
CREATE INDEX votes_by_time ON votes (server_id, voted_at);
