-- PostgreSQL reads a large organization's abnormal list a page at a time by walking people in
-- name order (see its migration of the same name). SQLite reads that list by key, so it does
-- without the index of people by name, which every write of a person would pay for; the two
-- small partial indexes are kept alike on both.
CREATE INDEX checkins_abnormal_by_person ON checkins (user_id, day) WHERE abnormal;
-- Erased people, whose check-ins count in the day's numbers though they are in no list.
CREATE INDEX users_org_erased ON users (org_id) WHERE erased_at IS NOT NULL;
