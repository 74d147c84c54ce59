-- Anomaly findings (POLICY.md "Anomalies"): what the nightly scan and the
-- cross-department matching (比对) found, with when it was first and last
-- seen and what the county made of it. A finding is identified by its rule
-- and a fingerprint of the records involved, so a scan that finds the same
-- thing again updates the row instead of adding one. Nothing here holds a
-- full ID or account number: summaries and details are masked.

CREATE TABLE IF NOT EXISTS anomalies (
  id {{pk}},
  rule VARCHAR(32) NOT NULL,
  severity VARCHAR(8) NOT NULL,
  fingerprint CHAR(64) NOT NULL,
  region_code VARCHAR(6) NOT NULL,
  school_year VARCHAR(9) NOT NULL DEFAULT '',
  term VARCHAR(11) NOT NULL DEFAULT '',
  school_id BIGINT NULL,
  student_id BIGINT NULL,
  summary VARCHAR(500) NOT NULL,
  details_json MEDIUMTEXT NOT NULL,
  first_seen {{datetime}} NOT NULL,
  last_seen {{datetime}} NOT NULL,
  resolved_at {{datetime}} NULL,
  status VARCHAR(12) NOT NULL,
  note VARCHAR(1000) NOT NULL DEFAULT '',
  updated_by VARCHAR(64) NOT NULL DEFAULT '',
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_anomalies_key UNIQUE (rule, fingerprint),
  CONSTRAINT fk_anomalies_school FOREIGN KEY (school_id) REFERENCES schools(id),
  CONSTRAINT fk_anomalies_student FOREIGN KEY (student_id) REFERENCES students(id)
) {{opts}};

CREATE INDEX idx_anomalies_region ON anomalies (region_code, status, rule);
CREATE INDEX idx_anomalies_status ON anomalies (status, rule);
CREATE INDEX idx_anomalies_year ON anomalies (school_year, term);

-- One row: updating it first serialises scans (the nightly job on one
-- instance, an auditor's on-demand scan on another) so two never write the
-- same findings at once; it also remembers when the last scan ran.
CREATE TABLE IF NOT EXISTS anomaly_scan_head (
  id INT NOT NULL PRIMARY KEY,
  scans BIGINT NOT NULL,
  last_scan_at {{datetime}} NULL
) {{opts}};

INSERT INTO anomaly_scan_head (id, scans, last_scan_at) VALUES (1, 0, NULL);
