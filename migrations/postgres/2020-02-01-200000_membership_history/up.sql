-- Where each person was, and whether they were active, from a moment on: past days are
-- counted as they were, even after people move or leave.
CREATE TABLE membership_history (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    department_id TEXT REFERENCES departments (id),
    active BOOLEAN NOT NULL,
    valid_from TIMESTAMP NOT NULL
);
CREATE INDEX membership_history_org ON membership_history (org_id, valid_from);
CREATE INDEX membership_history_user ON membership_history (user_id, valid_from);
