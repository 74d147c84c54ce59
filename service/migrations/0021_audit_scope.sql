-- The audit log is read in scope (issue 15): each entry carries the region it
-- belongs to, the acting user's or the entity's. Older entries take their
-- actor's region; the rest (admin and system work) stay visible to admins.
-- The keyed chain is rebuilt over this column at the first start with the
-- data key (service/audit_keyed.go), after the old chain has been verified.
ALTER TABLE audit_entries ADD COLUMN region_code VARCHAR(6) NOT NULL DEFAULT '';

UPDATE audit_entries SET region_code = COALESCE((SELECT users.region_code FROM users WHERE users.id = audit_entries.actor_id), '')
WHERE region_code = '';

CREATE INDEX idx_audit_region ON audit_entries (region_code, id);
