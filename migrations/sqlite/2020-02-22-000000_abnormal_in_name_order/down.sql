DROP INDEX users_org_erased;
DROP INDEX checkins_abnormal_by_person;
