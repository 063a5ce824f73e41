-- Static pages: About, Contact, the corrections and ethics policies (issue 15). Expand-only: old
-- nodes never read these tables, and the two widened constraints only admit more.

CREATE TABLE pages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Pages answer at `/{slug}` when no section has the address.
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    -- Order of the footer's links to the published pages: lower comes first.
    position BIGINT NOT NULL DEFAULT 0,
    first_published_at BIGINT,
    updated_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX pages_in_footer_order ON pages (status, position, title);

-- Every save of a page, as articles keep theirs: the fields, who saved them (the name as it was
-- then) and when.
CREATE TABLE page_revisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    page_version BIGINT NOT NULL,
    saved_at BIGINT NOT NULL,
    saved_by_staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    saved_by_name TEXT NOT NULL,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    description TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (page_id, number)
);

-- Imports now also remember the pages and pictures they wrote, and old addresses may lead to a
-- page.
ALTER TABLE import_sources DROP CONSTRAINT import_sources_kind_check;
ALTER TABLE import_sources ADD CONSTRAINT import_sources_kind_check CHECK (kind IN
    ('author', 'section', 'reader', 'article', 'comment', 'page', 'image'));
ALTER TABLE redirects DROP CONSTRAINT redirects_target_kind_check;
ALTER TABLE redirects ADD CONSTRAINT redirects_target_kind_check CHECK (target_kind IN
    ('article', 'section', 'tag', 'author', 'site_feed', 'section_feed', 'author_feed', 'page'));
