-- County officers get a masked rendering of each batch's ledger (API.md):
-- IDs, 学籍号 and accounts masked, stored once and served byte-identical with
-- its own SHA-256, like the full ledger beside it. Batches made before this
-- get theirs at the first county download.
CREATE TABLE IF NOT EXISTS masked_ledger_chunks (
  batch_id BIGINT NOT NULL,
  seq INT NOT NULL,
  data LONGBLOB NOT NULL,
  PRIMARY KEY (batch_id, seq),
  CONSTRAINT fk_masked_ledger_chunks_batch FOREIGN KEY (batch_id) REFERENCES batches(id)
) {{opts}};

ALTER TABLE batches ADD COLUMN masked_ledger_sha256 CHAR(64) NULL;

ALTER TABLE batches ADD COLUMN masked_ledger_size BIGINT NULL;
