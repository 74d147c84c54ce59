-- Disbursement batches with their frozen lines and stored ledger, bank result
-- uploads, and the scheduler's job runs and leases.

CREATE TABLE IF NOT EXISTS batches (
  id {{pk}},
  number VARCHAR(64) NOT NULL,
  region_code VARCHAR(6) NOT NULL,
  program VARCHAR(24) NOT NULL,
  term VARCHAR(11) NOT NULL,
  seq INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  line_count INT NOT NULL,
  total_fen BIGINT NOT NULL,
  lines_sha256 CHAR(64) NOT NULL,
  ledger_sha256 CHAR(64) NOT NULL,
  ledger_size BIGINT NOT NULL,
  job_run_id BIGINT NULL,
  created_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  approved_at {{datetime}} NULL,
  approved_by VARCHAR(64) NOT NULL DEFAULT '',
  paid_at {{datetime}} NULL,
  CONSTRAINT uk_batches_number UNIQUE (number),
  CONSTRAINT uk_batches_seq UNIQUE (region_code, program, term, seq),
  CONSTRAINT fk_batches_region FOREIGN KEY (region_code) REFERENCES regions(code)
) {{opts}};

CREATE INDEX idx_batches_status ON batches (status, created_at);

-- The ledger's bytes in chunks of at most 1 MiB: a large ledger fits under
-- MySQL's max_allowed_packet, and a download streams it chunk by chunk.
CREATE TABLE IF NOT EXISTS ledger_chunks (
  batch_id BIGINT NOT NULL,
  seq INT NOT NULL,
  data LONGBLOB NOT NULL,
  PRIMARY KEY (batch_id, seq),
  CONSTRAINT fk_ledger_chunks_batch FOREIGN KEY (batch_id) REFERENCES batches(id)
) {{opts}};

-- A line is a frozen snapshot of what is paid to whom. open_entitlement_id
-- holds the entitlement while the line is pending or paid and is NULL once it
-- failed: the unique key makes a second pending or paid line for the same
-- entitlement impossible, so no one is paid twice (hard rule 1). A top-up
-- (补发) line names its adjustment the same way in open_adjustment_id.
CREATE TABLE IF NOT EXISTS batch_lines (
  id {{pk}},
  batch_id BIGINT NOT NULL,
  seq INT NOT NULL,
  entitlement_id BIGINT NOT NULL,
  open_entitlement_id BIGINT NULL,
  adjustment_id BIGINT NULL,
  open_adjustment_id BIGINT NULL,
  student_id BIGINT NOT NULL,
  school_id BIGINT NOT NULL,
  school_code VARCHAR(10) NOT NULL,
  school_name VARCHAR(100) NOT NULL,
  stage VARCHAR(12) NOT NULL,
  grade INT NOT NULL,
  class VARCHAR(64) NOT NULL,
  name VARCHAR(64) NOT NULL,
  id_type VARCHAR(24) NOT NULL,
  id_enc VARCHAR(255) NOT NULL,
  id_masked VARCHAR(40) NOT NULL,
  student_no VARCHAR(32) NOT NULL,
  level VARCHAR(8) NOT NULL,
  annual_fen BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  bank_name VARCHAR(100) NOT NULL,
  account_enc VARCHAR(255) NOT NULL,
  account_hash CHAR(64) NOT NULL,
  account_masked VARCHAR(40) NOT NULL,
  holder VARCHAR(8) NOT NULL,
  holder_name VARCHAR(64) NOT NULL,
  remark VARCHAR(64) NOT NULL DEFAULT '',
  status VARCHAR(12) NOT NULL,
  fail_reason VARCHAR(255) NOT NULL DEFAULT '',
  result_at {{datetime}} NULL,
  CONSTRAINT uk_batch_lines_seq UNIQUE (batch_id, seq),
  CONSTRAINT uk_batch_lines_open UNIQUE (open_entitlement_id),
  CONSTRAINT uk_batch_lines_open_adjustment UNIQUE (open_adjustment_id),
  CONSTRAINT fk_batch_lines_batch FOREIGN KEY (batch_id) REFERENCES batches(id),
  CONSTRAINT fk_batch_lines_adjustment FOREIGN KEY (adjustment_id) REFERENCES adjustments(id),
  CONSTRAINT fk_batch_lines_entitlement FOREIGN KEY (entitlement_id) REFERENCES entitlements(id),
  CONSTRAINT fk_batch_lines_student FOREIGN KEY (student_id) REFERENCES students(id)
) {{opts}};

CREATE INDEX idx_batch_lines_batch ON batch_lines (batch_id, status);
CREATE INDEX idx_batch_lines_entitlement ON batch_lines (entitlement_id);
CREATE INDEX idx_batch_lines_account ON batch_lines (account_hash);

CREATE TABLE IF NOT EXISTS bank_result_uploads (
  id {{pk}},
  batch_id BIGINT NOT NULL,
  file_sha256 CHAR(64) NOT NULL,
  filename VARCHAR(255) NOT NULL,
  uploaded_by VARCHAR(64) NOT NULL,
  paid INT NOT NULL,
  failed INT NOT NULL,
  unchanged INT NOT NULL,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT fk_bank_uploads_batch FOREIGN KEY (batch_id) REFERENCES batches(id)
) {{opts}};

CREATE TABLE IF NOT EXISTS job_runs (
  id {{pk}},
  job VARCHAR(48) NOT NULL,
  instance VARCHAR(128) NOT NULL,
  trigger_kind VARCHAR(12) NOT NULL,
  scheduled_for {{datetime}} NULL,
  dry_run BOOLEAN NOT NULL DEFAULT FALSE,
  status VARCHAR(12) NOT NULL,
  made MEDIUMTEXT NOT NULL,
  error VARCHAR(1000) NOT NULL DEFAULT '',
  started_at {{datetime}} NOT NULL,
  finished_at {{datetime}} NULL
) {{opts}};

CREATE INDEX idx_job_runs_job ON job_runs (job, id);

-- One row per job: whoever holds an unexpired lease runs it; a holder that
-- died lets the lease expire and the next run proceeds (hard rule 6).
CREATE TABLE IF NOT EXISTS job_leases (
  job VARCHAR(48) NOT NULL PRIMARY KEY,
  holder VARCHAR(128) NOT NULL,
  run_id BIGINT NULL,
  expires_at {{datetime}} NOT NULL
) {{opts}};
