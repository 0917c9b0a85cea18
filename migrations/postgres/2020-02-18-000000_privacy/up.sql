-- When a check-in's answers were purged under the organization's retention: the row stays,
-- so the day's numbers and who reported stay, with no answers.
ALTER TABLE checkins ADD COLUMN purged_at TIMESTAMP;
-- When a deactivated person was erased: name, e-mail and employee number are a pseudonym
-- from then on, and the person is left out of every list and export.
ALTER TABLE users ADD COLUMN erased_at TIMESTAMP;
-- The retention purge reads only what it has not purged yet, whatever the years behind it.
CREATE INDEX checkins_unpurged ON checkins (org_id, day) WHERE purged_at IS NULL;
CREATE INDEX outbox_unpurged ON outbox (org_id, created_at)
    WHERE body_id IS NOT NULL OR vars IS NOT NULL OR body_text <> '' OR body_html <> '';
