-- The audit log records changes beside reads: what a change was made to (`target_kind`
-- person, department or organization; `target_id`; `target_name` as it was then) and the
-- fields it changed, each with its value before and after (`changes`, JSON text; NULL for a
-- read). A change made from the command line or by an anonymous request (a reset link asked
-- for) has no actor, so `user_id` may be NULL.
ALTER TABLE audit_log ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE audit_log
    ADD COLUMN target_kind TEXT,
    ADD COLUMN target_id TEXT,
    ADD COLUMN target_name TEXT,
    ADD COLUMN changes TEXT;
CREATE INDEX audit_log_target ON audit_log (target_id, created_at);
