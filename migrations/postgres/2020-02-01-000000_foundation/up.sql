CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE departments (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    parent_id TEXT REFERENCES departments (id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX departments_org_parent ON departments (org_id, parent_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    employee_no TEXT,
    role TEXT NOT NULL CHECK (role IN ('staff', 'manager', 'hr', 'admin')),
    department_id TEXT REFERENCES departments (id),
    password_hash TEXT,
    token_version INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    timezone TEXT,
    locale TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deactivated_at TIMESTAMP
);
CREATE UNIQUE INDEX users_org_employee_no ON users (org_id, employee_no);
CREATE INDEX users_org_department ON users (org_id, department_id);

CREATE TABLE checkins (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    day DATE NOT NULL,
    department_id TEXT REFERENCES departments (id),
    answers TEXT NOT NULL,
    temperature DOUBLE PRECISION,
    abnormal BOOLEAN NOT NULL,
    abnormal_reasons TEXT NOT NULL,
    revision INTEGER NOT NULL,
    reason TEXT,
    submitted_by TEXT NOT NULL REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, day)
);
CREATE INDEX checkins_org_day ON checkins (org_id, day);

CREATE TABLE checkin_revisions (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    checkin_id TEXT NOT NULL REFERENCES checkins (id),
    revision INTEGER NOT NULL,
    answers TEXT NOT NULL,
    abnormal BOOLEAN NOT NULL,
    abnormal_reasons TEXT NOT NULL,
    reason TEXT,
    submitted_by TEXT NOT NULL REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    replaced_by TEXT NOT NULL REFERENCES users (id),
    replaced_at TIMESTAMP NOT NULL,
    UNIQUE (checkin_id, revision)
);
