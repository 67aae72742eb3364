-- Vote effects exactly once: the dispatcher awaits every vote consumer and keeps, in the vote's outbox row,
-- which consumers succeeded and which still fail; a consumer that keeps failing is dead-lettered.

-- A new vote's row carries only its id and times (NULLs cost nothing): the columns fill in when a consumer fails.
ALTER TABLE vote_outbox
    ADD COLUMN done      text[],  -- consumers that succeeded (or were dead-lettered); NULL: none yet
    ADD COLUMN failures  jsonb CHECK (jsonb_typeof(failures) = 'object'),  -- {consumer: {attempts, error}}
    ADD COLUMN consumers text[];  -- deliver to these consumers only (a replayed dead letter); NULL: all of them

-- A new vote is due at once whatever the clock says; retries get an explicit time.
UPDATE vote_outbox SET available_at = '-infinity' WHERE attempts = 0;
ALTER TABLE vote_outbox ALTER COLUMN available_at SET DEFAULT '-infinity';
ALTER TABLE vote_outbox DROP COLUMN attempts, DROP COLUMN last_error;

-- A consumer that failed on a vote after all its attempts: kept until an operator replays it
-- (`votebot outbox replay`), shown by /healthz, /metrics and `votebot outbox`.
CREATE TABLE vote_dead_letters (
    vote_id     bigint NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    consumer    text NOT NULL CHECK (char_length(consumer) BETWEEN 1 AND 64),
    attempts    integer NOT NULL CHECK (attempts >= 1),
    last_error  text CHECK (char_length(last_error) <= 500),
    dead_at     timestamptz NOT NULL,
    PRIMARY KEY (vote_id, consumer)
);

CREATE INDEX vote_dead_letters_by_time ON vote_dead_letters (dead_at DESC);
