-- Transfer requests (转学申请): a school asks to enrol a student another
-- school has enrolled this school year; the current school or its county
-- decides. Only the decision changes the student's file (POLICY.md "Who may
-- change a student").
CREATE TABLE IF NOT EXISTS transfers (
  id {{pk}},
  student_id BIGINT NOT NULL,
  school_year VARCHAR(9) NOT NULL,
  from_school_id BIGINT NOT NULL,
  to_school_id BIGINT NOT NULL,
  status VARCHAR(12) NOT NULL,
  note VARCHAR(255) NOT NULL DEFAULT '',
  requested_by VARCHAR(64) NOT NULL,
  requested_at {{datetime}} NOT NULL,
  decided_by VARCHAR(64) NOT NULL DEFAULT '',
  decided_at {{datetime}} NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  CONSTRAINT fk_transfers_student FOREIGN KEY (student_id) REFERENCES students(id),
  CONSTRAINT fk_transfers_from FOREIGN KEY (from_school_id) REFERENCES schools(id),
  CONSTRAINT fk_transfers_to FOREIGN KEY (to_school_id) REFERENCES schools(id)
) {{opts}};

CREATE INDEX idx_transfers_from ON transfers (from_school_id, status);

CREATE INDEX idx_transfers_to ON transfers (to_school_id, status);

CREATE INDEX idx_transfers_student ON transfers (student_id, school_year);
