-- Reminders become an outbox: claiming one takes a lease (claimed_by, claimable_at); sent_at is set only after the DM.

-- As migrations/sqlite/0003_reminder_leases.sql: claimable_at is when a pending reminder
-- may next be claimed (its due time, the end of a lease named by claimed_by, or the end
-- of a failed DM's back-off), failures counts failed DMs. Rows claimed (= sent) before
-- this version keep their sent_at: they stay sent.
ALTER TABLE reminders
    ADD COLUMN claimed_by   TEXT COLLATE "C"
        CHECK (claimed_by IS NULL OR length(claimed_by) BETWEEN 1 AND 200),
    ADD COLUMN claimable_at TEXT COLLATE "C",
    ADD COLUMN failures     INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0);
UPDATE reminders SET claimable_at = due_at;
ALTER TABLE reminders ALTER COLUMN claimable_at SET NOT NULL;

DROP INDEX reminders_pending_due;
CREATE INDEX reminders_claimable ON reminders (claimable_at)
    WHERE enabled = 1 AND sent_at IS NULL;
