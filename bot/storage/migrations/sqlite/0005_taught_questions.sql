-- Questions a server's moderators taught (/kb teach), and the server of each feedback vote.

-- One row per server and taught question. question_key is the question's content words,
-- sorted (bot/taught.py): two wordings with the same key are one taught question.
-- entry_id is an FAQ entry id or 'off-topic' (an honest no-answer). taught_by is the
-- moderator, NULL once they erased their data with /mydata forget (the row stays: it is
-- the server's knowledge, not the moderator's).
CREATE TABLE taught (
    guild_id      INTEGER NOT NULL CHECK (typeof(guild_id) = 'integer' AND guild_id > 0),
    question_key  TEXT    NOT NULL CHECK (length(question_key) >= 1),
    question      TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 500),
    entry_id      TEXT    NOT NULL CHECK (length(entry_id) BETWEEN 1 AND 100),
    taught_by     INTEGER CHECK (taught_by IS NULL OR typeof(taught_by) = 'integer'),
    taught_at     TEXT    NOT NULL,
    PRIMARY KEY (guild_id, question_key)
);
CREATE INDEX taught_by_moderator ON taught (taught_by);

-- /kb feedback shows each server its own members' votes; 0 is "no server" (DMs, and
-- votes from before this version).
ALTER TABLE feedback ADD COLUMN guild_id INTEGER NOT NULL DEFAULT 0
    CHECK (typeof(guild_id) = 'integer');
CREATE INDEX feedback_guild_entry ON feedback (guild_id, entry_id);
