-- Issue 14: what the narration workers produced and how long it took, kept in the database
-- because the worker is another process (or machine) and `/metrics` is served by the web
-- nodes. One row; counters only grow.
CREATE TABLE narration_totals (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    narrations BIGINT NOT NULL DEFAULT 0,
    audio_ms BIGINT NOT NULL DEFAULT 0,
    synthesis_ms BIGINT NOT NULL DEFAULT 0,
    last_audio_ms BIGINT,
    last_synthesis_ms BIGINT
);
INSERT INTO narration_totals (only_row) VALUES (1);
