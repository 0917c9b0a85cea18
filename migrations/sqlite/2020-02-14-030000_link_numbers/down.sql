ALTER TABLE users DROP COLUMN reset_link;
ALTER TABLE users DROP COLUMN invitation_link;
