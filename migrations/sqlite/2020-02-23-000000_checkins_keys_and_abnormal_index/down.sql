DROP INDEX checkins_abnormal_people;
CREATE INDEX checkins_abnormal ON checkins (org_id, day) WHERE abnormal;
