-- Voter engagement: player links, per-vote rewards, temporary roles, reminders, and periodic outputs
-- keyed by their period so a restart neither skips nor repeats them.

-- A member's in-game name per server (one name per member, one member per name).
CREATE TABLE player_links (
    server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    discord_user_id  bigint NOT NULL CHECK (discord_user_id > 0),
    player_name      text NOT NULL CHECK (char_length(player_name) BETWEEN 1 AND 200),
    ping_opt_in      boolean NOT NULL DEFAULT false,  -- the thank-you message may ping this member
    linked_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, discord_user_id)
);

CREATE UNIQUE INDEX player_links_name ON player_links (server_id, lower(player_name));

-- One row per vote whose rewards ran: the idempotency key of every per-vote effect.
CREATE TABLE vote_rewards (
    vote_id          bigint PRIMARY KEY REFERENCES votes (id) ON DELETE CASCADE,
    server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    discord_user_id  bigint,
    rewarded_at      timestamptz NOT NULL DEFAULT now()
);

-- Temporary roles to take back when they expire (the voter role); survives restarts.
CREATE TABLE role_grants (
    server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    guild_id         bigint NOT NULL,
    discord_user_id  bigint NOT NULL,
    role_id          bigint NOT NULL,
    expires_at       timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    PRIMARY KEY (server_id, discord_user_id, role_id)
);

CREATE INDEX role_grants_due ON role_grants (expires_at);

-- Members who asked for personal reminders, with their quiet hours (local minutes of the day).
CREATE TABLE reminder_subscriptions (
    server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    discord_user_id  bigint NOT NULL CHECK (discord_user_id > 0),
    channel_id       bigint,  -- where to mention the member when DMs are closed
    quiet_start      smallint CHECK (quiet_start BETWEEN 0 AND 1439),
    quiet_end        smallint CHECK (quiet_end BETWEEN 0 AND 1439),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, discord_user_id)
);

-- Pending personal reminders: at most one per member and server, claimed by one loop with SKIP LOCKED.
CREATE TABLE reminders (
    server_id        bigint NOT NULL,
    discord_user_id  bigint NOT NULL,
    due_at           timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (server_id, discord_user_id),
    FOREIGN KEY (server_id, discord_user_id)
        REFERENCES reminder_subscriptions (server_id, discord_user_id) ON DELETE CASCADE
);

CREATE INDEX reminders_due ON reminders (due_at);

-- Periodic outputs keyed by period: daily posts ('2026-11-23'), month rollovers ('2026-11'),
-- channel reminder slots, milestones ('2026-11:100') and best ranks. The primary key makes each run once.
CREATE TABLE engagement_runs (
    server_id   bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 40),
    period      text NOT NULL CHECK (char_length(period) BETWEEN 1 AND 64),
    value       integer,
    done_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, kind, period)
);

-- Members holding the monthly top-voter role, so the next rollover can take it back.
CREATE TABLE top_voter_holders (
    server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    discord_user_id  bigint NOT NULL,
    role_id          bigint NOT NULL,
    period           text NOT NULL,
    PRIMARY KEY (server_id, discord_user_id)
);

CREATE INDEX votes_by_server_player ON votes (server_id, lower(player_name)) WHERE player_name IS NOT NULL;
