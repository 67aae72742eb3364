-- Proof that a member owns the player name they link: /link stores a one-time code here (hashed), the
-- game server's plugin confirms it through the PULL API with the name the game knows, and only then is
-- the player_links row written. One pending claim per member per server; a new /link replaces it.
CREATE TABLE link_claims (
    server_id        bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    discord_user_id  bigint NOT NULL CHECK (discord_user_id > 0),
    code_hash        text NOT NULL CHECK (char_length(code_hash) = 64),   -- hex SHA-256 of the code
    player_name      text CHECK (char_length(player_name) BETWEEN 1 AND 200),  -- the name asked for, if any
    ping_opt_in      boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    confirmed_at     timestamptz,
    confirmed_name   text CHECK (char_length(confirmed_name) BETWEEN 1 AND 200),
    PRIMARY KEY (server_id, discord_user_id),
    CHECK (expires_at > created_at),
    CHECK ((confirmed_at IS NULL) = (confirmed_name IS NULL))
);

CREATE UNIQUE INDEX link_claims_code ON link_claims (server_id, code_hash);

-- Confirm calls that failed (bad key, unknown code, name mismatch), to throttle guessing: counted per
-- source address, per server and per player name over a rolling window, in the database so every
-- webhook replica sees the same counts. Old rows are pruned as new ones are written.
CREATE TABLE link_confirm_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id   bigint REFERENCES servers (id) ON DELETE CASCADE,  -- NULL when the API key was wrong
    address     text NOT NULL CHECK (char_length(address) <= 100),
    player_name text CHECK (char_length(player_name) <= 200),
    failed_at   timestamptz NOT NULL
);

CREATE INDEX link_confirm_failures_address ON link_confirm_failures (address, failed_at);
CREATE INDEX link_confirm_failures_server ON link_confirm_failures (server_id, failed_at);
CREATE INDEX link_confirm_failures_time ON link_confirm_failures (failed_at);
