-- Proofs of work already used to pass the per-address tip limit (issue 12): a SHA-256 of the
-- form token each proof was found for, kept until that token expires, so a proof passes once
-- whichever node it reaches. Holds nothing about the tipster.
CREATE TABLE tip_spent_proofs (
    proof_key BLOB PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE INDEX tip_spent_proofs_by_expiry ON tip_spent_proofs (expires_at);
