DROP TABLE case_events;
DROP TABLE case_checkins;
DROP TABLE cases;
