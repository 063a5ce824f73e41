-- Static pages: About, Contact, the corrections and ethics policies (issue 15). Expand-only: old
-- nodes never read these tables, and the two rebuilt tables keep their columns.

CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    -- Pages answer at `/{slug}` when no section has the address.
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    -- Order of the footer's links to the published pages: lower comes first.
    position INTEGER NOT NULL DEFAULT 0,
    first_published_at INTEGER,
    updated_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX pages_in_footer_order ON pages (status, position, title);

-- Every save of a page, as articles keep theirs: the fields, who saved them (the name as it was
-- then) and when.
CREATE TABLE page_revisions (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    page_version INTEGER NOT NULL,
    saved_at INTEGER NOT NULL,
    saved_by_staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    saved_by_name TEXT NOT NULL,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    description TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (page_id, number)
);

-- Imports now also remember the pages and pictures they wrote, and old addresses may lead to a
-- page. SQLite cannot change a CHECK constraint in place: the two tables are rebuilt with the
-- same columns.
CREATE TABLE import_sources_new (
    source_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN
        ('author', 'section', 'reader', 'article', 'comment', 'page', 'image')),
    entity_id INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);
INSERT INTO import_sources_new SELECT source_id, kind, entity_id, imported_at FROM import_sources;
DROP TABLE import_sources;
ALTER TABLE import_sources_new RENAME TO import_sources;
CREATE INDEX import_sources_by_entity ON import_sources (kind, entity_id);

CREATE TABLE redirects_new (
    old_path TEXT PRIMARY KEY,
    target_kind TEXT NOT NULL CHECK (target_kind IN
        ('article', 'section', 'tag', 'author', 'site_feed', 'section_feed', 'author_feed',
         'page')),
    target_id INTEGER,
    created_at INTEGER NOT NULL
);
INSERT INTO redirects_new SELECT old_path, target_kind, target_id, created_at FROM redirects;
DROP TABLE redirects;
ALTER TABLE redirects_new RENAME TO redirects;
