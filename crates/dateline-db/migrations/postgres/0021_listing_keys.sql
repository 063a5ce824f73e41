-- Issue 13: author and tag pages in publication order without a join and a sort. Each byline
-- and tag row carries its article's place in the lists, `listed_at`: the article's
-- first_published_at while it is published, NULL otherwise. An index per list then reads a page
-- (and counts the list) from one narrow range, as the section and front lists already do from
-- the articles' own indexes.
--
-- Triggers keep the copy true for every writer (the store, the importer, an older node during a
-- rolling deploy), so no code path can forget it.
ALTER TABLE article_authors ADD COLUMN listed_at BIGINT;
ALTER TABLE article_tags ADD COLUMN listed_at BIGINT;

UPDATE article_authors x SET listed_at = CASE WHEN a.status = 'published' THEN a.first_published_at END
FROM articles a WHERE a.id = x.article_id;
UPDATE article_tags x SET listed_at = CASE WHEN a.status = 'published' THEN a.first_published_at END
FROM articles a WHERE a.id = x.article_id;

CREATE INDEX article_authors_listed ON article_authors (author_id, listed_at DESC, article_id DESC);
CREATE INDEX article_tags_listed ON article_tags (tag_id, listed_at DESC, article_id DESC);

-- A new byline or tag row takes its article's place. When the article is not there (a restore
-- loads tables in any order, with foreign keys checked at the end), the row keeps the value it
-- came with.
CREATE FUNCTION article_link_listed_at() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    place BIGINT;
BEGIN
    SELECT CASE WHEN a.status = 'published' THEN a.first_published_at END INTO place
    FROM articles a WHERE a.id = NEW.article_id;
    IF FOUND THEN
        NEW.listed_at := place;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER article_authors_listed_on_insert BEFORE INSERT ON article_authors
FOR EACH ROW EXECUTE FUNCTION article_link_listed_at();
CREATE TRIGGER article_tags_listed_on_insert BEFORE INSERT ON article_tags
FOR EACH ROW EXECUTE FUNCTION article_link_listed_at();

CREATE FUNCTION article_relisted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    place BIGINT := CASE WHEN NEW.status = 'published' THEN NEW.first_published_at END;
BEGIN
    UPDATE article_authors SET listed_at = place WHERE article_id = NEW.id;
    UPDATE article_tags SET listed_at = place WHERE article_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER articles_relisted AFTER UPDATE OF status, first_published_at ON articles
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status
      OR OLD.first_published_at IS DISTINCT FROM NEW.first_published_at)
EXECUTE FUNCTION article_relisted();

-- The sitemap index counts each month's articles and finds its newest update: one range of
-- this index a month, no article row read.
CREATE INDEX articles_by_month ON articles (status, first_published_at, updated_at);
