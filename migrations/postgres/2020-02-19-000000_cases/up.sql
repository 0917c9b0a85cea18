-- A case follows a person who reported abnormal until it is cleared: opened by their first
-- abnormal check-in, joined by the next ones while it is not cleared.
CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- open, contacted or cleared
    status TEXT NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    assignee_id TEXT
);
CREATE INDEX cases_org_status ON cases (org_id, status, opened_at);
-- One case at a time per person that is not cleared: a race between two abnormal check-ins
-- of the same person ends with one case.
CREATE UNIQUE INDEX cases_one_active ON cases (user_id) WHERE status <> 'cleared';

CREATE TABLE case_checkins (
    case_id TEXT NOT NULL,
    checkin_id TEXT NOT NULL,
    PRIMARY KEY (case_id, checkin_id)
);
CREATE INDEX case_checkins_checkin ON case_checkins (checkin_id);

-- The timeline: opened, a check-in joined, a status, an assignee, a note.
CREATE TABLE case_events (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT,
    kind TEXT NOT NULL,
    status TEXT,
    note TEXT,
    assignee_id TEXT,
    checkin_id TEXT
);
CREATE INDEX case_events_case ON case_events (case_id, at);
