ALTER TABLE outbox ADD CONSTRAINT outbox_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id);
ALTER TABLE outbox ADD CONSTRAINT outbox_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
