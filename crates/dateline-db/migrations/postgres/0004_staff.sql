-- Newsroom staff accounts. Later newsroom migrations (sessions, revisions, audit log) refer to
-- staff(id). Emails are stored lower-cased so the UNIQUE constraint is case-insensitive.

CREATE TABLE staff (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('contributor', 'author', 'editor', 'admin')),
    -- argon2id PHC string; NULL until the person sets a password through a one-time link.
    password_hash TEXT,
    author_id BIGINT REFERENCES authors(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
