-- Departments are archived rather than deleted, so check-ins keep pointing at them.
ALTER TABLE departments ADD COLUMN archived_at TIMESTAMP;

CREATE TABLE department_managers (
    org_id TEXT NOT NULL REFERENCES organizations (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (department_id, user_id)
);
CREATE INDEX department_managers_user ON department_managers (user_id);

CREATE TABLE leaves (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    kind TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX leaves_user ON leaves (user_id, start_date);
CREATE INDEX leaves_org_dates ON leaves (org_id, start_date, end_date);
