-- Imports also remember the live coverage entries they wrote (WordPress.com VIP's Liveblog
-- entries, issue 15), so a re-run updates them instead of posting them twice. SQLite cannot
-- change a CHECK constraint in place: the table is rebuilt with the same columns.
CREATE TABLE import_sources_new (
    source_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN
        ('author', 'section', 'reader', 'article', 'comment', 'page', 'image', 'live_entry')),
    entity_id INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);
INSERT INTO import_sources_new SELECT source_id, kind, entity_id, imported_at FROM import_sources;
DROP TABLE import_sources;
ALTER TABLE import_sources_new RENAME TO import_sources;
CREATE INDEX import_sources_by_entity ON import_sources (kind, entity_id);
