-- Today's lists read the day's check-ins by their indexes alone (who was abnormal, who
-- reported) only where a vacuum has marked the table's pages all-visible; elsewhere every
-- row is looked up in the table too. Autovacuum comes after inserts of a fifth of the table
-- by default: six days' worth in a month-long table, so a day's check-ins were never marked
-- on their day. At a million people, page 2 of the abnormal list read 18,000 table pages for
-- that (130 ms; about 50 ms once marked). Here it comes after every 20,000 new check-ins, at most
-- once a minute (autovacuum's nap), and reads only the pages not yet marked.
ALTER TABLE checkins SET (
  autovacuum_vacuum_insert_threshold = 20000,
  autovacuum_vacuum_insert_scale_factor = 0
);
