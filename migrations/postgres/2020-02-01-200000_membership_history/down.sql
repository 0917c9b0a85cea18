DROP TABLE membership_history;
