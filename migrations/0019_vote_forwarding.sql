-- Votes out: every vote a server receives is handed on to its game server's destinations — Votifier v2 or v1
-- (NuVotifier) or a signed HTTP webhook (Standard Webhooks) — once per destination and vote.

CREATE TABLE forward_destinations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id       bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 40),
    kind            text NOT NULL CHECK (kind IN ('votifier_v2', 'votifier_v1', 'webhook')),
    host            text CHECK (char_length(host) BETWEEN 1 AND 253),
    port            integer CHECK (port BETWEEN 1 AND 65535),
    url             text CHECK (char_length(url) BETWEEN 1 AND 512),
    service_name    text NOT NULL DEFAULT 'votebot' CHECK (char_length(service_name) BETWEEN 1 AND 64),
    -- Votifier v2: the NuVotifier token; v1: the game server's RSA public key (base64 DER); webhook: whsec_…
    secret          text NOT NULL CHECK (char_length(secret) BETWEEN 1 AND 1024),
    providers       text[] NOT NULL DEFAULT '{}',  -- forward votes from these listing sites only; empty: all
    paused          text CHECK (paused IN ('owner', 'failing')),  -- NULL: delivering
    failing_since   timestamptz,  -- the first failure since the last success
    last_success_at timestamptz,
    last_error      text CHECK (char_length(last_error) <= 300),  -- in English (logs, the CLI)
    -- the same error as its catalog text and placeholders, so /forward list shows it in the reader's language
    last_error_text jsonb CHECK (jsonb_typeof(last_error_text) = 'object'),
    last_error_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'webhook') = (url IS NOT NULL)),
    CHECK ((kind = 'webhook') = (host IS NULL AND port IS NULL))
);

CREATE UNIQUE INDEX forward_destinations_name ON forward_destinations (server_id, lower(name));  -- "Web" = "web"

-- One row per (destination, vote): the unique key is what makes a vote go out once per destination.
-- pending → (leased while a sender works on it) → sending (written, awaiting the acknowledgement) → delivered;
-- skipped (no player name to send: an unlinked Top.gg voter); dead (failing for 24 h: `votebot forward replay`).
CREATE TABLE forward_deliveries (
    destination_id  bigint NOT NULL REFERENCES forward_destinations (id) ON DELETE CASCADE,
    vote_id         bigint NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'delivered', 'skipped', 'dead')),
    username        text CHECK (char_length(username) BETWEEN 1 AND 64),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
    leased_until    timestamptz,
    first_failed_at timestamptz,
    last_error      text CHECK (char_length(last_error) <= 300),
    done_at         timestamptz,
    PRIMARY KEY (destination_id, vote_id),
    CHECK ((state = 'skipped') OR username IS NOT NULL)
);

-- A destination's queue, oldest vote first: the head is the only one sent (votes keep their order).
CREATE INDEX forward_deliveries_queue ON forward_deliveries (destination_id, vote_id)
    WHERE state IN ('pending', 'sending');
CREATE INDEX forward_deliveries_dead ON forward_deliveries (destination_id) WHERE state = 'dead';
