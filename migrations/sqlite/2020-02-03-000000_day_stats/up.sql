-- Whether the person was expected to report when the check-in came in (not on leave, a
-- working day): reports count expected people only.
ALTER TABLE checkins ADD COLUMN expected BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX checkins_org_day_department ON checkins (org_id, day, department_id, abnormal);

-- Counts per organization, day and department ('' for people without one). Check-ins add to
-- them as they arrive; when a day is closed its row set is recomputed from the raw data and
-- later (late) check-ins keep adding to it.
CREATE TABLE day_stats (
    org_id TEXT NOT NULL REFERENCES organizations (id),
    day DATE NOT NULL,
    department_id TEXT NOT NULL,
    expected INTEGER NOT NULL DEFAULT 0,
    exempt INTEGER NOT NULL DEFAULT 0,
    reported INTEGER NOT NULL DEFAULT 0,
    abnormal INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day, department_id)
);

CREATE TABLE closed_days (
    org_id TEXT NOT NULL REFERENCES organizations (id),
    day DATE NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, day)
);

-- Active people per department now ('' for none): today's expected numbers without a scan.
CREATE TABLE headcounts (
    org_id TEXT NOT NULL REFERENCES organizations (id),
    department_id TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, department_id)
);

-- Lists of people sorted by name, page by page.
CREATE INDEX users_org_active_name ON users (org_id, active, name);
CREATE INDEX users_org_department_name ON users (org_id, department_id, name);
