-- 生源地信用助学贷款: the dated figures, the LPR-based rate table, the
-- per-year application deadlines, the applications (one per person and
-- school year), their status history, the bank's repayment status per
-- contract and year, and the frozen yearly statements.

-- Figures in force from a date (POLICY.md): a new row supersedes from its
-- date and never rewrites the past. Ratios are in basis points (1500 = 15 %).
CREATE TABLE IF NOT EXISTS loan_figures (
  id {{pk}},
  effective_from DATE NOT NULL,
  limit_junior_college_fen BIGINT NOT NULL,
  limit_undergraduate_fen BIGINT NOT NULL,
  limit_graduate_fen BIGINT NOT NULL,
  term_extra_years INT NOT NULL,
  max_term_years INT NOT NULL,
  grace_years INT NOT NULL,
  risk_fund_bp INT NOT NULL,
  repayment_month INT NOT NULL,
  repayment_day INT NOT NULL,
  source VARCHAR(200) NOT NULL DEFAULT '',
  created_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT uk_loan_figures UNIQUE (effective_from)
) {{opts}};

-- The annual interest rate in force from a date, in basis points: the LPR of
-- the loan's term plus a (negative) spread.
CREATE TABLE IF NOT EXISTS loan_rates (
  id {{pk}},
  effective_from DATE NOT NULL,
  lpr_bp INT NOT NULL,
  spread_bp INT NOT NULL,
  rate_bp INT NOT NULL,
  source VARCHAR(200) NOT NULL DEFAULT '',
  created_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT uk_loan_rates UNIQUE (effective_from)
) {{opts}};

CREATE TABLE IF NOT EXISTS loan_deadlines (
  school_year VARCHAR(9) NOT NULL PRIMARY KEY,
  deadline DATE NOT NULL,
  updated_by VARCHAR(64) NOT NULL,
  updated_at {{datetime}} NOT NULL
) {{opts}};

-- One application per person and school year anywhere in the database
-- (uk_loan_applications_year), as hard rule 1 does for grants. A contract
-- number names one year's contract entry once.
CREATE TABLE IF NOT EXISTS loan_applications (
  id {{pk}},
  student_id BIGINT NOT NULL,
  school_year VARCHAR(9) NOT NULL,
  region_code VARCHAR(6) NOT NULL,
  kind VARCHAR(8) NOT NULL,
  name VARCHAR(64) NOT NULL,
  co_name VARCHAR(64) NOT NULL,
  co_id_enc VARCHAR(255) NOT NULL,
  co_id_hash CHAR(64) NOT NULL,
  co_id_masked VARCHAR(40) NOT NULL,
  co_relation VARCHAR(16) NOT NULL,
  co_phone_enc VARCHAR(255) NOT NULL,
  co_phone_masked VARCHAR(20) NOT NULL,
  university VARCHAR(100) NOT NULL,
  university_code VARCHAR(10) NOT NULL,
  level VARCHAR(16) NOT NULL,
  years INT NOT NULL,
  entry_year INT NOT NULL,
  tuition_fen BIGINT NOT NULL,
  accommodation_fen BIGINT NOT NULL,
  living_fen BIGINT NOT NULL,
  limit_fen BIGINT NOT NULL,
  granted_fen BIGINT NOT NULL,
  granted_school_fen BIGINT NOT NULL,
  granted_living_fen BIGINT NOT NULL,
  difficulty VARCHAR(64) NOT NULL,
  status VARCHAR(20) NOT NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  contract_no VARCHAR(40) NULL,
  signed_on DATE NULL,
  contract_fen BIGINT NOT NULL DEFAULT 0,
  term_years INT NOT NULL DEFAULT 0,
  receipt_on DATE NULL,
  disbursed_on DATE NULL,
  disbursed_fen BIGINT NOT NULL DEFAULT 0,
  extended_years INT NOT NULL DEFAULT 0,
  prepaid_fen BIGINT NOT NULL DEFAULT 0,
  created_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_loan_applications_year UNIQUE (student_id, school_year),
  CONSTRAINT uk_loan_applications_contract UNIQUE (contract_no, school_year),
  CONSTRAINT fk_loan_applications_student FOREIGN KEY (student_id) REFERENCES students(id),
  CONSTRAINT fk_loan_applications_region FOREIGN KEY (region_code) REFERENCES regions(code)
) {{opts}};

CREATE INDEX idx_loan_applications_region ON loan_applications (region_code, school_year, status);
CREATE INDEX idx_loan_applications_disbursed ON loan_applications (region_code, disbursed_on);

CREATE TABLE IF NOT EXISTS loan_events (
  id {{pk}},
  application_id BIGINT NOT NULL,
  at {{datetime}} NOT NULL,
  actor VARCHAR(64) NOT NULL,
  from_status VARCHAR(20) NOT NULL,
  to_status VARCHAR(20) NOT NULL,
  note VARCHAR(255) NOT NULL DEFAULT '',
  CONSTRAINT fk_loan_events_application FOREIGN KEY (application_id) REFERENCES loan_applications(id)
) {{opts}};

CREATE INDEX idx_loan_events_application ON loan_events (application_id, id);

-- The bank's word on one contract's instalment of one year; a replayed file
-- finds the same status and changes nothing.
CREATE TABLE IF NOT EXISTS loan_repayments (
  id {{pk}},
  student_id BIGINT NOT NULL,
  region_code VARCHAR(6) NOT NULL,
  due_year INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  paid_fen BIGINT NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_loan_repayments UNIQUE (student_id, due_year),
  CONSTRAINT fk_loan_repayments_student FOREIGN KEY (student_id) REFERENCES students(id)
) {{opts}};

-- A county's statement of a year, frozen once generated (hard rule 2).
CREATE TABLE IF NOT EXISTS loan_statements (
  id {{pk}},
  region_code VARCHAR(6) NOT NULL,
  year INT NOT NULL,
  new_loans INT NOT NULL,
  new_fen BIGINT NOT NULL,
  subsidy_fen BIGINT NOT NULL,
  risk_fund_fen BIGINT NOT NULL,
  sha256 CHAR(64) NOT NULL,
  data LONGBLOB NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT uk_loan_statements UNIQUE (region_code, year),
  CONSTRAINT fk_loan_statements_region FOREIGN KEY (region_code) REFERENCES regions(code)
) {{opts}};
