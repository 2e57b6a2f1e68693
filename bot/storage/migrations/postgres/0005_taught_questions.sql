-- Questions a server's moderators taught (/kb teach), and the server of each feedback vote.

-- As migrations/sqlite/0005_taught_questions.sql, in PostgreSQL's dialect.
CREATE TABLE taught (
    guild_id      BIGINT  NOT NULL CHECK (guild_id > 0),
    question_key  TEXT    COLLATE "C" NOT NULL CHECK (length(question_key) >= 1),
    question      TEXT    COLLATE "C" NOT NULL CHECK (length(question) BETWEEN 1 AND 500),
    entry_id      TEXT    COLLATE "C" NOT NULL CHECK (length(entry_id) BETWEEN 1 AND 100),
    taught_by     BIGINT,
    taught_at     TEXT    COLLATE "C" NOT NULL,
    PRIMARY KEY (guild_id, question_key)
);
CREATE INDEX taught_by_moderator ON taught (taught_by);

ALTER TABLE feedback ADD COLUMN guild_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX feedback_guild_entry ON feedback (guild_id, entry_id);
