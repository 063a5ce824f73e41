-- Issue 12: sign-in attempts counted per account name before any password is checked, and Admin
-- API tokens that expire. Expand-only: staff_login_failures stays for nodes on the previous
-- release during a rolling deploy (and goes in a later contract step); api_tokens.expires_at is
-- nullable, because a node on the previous release creates tokens without it: the store reads a
-- missing expiry as the default lifetime from the token's creation.

-- Sign-in attempts per account name: the SHA-256 digest of the email as typed (trimmed,
-- lower-cased), staff and readers apart. Keyed by what was typed rather than by account, so an
-- address that has no account is counted exactly like one that has: the limit tells nobody
-- which accounts exist. In the database so every node counts them.
CREATE TABLE sign_in_attempts (
    side TEXT NOT NULL CHECK (side IN ('staff', 'reader')),
    account_digest TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    window_started_at BIGINT NOT NULL,
    PRIMARY KEY (side, account_digest)
);
CREATE INDEX sign_in_attempts_by_window ON sign_in_attempts (window_started_at);

ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
-- Tokens from before expiry existed get the default lifetime from today, not from their
-- creation: an integration that has run for a year keeps working while its owner makes a new
-- token, instead of failing the moment this release starts.
UPDATE api_tokens
SET expires_at = (EXTRACT(EPOCH FROM now())::BIGINT + 90 * 86400) * 1000000
WHERE expires_at IS NULL;
