-- Live server status: per-server query settings, probe samples (raw, then compacted to hourly rows),
-- the offline-alert state machine and an outbox of alerts written with each state change.

CREATE TABLE status_settings (
    server_id           bigint PRIMARY KEY REFERENCES servers (id) ON DELETE CASCADE,
    protocol            text CHECK (protocol ~ '^[a-z0-9]{1,32}$'),
    query_port          integer CHECK (query_port BETWEEN 1 AND 65535),
    interval_s          integer NOT NULL DEFAULT 60 CHECK (interval_s BETWEEN 30 AND 3600),
    confirm_interval_s  integer NOT NULL DEFAULT 15 CHECK (confirm_interval_s BETWEEN 5 AND 600),
    failures_to_down    smallint NOT NULL DEFAULT 3 CHECK (failures_to_down BETWEEN 1 AND 20),
    connect_url         text CHECK (connect_url ~ '^https?://[^\s/]+' AND char_length(connect_url) <= 512),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- One row per probe. A sample stands for the time until the next one, at most two intervals: longer gaps
-- (the bot was not running) are unknown, never down.
CREATE TABLE status_samples (
    server_id    bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    probed_at    timestamptz NOT NULL,
    online       boolean NOT NULL,
    players      integer CHECK (players >= 0),
    max_players  integer CHECK (max_players >= 0),
    latency_ms   real CHECK (latency_ms >= 0),
    error        text CHECK (char_length(error) <= 200),
    PRIMARY KEY (server_id, probed_at)
);

CREATE INDEX status_samples_by_time ON status_samples (probed_at);

CREATE TABLE status_hourly (
    server_id     bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    hour          timestamptz NOT NULL,
    up_s          double precision NOT NULL CHECK (up_s >= 0),
    down_s        double precision NOT NULL CHECK (down_s >= 0),
    samples       integer NOT NULL CHECK (samples >= 0),
    peak_players  integer CHECK (peak_players >= 0),
    PRIMARY KEY (server_id, hour)
);

CREATE TABLE status_state (
    server_id       bigint PRIMARY KEY REFERENCES servers (id) ON DELETE CASCADE,
    state           text NOT NULL CHECK (state IN ('unknown', 'up', 'pending', 'down')),
    since           timestamptz NOT NULL,
    failures        smallint NOT NULL DEFAULT 0 CHECK (failures >= 0),
    alerted         boolean NOT NULL DEFAULT false,
    alert_times     timestamptz[] NOT NULL DEFAULT '{}',
    flapping_until  timestamptz,
    last_probe_at   timestamptz,
    last_result     jsonb CHECK (jsonb_typeof(last_result) = 'object'),
    last_online     jsonb CHECK (jsonb_typeof(last_online) = 'object'),
    tracking_since  timestamptz NOT NULL
);

CREATE TABLE status_alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id   bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('down', 'up', 'flapping')),
    created_at  timestamptz NOT NULL,
    down_since  timestamptz,
    detail      text CHECK (char_length(detail) <= 200),
    attempts    smallint NOT NULL DEFAULT 0,
    sent_at     timestamptz,
    message_id  bigint CHECK (message_id > 0)
);

CREATE INDEX status_alerts_unsent ON status_alerts (id) WHERE sent_at IS NULL;
