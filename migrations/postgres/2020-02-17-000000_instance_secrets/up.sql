-- Secrets every instance on this database must share, such as the key that signs sessions
-- when JWT_SECRET is not set: the first instance to start writes it, the others read it.
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
