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

-- The narration budget: an article unchanged for this many days (or imported) is archive,
-- narrated on its first listen or by `dateline narrate --archive`, never queued by itself.
-- `serve` writes the `narration_archive_days` setting here, so the workers and every node agree.
ALTER TABLE narration_settings ADD COLUMN archive_days INTEGER NOT NULL DEFAULT 30;
