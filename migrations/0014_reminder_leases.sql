-- A reminder being delivered is leased in its own column instead of by moving due_at: due_at stays the
-- time it was scheduled for, so a delivery retried after a crash carries the same message nonce (and
-- Discord shows the DM once), and a late vote compares against the real due time.
ALTER TABLE reminders ADD COLUMN leased_until timestamptz;
