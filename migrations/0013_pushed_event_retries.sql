-- Pushed events are retried with back-off (not every 30 s for five minutes): an alert lost to a Discord
-- outage is posted once Discord is back. A dead event (attempts used up) keeps last_error for the operator.
ALTER TABLE community_events ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT '-infinity';
DROP INDEX community_events_pending;
CREATE INDEX community_events_pending ON community_events (next_attempt_at) WHERE delivered_at IS NULL;
