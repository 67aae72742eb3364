-- Boards (the live top-10) that a vote changed and that wait for their next refresh: a durable mark set
-- by the leaderboards' vote consumer and taken by the board tick, instead of an in-memory dirty set.
CREATE TABLE stale_boards (
    server_id  bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    feature    text NOT NULL CHECK (char_length(feature) BETWEEN 1 AND 40),
    marked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, feature)
);
