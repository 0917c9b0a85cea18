ALTER TABLE checkin_revisions DROP COLUMN form_version;
ALTER TABLE checkins DROP COLUMN form_version;
DROP TABLE forms;
