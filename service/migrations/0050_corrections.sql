-- A correction (认定更正) of the difficulty level or stage that decided a
-- paid term, made by the county when the record at approval was an error
-- (POLICY.md "A term's amount is fixed when its list is approved"). Rows are
-- only appended: the latest one is the entitlement's record from then on,
-- and the paid entitlement itself is never edited; the difference is paid or
-- recovered by an adjustment (reason 认定更正).
CREATE TABLE IF NOT EXISTS corrections (
  id {{pk}},
  entitlement_id BIGINT NOT NULL,
  level VARCHAR(16) NOT NULL,
  stage VARCHAR(16) NOT NULL,
  reason VARCHAR(255) NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT fk_corrections_entitlement FOREIGN KEY (entitlement_id) REFERENCES entitlements(id)
) {{opts}};

CREATE INDEX idx_corrections_entitlement ON corrections (entitlement_id, id);
