-- The day's abnormal list reads only the abnormal check-ins (2 % of a day), not all of them.
CREATE INDEX checkins_abnormal ON checkins (org_id, day) WHERE abnormal;
