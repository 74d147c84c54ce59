-- account_changes: a change of bank account or holder on a student with
-- approved, unpaid aid, waiting for a second officer of the student's
-- county (POLICY.md "Who may change a student"). While one is pending the
-- student's aid is held out of batches; a rejection restores the old
-- account, kept sealed here.
CREATE TABLE IF NOT EXISTS account_changes (
  id {{pk}},
  student_id BIGINT NOT NULL,
  region_code VARCHAR(6) NOT NULL,
  old_bank_name VARCHAR(100) NOT NULL DEFAULT '',
  old_account_enc VARCHAR(255) NOT NULL DEFAULT '',
  old_account_hash CHAR(64) NOT NULL DEFAULT '',
  old_account_masked VARCHAR(40) NOT NULL DEFAULT '',
  old_holder VARCHAR(8) NOT NULL DEFAULT '',
  new_bank_name VARCHAR(100) NOT NULL DEFAULT '',
  new_account_masked VARCHAR(40) NOT NULL DEFAULT '',
  new_holder VARCHAR(8) NOT NULL DEFAULT '',
  held_fen BIGINT NOT NULL,
  status VARCHAR(12) NOT NULL,
  made_by_id BIGINT NOT NULL,
  made_by VARCHAR(64) NOT NULL,
  made_at {{datetime}} NOT NULL,
  decided_by VARCHAR(64) NOT NULL DEFAULT '',
  decided_at {{datetime}} NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  CONSTRAINT fk_account_changes_student FOREIGN KEY (student_id) REFERENCES students(id)
) {{opts}};

CREATE INDEX idx_account_changes_student ON account_changes (student_id, status);
CREATE INDEX idx_account_changes_region ON account_changes (region_code, status);
