-- Imports also remember the live coverage entries they wrote (WordPress.com VIP's Liveblog
-- entries, issue 15), so a re-run updates them instead of posting them twice.
ALTER TABLE import_sources DROP CONSTRAINT import_sources_kind_check;
ALTER TABLE import_sources ADD CONSTRAINT import_sources_kind_check CHECK (kind IN
    ('author', 'section', 'reader', 'article', 'comment', 'page', 'image', 'live_entry'));
