-- Unanswered questions belong to the server they were asked in; one feedback vote per member and answer.

-- A moderator of one server must not read questions asked in another server or in a DM.
-- guild_id 0 stands for "no server" (direct messages, and rows from before this version):
-- NULL cannot be used in the key because SQLite treats every NULL as distinct.
CREATE TABLE unanswered_by_server (
    guild_id    INTEGER NOT NULL DEFAULT 0 CHECK (typeof(guild_id) = 'integer'),
    normalized  TEXT    NOT NULL,
    question    TEXT    NOT NULL,
    count       INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
    first_seen  TEXT    NOT NULL,
    last_seen   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, normalized)
);

INSERT INTO unanswered_by_server (guild_id, normalized, question, count, first_seen, last_seen)
SELECT 0, normalized, question, count, first_seen, last_seen FROM unanswered;

DROP TABLE unanswered;

ALTER TABLE unanswered_by_server RENAME TO unanswered;

CREATE INDEX unanswered_guild_count ON unanswered (guild_id, count DESC, last_seen DESC);

-- Repeated clicks must not stuff the ballot: keep each member's latest vote per answer.
DELETE FROM feedback
WHERE id NOT IN (SELECT MAX(id) FROM feedback GROUP BY user_id, entry_id);

CREATE UNIQUE INDEX feedback_user_entry ON feedback (user_id, entry_id);
