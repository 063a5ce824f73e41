-- Imports from WordPress, Ghost and Disqus (issue 15).
--
-- What each imported item became, by its stable id in the old system (`wordpress:post:123`,
-- `ghost:post:5f3a…`), so a second run of the same export updates what the first one wrote and
-- never writes it twice. The row is written in the same transaction as the item.
CREATE TABLE import_sources (
    source_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('author', 'section', 'reader', 'article', 'comment')),
    entity_id BIGINT NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE INDEX import_sources_by_entity ON import_sources (kind, entity_id);

-- The old site's addresses (path, and query where the old site used one: `/?p=123`), answered
-- with 301 to wherever their item lives now. The target is kept as a kind and an id, not a path,
-- so a later rename of the article or section is followed, and an article that is no longer
-- published is not revealed.
CREATE TABLE redirects (
    old_path TEXT PRIMARY KEY,
    target_kind TEXT NOT NULL CHECK (target_kind IN
        ('article', 'section', 'tag', 'author', 'site_feed', 'section_feed', 'author_feed')),
    target_id BIGINT,
    created_at BIGINT NOT NULL
);
