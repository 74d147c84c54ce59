-- Foundation: regions, schools, users, sessions, the audit log and settings.
-- Placeholders: {{pk}} auto-increment key, {{datetime}} microsecond time,
-- {{opts}} table options. The runner tolerates "already exists" and duplicate
-- key errors, so a step interrupted half way can simply run again.

CREATE TABLE IF NOT EXISTS settings (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) {{opts}};

CREATE TABLE IF NOT EXISTS regions (
  code VARCHAR(6) NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  parent_code VARCHAR(6) NULL,
  contiguous_hardship_area BOOLEAN NOT NULL DEFAULT FALSE,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT fk_regions_parent FOREIGN KEY (parent_code) REFERENCES regions(code)
) {{opts}};

CREATE TABLE IF NOT EXISTS schools (
  id {{pk}},
  code VARCHAR(10) NOT NULL,
  name VARCHAR(100) NOT NULL,
  region_code VARCHAR(6) NOT NULL,
  type VARCHAR(24) NOT NULL,
  created_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_schools_code UNIQUE (code),
  CONSTRAINT fk_schools_region FOREIGN KEY (region_code) REFERENCES regions(code)
) {{opts}};

CREATE INDEX idx_schools_region ON schools (region_code);

CREATE TABLE IF NOT EXISTS users (
  id {{pk}},
  username VARCHAR(64) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  role VARCHAR(24) NOT NULL,
  region_code VARCHAR(6) NULL,
  school_id BIGINT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  failed_logins INT NOT NULL DEFAULT 0,
  locked_until {{datetime}} NULL,
  password_changed_at {{datetime}} NOT NULL,
  created_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_users_username UNIQUE (username),
  CONSTRAINT fk_users_region FOREIGN KEY (region_code) REFERENCES regions(code),
  CONSTRAINT fk_users_school FOREIGN KEY (school_id) REFERENCES schools(id)
) {{opts}};

CREATE TABLE IF NOT EXISTS sessions (
  id {{pk}},
  token_hash CHAR(64) NOT NULL,
  user_id BIGINT NOT NULL,
  client_ip VARCHAR(64) NOT NULL DEFAULT '',
  created_at {{datetime}} NOT NULL,
  expires_at {{datetime}} NOT NULL,
  revoked_at {{datetime}} NULL,
  CONSTRAINT uk_sessions_token UNIQUE (token_hash),
  CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users(id)
) {{opts}};

-- audit_head holds the chain's last link; updating it first serialises appends
-- on every engine, so two writers can never fork the chain.
CREATE TABLE IF NOT EXISTS audit_head (
  id INT NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL,
  last_hash CHAR(64) NOT NULL
) {{opts}};

INSERT INTO audit_head (id, seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE IF NOT EXISTS audit_entries (
  id BIGINT NOT NULL PRIMARY KEY,
  at {{datetime}} NOT NULL,
  actor_id BIGINT NULL,
  actor_name VARCHAR(64) NOT NULL,
  role VARCHAR(24) NOT NULL,
  action VARCHAR(48) NOT NULL,
  entity VARCHAR(48) NOT NULL,
  entity_id VARCHAR(64) NOT NULL,
  before_json MEDIUMTEXT NOT NULL,
  after_json MEDIUMTEXT NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  client_ip VARCHAR(64) NOT NULL,
  prev_hash CHAR(64) NOT NULL,
  hash CHAR(64) NOT NULL
) {{opts}};

CREATE INDEX idx_audit_entity ON audit_entries (entity, entity_id);
CREATE INDEX idx_audit_actor ON audit_entries (actor_name, id);
CREATE INDEX idx_audit_at ON audit_entries (at);
