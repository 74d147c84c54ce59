-- Login throttling (issue 15): one row per account (a keyed hash of the
-- typed username, so unknown names are throttled exactly like real ones),
-- per client address and per (account, address). Each failure updates a row
-- in one statement, so parallel guesses on any instance all count.
CREATE TABLE IF NOT EXISTS login_throttle (
  k VARCHAR(160) NOT NULL PRIMARY KEY,
  failures INT NOT NULL DEFAULT 0,
  locked_until {{datetime}} NULL,
  updated_at {{datetime}} NOT NULL
) {{opts}};

-- A password someone else chose (the first start's one-time password, one an
-- admin set or reset) must be changed at the next login.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
