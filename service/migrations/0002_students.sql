-- Students' electronic files (电子档案): the person, their enrolment and
-- difficulty record per school year, the history of every change, and the
-- roster imports that fed them. ID, account and phone numbers are sealed
-- (AES-GCM) with a keyed hash for lookups and uniqueness (hard rule 4).

CREATE TABLE IF NOT EXISTS students (
  id {{pk}},
  id_type VARCHAR(24) NOT NULL,
  id_hash CHAR(64) NOT NULL,
  id_enc VARCHAR(255) NOT NULL,
  id_masked VARCHAR(40) NOT NULL,
  name VARCHAR(64) NOT NULL,
  sex VARCHAR(4) NOT NULL DEFAULT '',
  birth_date DATE NULL,
  household VARCHAR(8) NOT NULL DEFAULT '',
  home_region VARCHAR(6) NOT NULL DEFAULT '',
  guardian VARCHAR(64) NOT NULL DEFAULT '',
  bank_name VARCHAR(100) NOT NULL DEFAULT '',
  account_enc VARCHAR(255) NOT NULL DEFAULT '',
  account_hash CHAR(64) NOT NULL DEFAULT '',
  account_masked VARCHAR(40) NOT NULL DEFAULT '',
  holder VARCHAR(8) NOT NULL DEFAULT '',
  phone_enc VARCHAR(255) NOT NULL DEFAULT '',
  phone_hash CHAR(64) NOT NULL DEFAULT '',
  phone_masked VARCHAR(20) NOT NULL DEFAULT '',
  created_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_students_id UNIQUE (id_hash)
) {{opts}};

CREATE INDEX idx_students_name ON students (name);
CREATE INDEX idx_students_account ON students (account_hash);

CREATE TABLE IF NOT EXISTS enrolments (
  id {{pk}},
  student_id BIGINT NOT NULL,
  school_year VARCHAR(9) NOT NULL,
  school_id BIGINT NOT NULL,
  stage VARCHAR(12) NOT NULL,
  grade INT NOT NULL,
  class VARCHAR(64) NOT NULL DEFAULT '',
  student_no VARCHAR(32) NOT NULL DEFAULT '',
  major VARCHAR(64) NOT NULL DEFAULT '',
  agri_major BOOLEAN NOT NULL DEFAULT FALSE,
  boarding BOOLEAN NULL,
  status VARCHAR(8) NOT NULL,
  remark VARCHAR(500) NOT NULL DEFAULT '',
  roster_id BIGINT NULL,
  created_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_enrolments UNIQUE (student_id, school_year, school_id),
  CONSTRAINT fk_enrolments_student FOREIGN KEY (student_id) REFERENCES students(id),
  CONSTRAINT fk_enrolments_school FOREIGN KEY (school_id) REFERENCES schools(id)
) {{opts}};

CREATE INDEX idx_enrolments_school_year ON enrolments (school_id, school_year, student_id);

CREATE TABLE IF NOT EXISTS difficulty_records (
  id {{pk}},
  student_id BIGINT NOT NULL,
  school_year VARCHAR(9) NOT NULL,
  level VARCHAR(8) NOT NULL DEFAULT '',
  categories VARCHAR(255) NOT NULL DEFAULT '',
  school_id BIGINT NOT NULL,
  identified_by BIGINT NULL,
  identified_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_difficulty UNIQUE (student_id, school_year),
  CONSTRAINT fk_difficulty_student FOREIGN KEY (student_id) REFERENCES students(id),
  CONSTRAINT fk_difficulty_school FOREIGN KEY (school_id) REFERENCES schools(id)
) {{opts}};

CREATE TABLE IF NOT EXISTS student_changes (
  id {{pk}},
  student_id BIGINT NOT NULL,
  at {{datetime}} NOT NULL,
  actor_name VARCHAR(64) NOT NULL,
  source VARCHAR(64) NOT NULL,
  school_year VARCHAR(9) NOT NULL DEFAULT '',
  field VARCHAR(32) NOT NULL,
  old_value VARCHAR(255) NOT NULL,
  new_value VARCHAR(255) NOT NULL,
  CONSTRAINT fk_changes_student FOREIGN KEY (student_id) REFERENCES students(id)
) {{opts}};

CREATE INDEX idx_changes_student ON student_changes (student_id, id);

CREATE TABLE IF NOT EXISTS roster_imports (
  id {{pk}},
  school_year VARCHAR(9) NOT NULL,
  school_id BIGINT NULL,
  region_code VARCHAR(6) NOT NULL,
  uploader_id BIGINT NOT NULL,
  uploader_name VARCHAR(64) NOT NULL,
  filename VARCHAR(255) NOT NULL,
  file_sha256 CHAR(64) NOT NULL,
  mode VARCHAR(16) NOT NULL,
  dry_run BOOLEAN NOT NULL,
  status VARCHAR(16) NOT NULL,
  progress INT NOT NULL DEFAULT 0,
  total_rows INT NOT NULL DEFAULT 0,
  created_count INT NOT NULL DEFAULT 0,
  updated_count INT NOT NULL DEFAULT 0,
  unchanged_count INT NOT NULL DEFAULT 0,
  rejected_count INT NOT NULL DEFAULT 0,
  message VARCHAR(500) NOT NULL DEFAULT '',
  errors_json MEDIUMTEXT NOT NULL,
  errors_xlsx LONGBLOB NULL,
  created_at {{datetime}} NOT NULL,
  heartbeat_at {{datetime}} NULL,
  finished_at {{datetime}} NULL,
  CONSTRAINT fk_imports_school FOREIGN KEY (school_id) REFERENCES schools(id),
  CONSTRAINT fk_imports_uploader FOREIGN KEY (uploader_id) REFERENCES users(id)
) {{opts}};

CREATE INDEX idx_imports_status ON roster_imports (status);
