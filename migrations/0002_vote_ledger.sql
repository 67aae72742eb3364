-- The vote ledger's outbox (votes waiting to be delivered to the cogs) and PULL API claims.

ALTER TABLE votes ADD COLUMN claimed_at timestamptz;

CREATE INDEX votes_unclaimed_by_player ON votes (server_id, lower(player_name), voted_at)
    WHERE claimed_at IS NULL AND player_name IS NOT NULL;

-- One row per recorded vote until the dispatcher has handed it to the cogs; deleted on delivery.
CREATE TABLE vote_outbox (
    vote_id       bigint PRIMARY KEY REFERENCES votes (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    available_at  timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error    text
);

CREATE INDEX vote_outbox_due ON vote_outbox (available_at, vote_id);
