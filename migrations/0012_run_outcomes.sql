-- A keyed run is claimed before its post and finished after it, so a run whose post never happened (a crash,
-- a Discord outage) is seen as unfinished and posted later instead of being lost. Earlier runs are finished.
ALTER TABLE engagement_runs ADD COLUMN finished boolean NOT NULL DEFAULT true;
ALTER TABLE engagement_runs ALTER COLUMN finished SET DEFAULT false;
CREATE INDEX engagement_runs_unfinished ON engagement_runs (server_id, kind) WHERE NOT finished;
