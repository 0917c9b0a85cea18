-- A large organization's abnormal list, read a page at a time: everyone who is in lists, in
-- order of names, each looked up among the abnormal check-ins alone (2 % of them), so that a
-- person without one is settled without reading their check-in.
CREATE INDEX users_org_name_listed ON users (org_id, name, id) WHERE erased_at IS NULL;
CREATE INDEX checkins_abnormal_by_person ON checkins (user_id, day) WHERE abnormal;
-- Erased people, whose check-ins count in the day's numbers though they are in no list.
CREATE INDEX users_org_erased ON users (org_id) WHERE erased_at IS NOT NULL;
