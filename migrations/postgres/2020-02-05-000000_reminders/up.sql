-- Reminders: a `cancelled` status (the person reported before the mail went out), a body
-- shared by every mail of one pass (`body_id` + per-person `vars`), and the last on-demand
-- pass per scope, kept here so that the limit holds across instances.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled'));
ALTER TABLE outbox ADD COLUMN body_id TEXT;
ALTER TABLE outbox ADD COLUMN vars TEXT;

CREATE TABLE mail_bodies (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE reminder_requests (
    scope_key TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    last_at TIMESTAMP NOT NULL
);
