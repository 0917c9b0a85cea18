-- Entries without an actor cannot go back into the older table.
CREATE TABLE audit_log_before (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    scope TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
INSERT INTO audit_log_before (id, org_id, user_id, action, scope, detail, created_at)
    SELECT id, org_id, user_id, action, scope, detail, created_at FROM audit_log
    WHERE user_id IS NOT NULL;
DROP INDEX audit_log_target;
DROP INDEX audit_log_org_created;
DROP TABLE audit_log;
ALTER TABLE audit_log_before RENAME TO audit_log;
CREATE INDEX audit_log_org_created ON audit_log (org_id, created_at);
