-- The outbox without foreign keys, as on PostgreSQL (see its migration of the same name):
-- planning a reminder pass checked both for each of 100,000 rows. The rows are written from
-- the people and the organization read in the same statement or transaction, and neither
-- people nor organizations are ever deleted. SQLite cannot drop a constraint in place: the
-- table is rebuilt.
CREATE TABLE outbox_new (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    to_email TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    claimed_by TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    day DATE,
    body_id TEXT,
    vars TEXT
);
INSERT INTO outbox_new (id, org_id, user_id, kind, dedupe_key, to_email, locale, subject,
    body_text, body_html, status, attempts, last_error, next_attempt_at, lease_until,
    claimed_by, created_at, sent_at, day, body_id, vars)
SELECT id, org_id, user_id, kind, dedupe_key, to_email, locale, subject,
    body_text, body_html, status, attempts, last_error, next_attempt_at, lease_until,
    claimed_by, created_at, sent_at, day, body_id, vars
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_org_day ON outbox (org_id, day);
