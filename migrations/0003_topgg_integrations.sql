-- Top.gg integration connections: created by Top.gg through the configuration URL, each with its own
-- webhook secret that signs later deliveries for the server it was created for.

CREATE TABLE topgg_integrations (
    connection_id   text PRIMARY KEY CHECK (char_length(connection_id) BETWEEN 1 AND 200),
    server_id       bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    webhook_secret  text NOT NULL CHECK (char_length(webhook_secret) BETWEEN 1 AND 512),
    project_id      text,
    user_id         text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX topgg_integrations_by_server ON topgg_integrations (server_id);
