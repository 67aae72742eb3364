-- The audit log: who changed what and when, from slash commands, the web dashboard, the management API and the
-- CLI alike, shown per server. No foreign key: a removed server's entries stay (they are listed by server id).
-- ``user_id`` is the Discord user (NULL at the CLI); ``actor`` what the log shows of them (a Discord name, the
-- operator's login); ``details`` what changed (old → new values, never a secret: only its fingerprint).
CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    server_id bigint NOT NULL,
    guild_id  bigint NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    source    text NOT NULL CHECK (source IN ('discord', 'dashboard', 'api', 'cli')),
    user_id   bigint,
    actor     text NOT NULL DEFAULT '',
    action    text NOT NULL,
    details   jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_server ON audit_log (server_id, id DESC);
