DROP INDEX checkins_abnormal_people;
CREATE INDEX checkins_abnormal ON checkins (org_id, day) WHERE abnormal;
ALTER TABLE checkins ADD CONSTRAINT checkins_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id);
ALTER TABLE checkins ADD CONSTRAINT checkins_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE checkins ADD CONSTRAINT checkins_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments (id);
ALTER TABLE checkins ADD CONSTRAINT checkins_submitted_by_fkey FOREIGN KEY (submitted_by) REFERENCES users (id);
