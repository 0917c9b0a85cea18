DROP TABLE reminder_requests;
DROP TABLE mail_bodies;
CREATE TABLE outbox_old (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT REFERENCES users (id),
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    to_email TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    claimed_by TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    day DATE
);
-- Rows that depend on a shared body cannot be sent by the older version.
INSERT INTO outbox_old (id, org_id, user_id, kind, dedupe_key, to_email, locale, subject,
    body_text, body_html, status, attempts, last_error, next_attempt_at, lease_until,
    claimed_by, created_at, sent_at, day)
SELECT id, org_id, user_id, kind, dedupe_key, to_email, locale, subject,
    body_text, body_html, CASE WHEN status = 'cancelled' THEN 'failed' ELSE status END,
    attempts, last_error, next_attempt_at, lease_until, claimed_by, created_at, sent_at, day
FROM outbox WHERE body_id IS NULL;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_org_day ON outbox (org_id, day);
