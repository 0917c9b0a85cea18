DROP TABLE checkin_revisions;
DROP TABLE checkins;
DROP TABLE users;
DROP TABLE departments;
DROP TABLE organizations;
