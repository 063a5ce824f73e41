-- Newsroom sign-in: server-side sessions, failed-login tracking, one-time set-password links
-- and Admin API tokens. Every secret is stored only as the SHA-256 hex digest of a random
-- 256-bit token: a copy of the database lets no one sign in. Tables only (expand-only), so
-- nodes on the previous release keep working during a rolling deploy.

CREATE TABLE staff_sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    -- The synchronizer token every form of this session carries. Not a credential on its own.
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);

-- Consecutive failed sign-ins per account, in the database so every node counts them.
CREATE TABLE staff_login_failures (
    staff_id INTEGER PRIMARY KEY REFERENCES staff(id) ON DELETE CASCADE,
    failures INTEGER NOT NULL,
    last_failed_at INTEGER NOT NULL,
    locked_until INTEGER
);

CREATE TABLE staff_password_links (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    created_by INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX staff_password_links_by_staff ON staff_password_links (staff_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('contributor', 'author', 'editor', 'admin')),
    secret_hash TEXT NOT NULL UNIQUE,
    -- A token acts as the staff member who created it, never above that person's current role.
    created_by INTEGER NOT NULL REFERENCES staff(id),
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
