-- Check-ins of people who were not expected that day (a rest day, a holiday, leave), so that
-- a day's numbers account for every check-in: abnormal <= reported + reported_unexpected.
ALTER TABLE day_stats ADD COLUMN reported_unexpected INTEGER NOT NULL DEFAULT 0;

-- Closed days were counted from where people were at the end of the day, which the check-ins'
-- own flags cannot repeat: they are opened again, and the first report that needs one closes
-- it anew, exactly, with the new column.
DELETE FROM day_stats WHERE EXISTS (
    SELECT 1 FROM closed_days d WHERE d.org_id = day_stats.org_id AND d.day = day_stats.day
);
DELETE FROM closed_days;

-- Open days are counted as check-ins arrive: their flags say where each one counts.
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
