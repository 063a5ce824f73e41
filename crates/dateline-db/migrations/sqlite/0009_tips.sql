-- Tips and corrections from readers (issue 4). Everything a tipster wrote or attached is stored
-- as age ciphertext to the newsroom's recipients; rows keep the least metadata the desk needs
-- (received, kind, article, status, assignee). No address, user agent or codename is stored.

-- This installation's secret, mixed into codename hashes and form tokens (one row).
CREATE TABLE tip_install (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB NOT NULL
);

-- Who tips are encrypted to: editors' public keys, with their identity wrapped by their
-- passphrase when they chose to keep a copy here, and offline recovery keys.
CREATE TABLE tip_recipients (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    label TEXT NOT NULL,
    public_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('editor', 'recovery')),
    wrapped_identity BLOB,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);
CREATE UNIQUE INDEX tip_recipients_one_key_per_editor ON tip_recipients (staff_id)
    WHERE retired_at IS NULL AND staff_id IS NOT NULL;

CREATE TABLE tips (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('tip', 'correction', 'other')),
    article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'triaged', 'in_progress', 'resolved')),
    resolution TEXT
        CHECK (resolution IN ('correction_published', 'follow_up_story', 'no_action', 'spam')),
    resolved_at INTEGER,
    assignee_staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    -- argon2id of the codename salted with the install secret; the codename itself is nowhere.
    codename_key TEXT NOT NULL UNIQUE,
    -- The public half of the X25519 identity derived from the codename: replies are encrypted
    -- to it as well as to the newsroom.
    reply_public_key TEXT NOT NULL,
    message BLOB NOT NULL,
    contact BLOB,
    correction_note_id INTEGER REFERENCES article_notes(id) ON DELETE SET NULL
);
CREATE INDEX tips_by_status ON tips (status, received_at);

-- Attached files: the ciphertext lives in object storage under object_key; the description (the
-- original name and media type) is ciphertext too.
CREATE TABLE tip_attachments (
    id INTEGER PRIMARY KEY,
    tip_id INTEGER NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    description BLOB NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX tip_attachments_by_tip ON tip_attachments (tip_id, position);

-- The conversation: the tipster's follow-ups and the newsroom's replies.
CREATE TABLE tip_messages (
    id INTEGER PRIMARY KEY,
    tip_id INTEGER NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    sent_at INTEGER NOT NULL,
    sender TEXT NOT NULL CHECK (sender IN ('source', 'newsroom')),
    staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    body BLOB NOT NULL
);
CREATE INDEX tip_messages_by_tip ON tip_messages (tip_id, id);

-- The desk's internal notes, encrypted to the newsroom only.
CREATE TABLE tip_notes (
    id INTEGER PRIMARY KEY,
    tip_id INTEGER NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    written_at INTEGER NOT NULL,
    staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    staff_name TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX tip_notes_by_tip ON tip_notes (tip_id, id);

-- Every status change, assignment, view and download of a tip; purged with it.
CREATE TABLE tip_events (
    id INTEGER PRIMARY KEY,
    tip_id INTEGER NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    actor_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX tip_events_by_tip ON tip_events (tip_id, id);
