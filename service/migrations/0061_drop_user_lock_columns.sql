-- users.failed_logins and users.locked_until were never read: login
-- throttling counts in login_throttle per account, address and pair
-- (service/login_throttle.go), shared by every instance.
ALTER TABLE users DROP COLUMN failed_logins;

ALTER TABLE users DROP COLUMN locked_until;
