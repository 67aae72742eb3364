-- Community features: giveaways (entries, stored draws), the wipe calendar with keyed announcements,
-- member and pushed reviews, pushed events (deduplicated by id) and recorded rank updates.

CREATE TABLE giveaways (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id         bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    guild_id          bigint NOT NULL CHECK (guild_id > 0),
    channel_id        bigint NOT NULL CHECK (channel_id > 0),
    message_id        bigint CHECK (message_id > 0),
    host_id           bigint NOT NULL CHECK (host_id > 0),
    prize             text NOT NULL CHECK (char_length(prize) BETWEEN 1 AND 200),
    winner_count      smallint NOT NULL CHECK (winner_count BETWEEN 1 AND 20),
    required_role_id  bigint CHECK (required_role_id > 0),
    require_vote      boolean NOT NULL DEFAULT false,
    voter_bonus       smallint NOT NULL DEFAULT 0 CHECK (voter_bonus BETWEEN 0 AND 10),
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL CHECK (ends_at > starts_at),
    status            text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ended', 'cancelled')),
    finished_at       timestamptz
);

CREATE INDEX giveaways_due ON giveaways (ends_at) WHERE status = 'running';
CREATE INDEX giveaways_by_guild ON giveaways (guild_id, id DESC);

CREATE TABLE giveaway_entries (
    giveaway_id      bigint NOT NULL REFERENCES giveaways (id) ON DELETE CASCADE,
    discord_user_id  bigint NOT NULL CHECK (discord_user_id > 0),
    entered_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (giveaway_id, discord_user_id)
);

-- One row per draw (1 = the end, 2.. = rerolls). The snapshot (entrants and their tickets) is what was drawn
-- from, stored before any announcement so a retry announces the same winners and anyone can audit the draw.
CREATE TABLE giveaway_draws (
    giveaway_id   bigint NOT NULL REFERENCES giveaways (id) ON DELETE CASCADE,
    draw_no       smallint NOT NULL CHECK (draw_no >= 1),
    snapshot      jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'array'),
    winners       bigint[] NOT NULL,
    requested     smallint NOT NULL CHECK (requested >= 1),
    drawn_at      timestamptz NOT NULL DEFAULT now(),
    announced_at  timestamptz,
    message_id    bigint,
    PRIMARY KEY (giveaway_id, draw_no)
);

CREATE TABLE wipes (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id           bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    title               text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    description         text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
    starts_at           timestamptz NOT NULL,
    duration            interval NOT NULL DEFAULT interval '1 hour'
                        CHECK (duration > interval '0' AND duration <= interval '7 days'),
    repeat              text NOT NULL DEFAULT 'none' CHECK (repeat IN ('none', 'weekly', 'biweekly', 'monthly')),
    discord_event       boolean NOT NULL DEFAULT false,
    scheduled_event_id  bigint,
    source              text NOT NULL DEFAULT 'discord' CHECK (source IN ('discord', 'api')),
    external_id         text CHECK (char_length(external_id) BETWEEN 1 AND 200),
    created_by          bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    cancelled_at        timestamptz
);

CREATE UNIQUE INDEX wipes_external ON wipes (server_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX wipes_active ON wipes (server_id) WHERE cancelled_at IS NULL;

-- Announcements keyed by (wipe, occurrence, kind): inserted before posting, so each goes out at most once,
-- and deleted again when the post failed so it is retried.
CREATE TABLE wipe_announcements (
    wipe_id     bigint NOT NULL REFERENCES wipes (id) ON DELETE CASCADE,
    occurrence  timestamptz NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('reminder', 'start')),
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    posted_at   timestamptz,
    message_id  bigint,
    PRIMARY KEY (wipe_id, occurrence, kind)
);

CREATE TABLE reviews (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    source           text NOT NULL CHECK (source IN ('discord', 'api')),
    discord_user_id  bigint CHECK (discord_user_id > 0),
    external_id      text CHECK (char_length(external_id) BETWEEN 1 AND 200),
    author           text NOT NULL CHECK (char_length(author) BETWEEN 1 AND 100),
    rating           smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body             text NOT NULL DEFAULT '' CHECK (char_length(body) <= 4000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'discord') = (discord_user_id IS NOT NULL))
);

CREATE UNIQUE INDEX reviews_one_per_member ON reviews (server_id, discord_user_id) WHERE discord_user_id IS NOT NULL;
CREATE UNIQUE INDEX reviews_external ON reviews (server_id, external_id) WHERE external_id IS NOT NULL;

-- Events pushed by a listing site, deduplicated by (server, event id); delivered_at is set once its Discord
-- effect (alert) is done, so the bot process delivers what a webhook replica accepted.
CREATE TABLE community_events (
    server_id     bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    event_id      text NOT NULL CHECK (char_length(event_id) BETWEEN 1 AND 200),
    type          text NOT NULL CHECK (type IN (
                      'review.create', 'rank.update', 'giveaway.winner', 'wipe.scheduled', 'wipe.cancelled')),
    data          jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    received_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz,
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error    text,
    PRIMARY KEY (server_id, event_id)
);

CREATE INDEX community_events_pending ON community_events (received_at) WHERE delivered_at IS NULL;

-- Rank changes pushed by listing sites; announcing them belongs to the milestones feature.
CREATE TABLE rank_updates (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id      bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    event_id       text NOT NULL,
    rank           integer NOT NULL CHECK (rank >= 1),
    previous_rank  integer CHECK (previous_rank >= 1),
    category       text CHECK (char_length(category) <= 100),
    received_at    timestamptz NOT NULL DEFAULT now(),
    announced_at   timestamptz,
    UNIQUE (server_id, event_id)
);

CREATE INDEX rank_updates_by_server ON rank_updates (server_id, id DESC);
