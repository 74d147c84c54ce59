-- Encryption at rest of 学籍号, stored ledgers and error workbooks (issue 15).
-- National student numbers are "G" and the ID number, so enrolments and
-- batch lines keep them sealed like ID numbers; a sealed value is longer
-- than the 32 characters a plain one had (SQLite does not enforce VARCHAR
-- lengths, so only MySQL changes the type). SQL has no data key: the rows
-- already there are sealed by the program at its next start while this
-- setting says "pending" (service/reseal.go), in chunks, resumably.
INSERT INTO settings (name, value) VALUES ('seal_at_rest', 'pending');

{{mysql_only}}ALTER TABLE enrolments MODIFY student_no VARCHAR(255) NOT NULL DEFAULT '';

{{mysql_only}}ALTER TABLE batch_lines MODIFY student_no VARCHAR(255) NOT NULL;
