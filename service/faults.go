package service

// Fault points: the named moments at which Options.Fault is asked whether a
// step should fail. Tests set Options.Fault directly; the fault scripts reach
// the same points through a binary built with `-tags faults`
// (STUDENTAID_FAULT, see main_faults.go and docs/operations.md). Each is
// named for where it stands, so a script strikes at the moment its title
// names instead of guessing it from a progress figure.
const (
	// FaultRosterMidWrite: a roster import has written its first chunk of
	// rows inside its transaction while the file is still being read.
	FaultRosterMidWrite = "roster.mid_write"
	// FaultRosterBeforeCommit: every row, the import record ("done") and the
	// audit entry are written; the transaction has not committed.
	FaultRosterBeforeCommit = "roster.before_commit"
	// FaultRosterUploadCopy: a large upload is about to be copied to the data
	// directory for its background import.
	FaultRosterUploadCopy = "roster.upload_copy"
	// FaultCalcPlanned: a school's list is planned, nothing of it written.
	FaultCalcPlanned = "calc.planned"
	// FaultBatchAfterLinesInsert: a batch's lines are inserted and counted,
	// its entitlements not yet marked batched and its ledger not stored.
	FaultBatchAfterLinesInsert = "batch.after_lines_insert"
	// FaultBankResultsMidFile: half of a bank result file's lines are marked
	// paid or failed inside the upload's transaction.
	FaultBankResultsMidFile = "bank_results.mid_file"
	// FaultMigrateMid: the first statement of a migration has run, the rest
	// of it (and its schema_migrations row) not yet.
	FaultMigrateMid = "migrate.mid"
)

// FaultPoints lists every point, for the fault build to check its setting.
var FaultPoints = []string{FaultRosterMidWrite, FaultRosterBeforeCommit, FaultRosterUploadCopy, FaultCalcPlanned,
	FaultBatchAfterLinesInsert, FaultBankResultsMidFile, FaultMigrateMid}
