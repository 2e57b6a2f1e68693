-- State shared by bot processes: the identify gate per concurrency bucket and the knowledge generation.

-- As migrations/sqlite/0004_shared_process_state.sql. Times are fixed-width UTC text in
-- the "C" collation, as everywhere else in this schema.
CREATE TABLE identify_gate (
    bucket   INTEGER PRIMARY KEY CHECK (bucket >= 0),
    next_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE knowledge_generation (
    only_row    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    generation  BIGINT  NOT NULL DEFAULT 0 CHECK (generation >= 0)
);

INSERT INTO knowledge_generation (only_row, generation) VALUES (TRUE, 0);
