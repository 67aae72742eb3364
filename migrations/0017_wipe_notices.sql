-- Notices after an announcement: a wipe members were told about (its day-before reminder, or the notice of a
-- move) was cancelled or moved. They are keyed like the announcements, by (wipe, the start members were told,
-- kind), so each goes out once across restarts; moved_to is the new start a move notice announced.
ALTER TABLE wipe_announcements DROP CONSTRAINT wipe_announcements_kind_check;
ALTER TABLE wipe_announcements ADD CONSTRAINT wipe_announcements_kind_check
    CHECK (kind IN ('reminder', 'start', 'cancelled', 'moved'));
ALTER TABLE wipe_announcements ADD COLUMN moved_to timestamptz CHECK (moved_to IS NULL OR kind = 'moved');

-- the starts members were told about, looked up from a few hours back on every run of the announcer
CREATE INDEX wipe_announcements_told ON wipe_announcements ((COALESCE(moved_to, occurrence)))
    WHERE posted_at IS NOT NULL AND kind IN ('reminder', 'moved');
