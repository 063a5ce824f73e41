-- Newsroom sign-in: server-side sessions, failed-login tracking, one-time set-password links
-- and Admin API tokens. Every secret is stored only as the SHA-256 hex digest of a random
-- 256-bit token: a copy of the database lets no one sign in. Tables only (expand-only), so
-- nodes on the previous release keep working during a rolling deploy.

CREATE TABLE staff_sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id BIGINT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    -- The synchronizer token every form of this session carries. Not a credential on its own.
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);

-- Consecutive failed sign-ins per account, in the database so every node counts them.
CREATE TABLE staff_login_failures (
    staff_id BIGINT PRIMARY KEY REFERENCES staff(id) ON DELETE CASCADE,
    failures BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL,
    locked_until BIGINT
);

CREATE TABLE staff_password_links (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id BIGINT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX staff_password_links_by_staff ON staff_password_links (staff_id);

CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('contributor', 'author', 'editor', 'admin')),
    secret_hash TEXT NOT NULL UNIQUE,
    -- A token acts as the staff member who created it, never above that person's current role.
    created_by BIGINT NOT NULL REFERENCES staff(id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
