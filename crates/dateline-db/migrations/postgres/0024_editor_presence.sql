-- Issue 17, item 7, on several nodes (issue 16): who has an article open in the editor. Each
-- node keeps the editors connected to it in memory and copies them here, so a node can tell its
-- own tabs of the editors connected elsewhere. Expand-only: a node of the previous release
-- ignores the table (its editors are then simply not seen across nodes).
--
-- `node` is a random name a node picks when it starts; `last_seen` (microseconds) is moved on
-- by that node's heartbeat, so the rows of a node that died are ignored once they are a few
-- heartbeats old, and deleted by maintenance. No foreign keys: a row lives a few seconds past
-- its tab, and a heartbeat must not fail because an article or a person went away meanwhile;
-- reads join `staff` for the name. `last_seen` has no index, so that a heartbeat rewrites no
-- index (on PostgreSQL, a heap-only update); maintenance scans this small table.
CREATE TABLE editor_presence (
    node TEXT NOT NULL,
    article_id BIGINT NOT NULL,
    tab TEXT NOT NULL,
    staff_id BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (node, article_id, tab)
);
CREATE INDEX editor_presence_by_article ON editor_presence (article_id);
CREATE INDEX editor_presence_by_staff ON editor_presence (staff_id);
