-- Planning a reminder pass writes 100,000 outbox rows in one statement, and PostgreSQL
-- checked both foreign keys of every row with a query of its own (locking each person's
-- row on the way): more than a third of the time. The rows are written from the people and
-- the organization read in the same statement or transaction, and neither people nor
-- organizations are ever deleted, so the checks never found anything.
ALTER TABLE outbox DROP CONSTRAINT outbox_org_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_user_id_fkey;
