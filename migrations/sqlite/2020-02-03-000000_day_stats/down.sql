DROP INDEX users_org_department_name;
DROP INDEX users_org_active_name;
DROP TABLE headcounts;
DROP TABLE closed_days;
DROP TABLE day_stats;
DROP INDEX checkins_org_day_department;
ALTER TABLE checkins DROP COLUMN expected;
