-- Issue 13: author and tag pages in publication order without a join and a sort. Each byline
-- and tag row carries its article's place in the lists, `listed_at`: the article's
-- first_published_at while it is published, NULL otherwise. An index per list then reads a page
-- (and counts the list) from one narrow range, as the section and front lists already do from
-- the articles' own indexes.
--
-- Triggers keep the copy true for every writer (the store, the importer, an older node during a
-- rolling deploy), so no code path can forget it.
ALTER TABLE article_authors ADD COLUMN listed_at INTEGER;
ALTER TABLE article_tags ADD COLUMN listed_at INTEGER;

UPDATE article_authors SET listed_at = (
    SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
    FROM articles a WHERE a.id = article_authors.article_id);
UPDATE article_tags SET listed_at = (
    SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
    FROM articles a WHERE a.id = article_tags.article_id);

CREATE INDEX article_authors_listed ON article_authors (author_id, listed_at DESC, article_id DESC);
CREATE INDEX article_tags_listed ON article_tags (tag_id, listed_at DESC, article_id DESC);

-- SQLite's BEFORE triggers cannot change NEW, so a new row is completed right after it lands.
CREATE TRIGGER article_authors_listed_on_insert AFTER INSERT ON article_authors
BEGIN
    UPDATE article_authors SET listed_at = (
        SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
        FROM articles a WHERE a.id = NEW.article_id)
    WHERE article_id = NEW.article_id AND author_id = NEW.author_id;
END;

CREATE TRIGGER article_tags_listed_on_insert AFTER INSERT ON article_tags
BEGIN
    UPDATE article_tags SET listed_at = (
        SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END
        FROM articles a WHERE a.id = NEW.article_id)
    WHERE article_id = NEW.article_id AND tag_id = NEW.tag_id;
END;

CREATE TRIGGER articles_relisted AFTER UPDATE OF status, first_published_at ON articles
WHEN OLD.status IS NOT NEW.status OR OLD.first_published_at IS NOT NEW.first_published_at
BEGIN
    UPDATE article_authors
    SET listed_at = CASE WHEN NEW.status = 'published' THEN NEW.first_published_at END
    WHERE article_id = NEW.id;
    UPDATE article_tags
    SET listed_at = CASE WHEN NEW.status = 'published' THEN NEW.first_published_at END
    WHERE article_id = NEW.id;
END;

-- The sitemap index counts each month's articles and finds its newest update: one range of
-- this index a month, no article row read.
CREATE INDEX articles_by_month ON articles (status, first_published_at, updated_at);
