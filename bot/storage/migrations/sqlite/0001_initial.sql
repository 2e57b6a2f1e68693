-- Initial schema: attempts, member settings, reminders, unanswered questions and feedback.

-- Times are ISO-8601 UTC text of one fixed width ("2026-11-26T09:30:00.000000+00:00"),
-- so text comparison and ORDER BY agree with time order.

CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL CHECK (typeof(user_id) = 'integer'),
    exam_code   TEXT    NOT NULL CHECK (length(exam_code) BETWEEN 1 AND 16),
    taken_at    TEXT    NOT NULL,
    result      TEXT    NOT NULL CHECK (result IN ('pass', 'fail')),
    score       INTEGER CHECK (score IS NULL OR (typeof(score) = 'integer' AND score BETWEEN 1 AND 1000)),
    -- 1 when the member gave a time of day, 0 when we assumed the end of that day.
    time_given  INTEGER NOT NULL CHECK (time_given IN (0, 1)),
    created_at  TEXT    NOT NULL,
    UNIQUE (user_id, exam_code, taken_at)
);
-- The UNIQUE index serves per-exam lookups; this one serves "all my attempts in order".
CREATE INDEX attempts_user_taken ON attempts (user_id, taken_at);

CREATE TABLE user_settings (
    user_id     INTEGER PRIMARY KEY CHECK (typeof(user_id) = 'integer'),
    timezone    TEXT    NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 64),
    updated_at  TEXT    NOT NULL
);

CREATE TABLE reminders (
    user_id     INTEGER NOT NULL CHECK (typeof(user_id) = 'integer'),
    exam_code   TEXT    NOT NULL CHECK (length(exam_code) BETWEEN 1 AND 16),
    due_at      TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    sent_at     TEXT,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (user_id, exam_code)
);
-- Only pending reminders are indexed: the scheduler's queries repeat this WHERE clause
-- exactly, which is what lets SQLite use a partial index.
CREATE INDEX reminders_pending_due ON reminders (due_at)
    WHERE enabled = 1 AND sent_at IS NULL;

-- Deliberately no user id: we count what people ask, not who asks it.
CREATE TABLE unanswered (
    normalized  TEXT    PRIMARY KEY,
    question    TEXT    NOT NULL,
    count       INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
    first_seen  TEXT    NOT NULL,
    last_seen   TEXT    NOT NULL
);
CREATE INDEX unanswered_count ON unanswered (count DESC, last_seen DESC);

CREATE TABLE feedback (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL CHECK (typeof(user_id) = 'integer'),
    entry_id    TEXT    NOT NULL,
    question    TEXT    NOT NULL,
    helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    created_at  TEXT    NOT NULL
);
CREATE INDEX feedback_user ON feedback (user_id);
CREATE INDEX feedback_entry ON feedback (entry_id);
