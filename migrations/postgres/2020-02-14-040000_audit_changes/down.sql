-- Entries without an actor cannot go back into the older table.
DROP INDEX audit_log_target;
DELETE FROM audit_log WHERE user_id IS NULL;
ALTER TABLE audit_log
    DROP COLUMN changes,
    DROP COLUMN target_name,
    DROP COLUMN target_id,
    DROP COLUMN target_kind;
ALTER TABLE audit_log ALTER COLUMN user_id SET NOT NULL;
