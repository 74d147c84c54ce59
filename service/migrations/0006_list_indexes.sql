-- GET /students pages through enrolments in the order of this index (school,
-- latest year first, grade, class, then upload order), so a page is read
-- from the index and stops at its LIMIT instead of sorting every enrolment
-- in scope. It also serves every (school_id, school_year) lookup the old
-- index did, so that one goes.

CREATE INDEX idx_enrolments_list ON enrolments (school_id, school_year DESC, grade, class, student_id);

DROP INDEX idx_enrolments_school_year{{on enrolments}};

-- A student's payments in the electronic file. MySQL already has an index
-- for the foreign key (and drops it for this one); SQLite has none.
CREATE INDEX idx_batch_lines_student ON batch_lines (student_id, id);
