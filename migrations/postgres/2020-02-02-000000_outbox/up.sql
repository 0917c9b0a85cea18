-- Every e-mail goes through this table: written in the same transaction as whatever caused
-- it, then claimed and sent by the delivery loop, retried with backoff on transient errors.
CREATE TABLE outbox (
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
-- The delivery loop looks for pending rows that are due and for expired leases.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_org_day ON outbox (org_id, day);
