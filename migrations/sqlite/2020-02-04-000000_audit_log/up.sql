-- Who read individual-level data (lists of people, exports), what, in which part of the
-- organization and when. `detail` is JSON text with the request's parameters.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    scope TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_org_created ON audit_log (org_id, created_at);
