ALTER TABLE day_stats DROP COLUMN reported_unexpected;
