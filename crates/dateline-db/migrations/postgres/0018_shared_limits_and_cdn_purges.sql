-- Issue 16: what several nodes must share. Expand-only: a node on the previous release ignores
-- all three.

-- Counts of limits that must hold across nodes (tips per address and per site, codename
-- guesses, comment allowance): one row per limit key, counted in fixed windows, one UPSERT per
-- check. Keys of per-address limits are keyed hashes that change every window, never addresses;
-- rows of past windows are deleted by maintenance.
CREATE TABLE limit_counters (
    counter_key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX limit_counters_by_window ON limit_counters (window_start);

-- How far along the changes log CDN purges have been queued: the node that moves it queues the
-- purge job for the changes it passed, so each change is purged by one job, whichever nodes follow
-- the log.
CREATE TABLE cdn_purge_cursor (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    through_change BIGINT NOT NULL
);

-- The tips identities an editor unlocked in this session, sealed with a key derived from the
-- installation's secret and the session's own token (which only the editor's cookie carries), so
-- any node can open them for that editor and nobody holding only the database can.
ALTER TABLE staff_sessions ADD COLUMN tips_unlocked BYTEA;
