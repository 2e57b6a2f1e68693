-- Unanswered questions belong to the server they were asked in; one feedback vote per member and answer.

-- As migrations/sqlite/0002_unanswered_per_server.sql; PostgreSQL can change a primary
-- key in place, so no copy of the table is needed. guild_id 0 is "no server" (DMs).
ALTER TABLE unanswered ADD COLUMN guild_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE unanswered DROP CONSTRAINT unanswered_pkey;
ALTER TABLE unanswered ADD PRIMARY KEY (guild_id, normalized);
DROP INDEX unanswered_count;
CREATE INDEX unanswered_guild_count ON unanswered (guild_id, count DESC, last_seen DESC);

-- Repeated clicks must not stuff the ballot: keep each member's latest vote per answer.
DELETE FROM feedback
WHERE id NOT IN (SELECT MAX(id) FROM feedback GROUP BY user_id, entry_id);

CREATE UNIQUE INDEX feedback_user_entry ON feedback (user_id, entry_id);
