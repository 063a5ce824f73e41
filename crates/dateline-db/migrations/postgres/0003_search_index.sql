-- The search index of nodes that share this database (`dateline_search::PostgresIndex`). A copy
-- derived from the published articles, rebuilt by `dateline reindex`: no foreign keys, so the
-- index can lag the articles by a job without blocking a delete.
--
-- Text is analysed by Dateline, not by a text search configuration: `words` holds the lexemes of
-- the tantivy analyser (folded, lowercased, English-stemmed), so both indexes find the same
-- articles. Weights: A headline; B standfirst, authors, section, tags; C body.
CREATE TABLE search_documents (
    article_id BIGINT PRIMARY KEY,
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL,
    body_text TEXT NOT NULL,
    authors TEXT[] NOT NULL,
    author_slugs TEXT[] NOT NULL,
    section TEXT NOT NULL,
    section_slug TEXT NOT NULL,
    tags TEXT[] NOT NULL,
    -- Microseconds since the epoch, as every time in the store.
    first_published_at BIGINT NOT NULL,
    words TSVECTOR NOT NULL
);
CREATE INDEX search_documents_words ON search_documents USING GIN (words);
CREATE INDEX search_documents_newest ON search_documents (first_published_at DESC, article_id DESC);
CREATE INDEX search_documents_section ON search_documents (section_slug, first_published_at DESC);
CREATE INDEX search_documents_author_slugs ON search_documents USING GIN (author_slugs);

-- Every indexed lexeme of three characters or more, for typo tolerance without extensions: a
-- lexeme is listed with itself and each spelling one character shorter ("symmetric delete"), so
-- the lexemes within one typo of a word are among those sharing one of these spellings with it.
-- `documents` counts the articles holding the lexeme: rows at zero are pruned, and "related"
-- weighs rare words above common ones.
CREATE TABLE search_lexicon (
    lexeme TEXT PRIMARY KEY,
    variants TEXT[] NOT NULL,
    documents BIGINT NOT NULL
);
CREATE INDEX search_lexicon_variants ON search_lexicon USING GIN (variants);

-- How far along the `changes` log the shared index is. One row; advanced only forwards, so two
-- nodes finishing out of order never move it back.
CREATE TABLE search_cursor (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    change_id BIGINT NOT NULL
);
