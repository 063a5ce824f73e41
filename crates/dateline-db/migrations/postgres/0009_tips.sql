-- Tips and corrections from readers (issue 4). Everything a tipster wrote or attached is stored
-- as age ciphertext to the newsroom's recipients; rows keep the least metadata the desk needs
-- (received, kind, article, status, assignee). No address, user agent or codename is stored.

-- This installation's secret, mixed into codename hashes and form tokens (one row).
CREATE TABLE tip_install (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    secret BYTEA NOT NULL
);

-- Who tips are encrypted to: editors' public keys, with their identity wrapped by their
-- passphrase when they chose to keep a copy here, and offline recovery keys.
CREATE TABLE tip_recipients (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    label TEXT NOT NULL,
    public_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('editor', 'recovery')),
    wrapped_identity BYTEA,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE UNIQUE INDEX tip_recipients_one_key_per_editor ON tip_recipients (staff_id)
    WHERE retired_at IS NULL AND staff_id IS NOT NULL;

CREATE TABLE tips (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('tip', 'correction', 'other')),
    article_id BIGINT REFERENCES articles(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'triaged', 'in_progress', 'resolved')),
    resolution TEXT
        CHECK (resolution IN ('correction_published', 'follow_up_story', 'no_action', 'spam')),
    resolved_at BIGINT,
    assignee_staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    -- argon2id of the codename salted with the install secret; the codename itself is nowhere.
    codename_key TEXT NOT NULL UNIQUE,
    -- The public half of the X25519 identity derived from the codename: replies are encrypted
    -- to it as well as to the newsroom.
    reply_public_key TEXT NOT NULL,
    message BYTEA NOT NULL,
    contact BYTEA,
    correction_note_id BIGINT REFERENCES article_notes(id) ON DELETE SET NULL
);
CREATE INDEX tips_by_status ON tips (status, received_at);

-- Attached files: the ciphertext lives in object storage under object_key; the description (the
-- original name and media type) is ciphertext too.
CREATE TABLE tip_attachments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tip_id BIGINT NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    description BYTEA NOT NULL,
    size BIGINT NOT NULL
);
CREATE INDEX tip_attachments_by_tip ON tip_attachments (tip_id, position);

-- The conversation: the tipster's follow-ups and the newsroom's replies.
CREATE TABLE tip_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tip_id BIGINT NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    sent_at BIGINT NOT NULL,
    sender TEXT NOT NULL CHECK (sender IN ('source', 'newsroom')),
    staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    body BYTEA NOT NULL
);
CREATE INDEX tip_messages_by_tip ON tip_messages (tip_id, id);

-- The desk's internal notes, encrypted to the newsroom only.
CREATE TABLE tip_notes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tip_id BIGINT NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    written_at BIGINT NOT NULL,
    staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    staff_name TEXT NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX tip_notes_by_tip ON tip_notes (tip_id, id);

-- Every status change, assignment, view and download of a tip; purged with it.
CREATE TABLE tip_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tip_id BIGINT NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    staff_id BIGINT REFERENCES staff(id) ON DELETE SET NULL,
    actor_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX tip_events_by_tip ON tip_events (tip_id, id);
