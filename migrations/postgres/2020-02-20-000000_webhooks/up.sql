-- Chat robots and other receivers of the organization's events. Deliveries go through the
-- outbox (kind `webhook`, `to_email` holding the webhook's id), with its retries.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL,
    url TEXT NOT NULL,
    -- generic, dingtalk, wecom, feishu or slack
    format TEXT NOT NULL,
    -- a JSON list of the events it receives
    events TEXT NOT NULL,
    secret TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT
);
CREATE INDEX webhooks_org ON webhooks (org_id);
-- A webhook's latest delivery, for its page.
CREATE INDEX outbox_webhook ON outbox (to_email, created_at) WHERE kind = 'webhook';
