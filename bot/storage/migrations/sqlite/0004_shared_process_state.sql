-- State shared by bot processes: the identify gate per concurrency bucket and the knowledge generation.

-- Discord lets a bot IDENTIFY once per 5 s per max_concurrency bucket (shard_id %
-- max_concurrency). Each process reserves the next free slot of its shard's bucket here,
-- in one transaction, and waits for it: processes starting together queue up instead of
-- being refused. next_at is fixed-width UTC text, like every other time.
CREATE TABLE identify_gate (
    bucket   INTEGER PRIMARY KEY CHECK (bucket >= 0),
    next_at  TEXT    NOT NULL
);

-- Raised by /kb reload; every process polls it and reloads its knowledge files when it
-- is higher than the generation it loaded. One row, always present.
CREATE TABLE knowledge_generation (
    only_row    INTEGER PRIMARY KEY DEFAULT 1 CHECK (only_row = 1),
    generation  INTEGER NOT NULL DEFAULT 0 CHECK (generation >= 0)
);

INSERT INTO knowledge_generation (only_row, generation) VALUES (1, 0);
