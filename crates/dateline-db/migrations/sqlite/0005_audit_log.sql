-- Who did what in the newsroom, and when: publishing, unpublishing, corrections, role and user
-- changes. Rows are only ever appended. The actor is kept as a name too, so the log still reads
-- right after an account is renamed; an API token acts as the staff member who created it.

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_by_subject ON audit_log (subject_kind, subject_id, id);
