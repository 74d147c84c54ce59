-- Standards, school aid lists with their notice and quota, entitlements,
-- objections raised during the notice, and adjustments to paid aid.

CREATE TABLE IF NOT EXISTS standards (
  id {{pk}},
  program VARCHAR(24) NOT NULL,
  stage VARCHAR(12) NOT NULL,
  level VARCHAR(8) NOT NULL DEFAULT '',
  region_code VARCHAR(6) NOT NULL DEFAULT '',
  annual_fen BIGINT NOT NULL,
  effective_from DATE NOT NULL,
  source VARCHAR(200) NOT NULL DEFAULT '',
  created_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT uk_standards UNIQUE (program, stage, level, region_code, effective_from)
) {{opts}};

-- aid_lists: one school's list for a program and term, the unit that is
-- submitted, put on notice and approved; its row also serialises
-- calculations of that list.
CREATE TABLE IF NOT EXISTS aid_lists (
  id {{pk}},
  school_id BIGINT NOT NULL,
  program VARCHAR(24) NOT NULL,
  term VARCHAR(11) NOT NULL,
  calc_seq BIGINT NOT NULL DEFAULT 0,
  max_count INT NULL,
  budget_fen BIGINT NULL,
  submitted_at {{datetime}} NULL,
  notice_started_at {{datetime}} NULL,
  notice_ends_at {{datetime}} NULL,
  created_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_aid_lists UNIQUE (school_id, program, term),
  CONSTRAINT fk_aid_lists_school FOREIGN KEY (school_id) REFERENCES schools(id)
) {{opts}};

-- Hard rule 1: one regular entitlement per student, program and term, across
-- all schools, enforced here; corrections are adjustments, not second rows.
CREATE TABLE IF NOT EXISTS entitlements (
  id {{pk}},
  student_id BIGINT NOT NULL,
  program VARCHAR(24) NOT NULL,
  term VARCHAR(11) NOT NULL,
  school_id BIGINT NOT NULL,
  list_id BIGINT NOT NULL,
  stage VARCHAR(12) NOT NULL,
  grade INT NOT NULL,
  level VARCHAR(8) NOT NULL DEFAULT '',
  rule VARCHAR(64) NOT NULL,
  standard_id BIGINT NOT NULL,
  annual_fen BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  status VARCHAR(12) NOT NULL,
  reason VARCHAR(255) NOT NULL DEFAULT '',
  warning VARCHAR(255) NOT NULL DEFAULT '',
  submitted_at {{datetime}} NULL,
  approved_at {{datetime}} NULL,
  approved_by VARCHAR(64) NOT NULL DEFAULT '',
  created_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_entitlements_once UNIQUE (student_id, program, term),
  CONSTRAINT fk_entitlements_student FOREIGN KEY (student_id) REFERENCES students(id),
  CONSTRAINT fk_entitlements_school FOREIGN KEY (school_id) REFERENCES schools(id),
  CONSTRAINT fk_entitlements_list FOREIGN KEY (list_id) REFERENCES aid_lists(id),
  CONSTRAINT fk_entitlements_standard FOREIGN KEY (standard_id) REFERENCES standards(id)
) {{opts}};

CREATE INDEX idx_entitlements_list ON entitlements (list_id, status);
CREATE INDEX idx_entitlements_queue ON entitlements (program, term, status, school_id);

CREATE TABLE IF NOT EXISTS objections (
  id {{pk}},
  list_id BIGINT NOT NULL,
  student_id BIGINT NOT NULL,
  content VARCHAR(500) NOT NULL,
  recorded_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT fk_objections_list FOREIGN KEY (list_id) REFERENCES aid_lists(id),
  CONSTRAINT fk_objections_student FOREIGN KEY (student_id) REFERENCES students(id)
) {{opts}};

CREATE INDEX idx_objections_list ON objections (list_id, student_id);

-- An adjustment corrects a paid entitlement: 补发 (positive, paid in a later
-- batch) or 扣回 (negative, never paid out: reported for recovery). One per
-- entitlement and standard: a raised standard makes one top-up, a late
-- finding one recovery (under the entitlement's own standard).
CREATE TABLE IF NOT EXISTS adjustments (
  id {{pk}},
  entitlement_id BIGINT NOT NULL,
  standard_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  annual_fen BIGINT NOT NULL,
  reason VARCHAR(255) NOT NULL,
  status VARCHAR(12) NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  approved_by VARCHAR(64) NOT NULL DEFAULT '',
  approved_at {{datetime}} NULL,
  created_at {{datetime}} NOT NULL,
  updated_at {{datetime}} NOT NULL,
  CONSTRAINT uk_adjustments UNIQUE (entitlement_id, standard_id),
  CONSTRAINT fk_adjustments_entitlement FOREIGN KEY (entitlement_id) REFERENCES entitlements(id),
  CONSTRAINT fk_adjustments_standard FOREIGN KEY (standard_id) REFERENCES standards(id)
) {{opts}};
