-- Check-ins of people who were not expected that day (a rest day, a holiday, leave), so that
-- a day's numbers account for every check-in: abnormal <= reported + reported_unexpected.
ALTER TABLE day_stats ADD COLUMN reported_unexpected INTEGER NOT NULL DEFAULT 0;

INSERT INTO day_stats (org_id, day, department_id)
SELECT DISTINCT c.org_id, c.day, COALESCE(c.department_id, '')
FROM checkins c
WHERE NOT c.expected
  AND NOT EXISTS (
    SELECT 1 FROM day_stats s
    WHERE s.org_id = c.org_id AND s.day = c.day AND s.department_id = COALESCE(c.department_id, '')
  );

UPDATE day_stats SET reported_unexpected = (
    SELECT COUNT(*) FROM checkins c
    WHERE c.org_id = day_stats.org_id
      AND c.day = day_stats.day
      AND COALESCE(c.department_id, '') = day_stats.department_id
      AND NOT c.expected
);
