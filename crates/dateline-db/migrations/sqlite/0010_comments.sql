-- Reader comments (issue 5): reader accounts apart from staff, their sessions and one-time links,
-- comments with their moderation state, reports, and the moderation settings. New tables only
-- (expand-only): nodes on the previous release never look at them.

-- Commenters. A deleted account keeps its row (its comments stay as tombstones) with the email
-- and name replaced, so the address can sign up again and nothing personal is left.
CREATE TABLE readers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- argon2id PHC string; NULL once the account is deleted.
    password_hash TEXT,
    verified_at INTEGER,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'banned')),
    suspended_until INTEGER,
    always_premoderate INTEGER NOT NULL DEFAULT 0,
    -- Comments of theirs a moderator (or the rules) approved: new commenters are pre-moderated
    -- until this reaches the site's threshold.
    approved_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);

-- As staff_sessions: only the SHA-256 digest of the cookie's token is stored.
CREATE TABLE reader_sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX reader_sessions_by_reader ON reader_sessions (reader_id);

-- Email verification and magic sign-in links, single use, digest only.
CREATE TABLE reader_links (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'sign_in')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX reader_links_by_reader ON reader_links (reader_id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    -- Replies keep their parent even when it is deleted: it stays as a tombstone.
    parent_id INTEGER REFERENCES comments(id),
    -- The top-level comment of the thread (its own id for a top-level one), and how deep.
    root_id INTEGER,
    depth INTEGER NOT NULL DEFAULT 0,
    -- Exactly one of the two: a reader, or a staff member replying as the newsroom.
    reader_id INTEGER REFERENCES readers(id),
    staff_id INTEGER REFERENCES staff(id),
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'deleted')),
    featured INTEGER NOT NULL DEFAULT 0,
    queue_reason TEXT,
    reject_reason TEXT,
    report_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    edited_at INTEGER,
    moderated_at INTEGER,
    moderated_by_staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL
);
CREATE INDEX comments_by_article ON comments (article_id, status, created_at, id);
CREATE INDEX comments_by_root ON comments (root_id, created_at, id);
CREATE INDEX comments_by_status ON comments (status, id);
CREATE INDEX comments_by_reader ON comments (reader_id, created_at);

CREATE TABLE comment_reports (
    id INTEGER PRIMARY KEY,
    comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('abuse', 'spam', 'off_topic', 'misinformation', 'other')),
    detail TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    resolved_at INTEGER,
    -- One report per reader per comment: reporting twice does not count twice.
    UNIQUE (comment_id, reader_id)
);
CREATE INDEX comment_reports_open ON comment_reports (comment_id) WHERE resolved_at IS NULL;

-- The site's moderation settings, one row. Word lists are one entry per line.
CREATE TABLE comment_settings (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    mode TEXT NOT NULL CHECK (mode IN ('pre', 'post')),
    premoderate_first INTEGER NOT NULL,
    banned_words TEXT NOT NULL,
    suspect_words TEXT NOT NULL,
    premoderate_links INTEGER NOT NULL,
    auto_close_days INTEGER
);
INSERT INTO comment_settings
    (only_row, mode, premoderate_first, banned_words, suspect_words, premoderate_links, auto_close_days)
    VALUES (1, 'post', 1, '', '', 1, NULL);

-- An article's own discussion rules: a mode overriding the site's, and whether an editor
-- reopened it by hand (then the automatic closing leaves it alone).
CREATE TABLE article_discussions (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    mode TEXT CHECK (mode IN ('pre', 'post')),
    keep_open INTEGER NOT NULL DEFAULT 0
);
