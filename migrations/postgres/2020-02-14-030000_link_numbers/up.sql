-- The number of each person's latest set-password link of each kind. A link carries its
-- number, and only the latest of its kind works: a new invitation or reset link ends the
-- one sent before it.
ALTER TABLE users ADD COLUMN invitation_link INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN reset_link INTEGER NOT NULL DEFAULT 0;
