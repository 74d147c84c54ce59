-- An entitlement's adjustments are numbered (seq) and unique by number, not
-- by standard: a standard can come back into force after another was paid
-- (a county's row above a national one that rose and fell), and its top-up
-- or recovery is a second adjustment under the same standard. Two
-- calculations racing still collide on the number.
--
-- MySQL changes the key in place (each step safe to run again); SQLite cannot
-- drop a table constraint, so the table is rebuilt in one transaction with
-- foreign keys off (SQLite's documented procedure for a schema change),
-- keeping its id sequence so that no deleted draft's id is used again.
{{mysql_only}}ALTER TABLE adjustments ADD COLUMN seq INT NOT NULL DEFAULT 0;
{{mysql_only}}UPDATE adjustments a JOIN (SELECT id, ROW_NUMBER() OVER (PARTITION BY entitlement_id ORDER BY id) AS rn FROM adjustments) r ON r.id = a.id SET a.seq = r.rn WHERE a.seq = 0;
{{mysql_only}}CREATE UNIQUE INDEX uk_adjustments_seq ON adjustments (entitlement_id, seq);
{{mysql_only}}ALTER TABLE adjustments DROP INDEX uk_adjustments;
{{sqlite_only}}PRAGMA foreign_keys = OFF;
{{sqlite_only}}BEGIN;
{{sqlite_only}}DROP TABLE IF EXISTS adjustments_new;
{{sqlite_only}}CREATE TABLE adjustments_new (id INTEGER PRIMARY KEY AUTOINCREMENT, entitlement_id BIGINT NOT NULL, standard_id BIGINT NOT NULL, seq INT NOT NULL DEFAULT 0, amount_fen BIGINT NOT NULL, annual_fen BIGINT NOT NULL, reason VARCHAR(255) NOT NULL, status VARCHAR(12) NOT NULL, created_by VARCHAR(64) NOT NULL, approved_by VARCHAR(64) NOT NULL DEFAULT '', approved_at DATETIME NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, CONSTRAINT uk_adjustments_seq UNIQUE (entitlement_id, seq), CONSTRAINT fk_adjustments_entitlement FOREIGN KEY (entitlement_id) REFERENCES entitlements(id), CONSTRAINT fk_adjustments_standard FOREIGN KEY (standard_id) REFERENCES standards(id));
{{sqlite_only}}INSERT INTO adjustments_new (id, entitlement_id, standard_id, seq, amount_fen, annual_fen, reason, status, created_by, approved_by, approved_at, created_at, updated_at) SELECT id, entitlement_id, standard_id, ROW_NUMBER() OVER (PARTITION BY entitlement_id ORDER BY id), amount_fen, annual_fen, reason, status, created_by, approved_by, approved_at, created_at, updated_at FROM adjustments;
{{sqlite_only}}UPDATE sqlite_sequence SET seq = (SELECT MAX(seq) FROM sqlite_sequence WHERE name IN ('adjustments', 'adjustments_new')) WHERE name = 'adjustments_new';
{{sqlite_only}}INSERT INTO sqlite_sequence (name, seq) SELECT 'adjustments_new', seq FROM sqlite_sequence WHERE name = 'adjustments' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'adjustments_new');
{{sqlite_only}}DROP TABLE adjustments;
{{sqlite_only}}ALTER TABLE adjustments_new RENAME TO adjustments;
{{sqlite_only}}COMMIT;
{{sqlite_only}}PRAGMA foreign_keys = ON;
