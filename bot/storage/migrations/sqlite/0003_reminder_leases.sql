-- Reminders become an outbox: claiming one takes a lease (claimed_by, claimable_at); sent_at is set only after the DM.

-- claimable_at is when a pending reminder may next be claimed: its due time, the end of
-- a claim's lease (claimed_by names that claim), or the end of a failed DM's back-off
-- (claimed_by NULL). A process that dies before sending loses its lease when
-- claimable_at passes, and any process may claim the reminder again. failures counts
-- failed DMs in the database, so every process gives up after the same number.
-- Rows from before this version whose sent_at is set were claimed (= sent): they stay sent.
ALTER TABLE reminders ADD COLUMN claimed_by TEXT
    CHECK (claimed_by IS NULL OR length(claimed_by) BETWEEN 1 AND 200);
ALTER TABLE reminders ADD COLUMN claimable_at TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders ADD COLUMN failures INTEGER NOT NULL DEFAULT 0
    CHECK (typeof(failures) = 'integer' AND failures >= 0);
UPDATE reminders SET claimable_at = due_at;

-- The scheduler's queries now look at claimable_at; they repeat this WHERE clause exactly.
DROP INDEX reminders_pending_due;
CREATE INDEX reminders_claimable ON reminders (claimable_at)
    WHERE enabled = 1 AND sent_at IS NULL;
