-- Sessions ended by logging out: a token's id (`jti`) is refused until the token would have
-- expired anyway, then the row is purged.
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
