-- Live coverage (issue 18): an article of kind 'live' carries a stream of short entries.
-- Expand-only: old nodes read every article as a story and never see the entries.

-- 'story' or 'live'. Coverage starts at first publication unless a published story was turned
-- into live coverage (then coverage_started_at); it ends when the newsroom ends it.
ALTER TABLE articles ADD COLUMN kind TEXT NOT NULL DEFAULT 'story' CHECK (kind IN ('story', 'live'));
ALTER TABLE articles ADD COLUMN coverage_started_at INTEGER;
ALTER TABLE articles ADD COLUMN coverage_ended_at INTEGER;
-- Bumped by every change to the article's entries: what readers' and the desk's event streams
-- compare, one read per article whatever the number of readers.
ALTER TABLE articles ADD COLUMN live_revision INTEGER NOT NULL DEFAULT 0;
CREATE INDEX articles_live ON articles (id) WHERE kind = 'live';

CREATE TABLE live_entries (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    headline TEXT,
    body TEXT NOT NULL,
    image_id INTEGER REFERENCES images(id) ON DELETE SET NULL,
    embed_url TEXT,
    key_event INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0,
    -- The byline the entry went out under (NULL: the poster writes under none), and who posted
    -- it, by name as it was then.
    author_id INTEGER REFERENCES authors(id) ON DELETE SET NULL,
    posted_by_staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    posted_by_name TEXT NOT NULL,
    posted_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX live_entries_stream ON live_entries (article_id, pinned, id DESC);
CREATE INDEX live_entries_key_events ON live_entries (key_event, posted_at DESC) WHERE key_event = 1;

-- Corrections, clarifications and updates to one entry, shown with it.
CREATE TABLE live_entry_notes (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES live_entries(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('correction', 'clarification', 'update')),
    body TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    written_by_staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    written_by_name TEXT NOT NULL
);
CREATE INDEX live_entry_notes_by_entry ON live_entry_notes (entry_id, published_at DESC, id DESC);
