DROP TABLE reminder_requests;
DROP TABLE mail_bodies;
-- Rows that depend on a shared body cannot be sent by the older version.
DELETE FROM outbox WHERE body_id IS NOT NULL;
UPDATE outbox SET status = 'failed' WHERE status = 'cancelled';
ALTER TABLE outbox DROP COLUMN vars;
ALTER TABLE outbox DROP COLUMN body_id;
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed'));
