-- The editorial workflow: scheduled publication (the embargo), revisions of every save, and the
-- corrections, clarifications and updates readers see. Expand-only: old nodes ignore all of it.

-- When a scheduled article goes out; NULL unless its status is 'scheduled'.
ALTER TABLE articles ADD COLUMN scheduled_for BIGINT;
CREATE INDEX articles_due ON articles (scheduled_for) WHERE status = 'scheduled';

-- What an article looked like after each save: every editable field as JSON (an
-- ArticleSnapshot), who saved it (the name as it was then) and when. Numbered per article.
CREATE TABLE article_revisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    article_version BIGINT NOT NULL,
    saved_at BIGINT NOT NULL,
    saved_by_staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    saved_by_name TEXT NOT NULL,
    -- The revision number this one brought back, when it was a restore.
    restored_from BIGINT,
    snapshot TEXT NOT NULL,
    UNIQUE (article_id, number)
);

CREATE TABLE article_notes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('correction', 'clarification', 'update')),
    body TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    written_by_staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    written_by_name TEXT NOT NULL
);
CREATE INDEX article_notes_by_article ON article_notes (article_id, published_at DESC, id DESC);
CREATE INDEX article_notes_by_kind ON article_notes (kind, published_at DESC, id DESC);
