DROP INDEX outbox_unpurged;
DROP INDEX checkins_unpurged;
ALTER TABLE users DROP COLUMN erased_at;
ALTER TABLE checkins DROP COLUMN purged_at;
