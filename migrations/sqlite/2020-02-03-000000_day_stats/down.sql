DROP INDEX users_org_active_department;
DROP TABLE closed_days;
DROP TABLE day_stats;
DROP INDEX checkins_org_day_department;
ALTER TABLE checkins DROP COLUMN expected;
