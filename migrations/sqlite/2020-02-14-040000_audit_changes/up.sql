-- The audit log records changes beside reads: what a change was made to (`target_kind`
-- person, department or organization; `target_id`; `target_name` as it was then) and the
-- fields it changed, each with its value before and after (`changes`, JSON text; NULL for a
-- read). A change made from the command line or by an anonymous request (a reset link asked
-- for) has no actor, so `user_id` may be NULL: SQLite cannot drop a NOT NULL, so the table is
-- made again.
CREATE TABLE audit_log_next (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT REFERENCES users (id),
    action TEXT NOT NULL,
    scope TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    target_kind TEXT,
    target_id TEXT,
    target_name TEXT,
    changes TEXT
);
INSERT INTO audit_log_next (id, org_id, user_id, action, scope, detail, created_at)
    SELECT id, org_id, user_id, action, scope, detail, created_at FROM audit_log;
DROP INDEX audit_log_org_created;
DROP TABLE audit_log;
ALTER TABLE audit_log_next RENAME TO audit_log;
CREATE INDEX audit_log_org_created ON audit_log (org_id, created_at);
CREATE INDEX audit_log_target ON audit_log (target_id, created_at);
