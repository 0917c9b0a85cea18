-- Failed logins and reset requests counted per key (a hashed address, client or both) in fixed
-- windows, here so that every instance sharing the database enforces the same limits.
CREATE TABLE attempt_windows (
    rule TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (rule, key)
);
CREATE INDEX attempt_windows_start ON attempt_windows (window_start);
