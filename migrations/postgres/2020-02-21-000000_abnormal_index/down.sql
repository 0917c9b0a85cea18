DROP INDEX checkins_abnormal;
