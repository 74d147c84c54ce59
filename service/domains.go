package service

// The domains of the service. Each is a thin view over the shared core;
// methods live in the files of their domain (see README's Layout).

// Auth signs users in and out, verifies their tokens and changes one's own
// password (auth.go, login_throttle.go, password.go).
type Auth struct{ *core }

// Users manages accounts and their roles (users.go, bootstrap.go,
// password_policy.go).
type Users struct{ *core }

// Schools manages regions and schools (schools.go).
type Schools struct{ *core }

// Students holds the student files and the roster import (students.go,
// students_export.go, roster_*.go, student_patch_rules.go).
type Students struct{ *core }

// Standards holds the aid standards (standards.go).
type Standards struct{ *core }

// Entitlements calculates aid and carries it through review, adjustments
// and notices (calculate.go, workflow.go, adjustments.go, notices.go,
// entitlements.go, entitlements_export.go).
type Entitlements struct{ *core }

// Batches generates payment batches, their ledgers and bank files and
// applies the bank's results (batches.go, batch_finance.go, ledger_store.go).
type Batches struct{ *core }

// Anomalies scans for suspicious aid and lists what it found (scan.go,
// rules*.go, anomalies.go).
// An on-demand scan takes the scheduled scan's lease, so it holds Jobs.
type Anomalies struct {
	*core
	jobs *Jobs
}

// Matching checks department lists against the students (matching.go; the
// lists are read by service/roster).
type Matching struct{ *core }

// Jobs stores the scheduler's leases and runs (jobstore.go) and fails
// roster imports whose heartbeat stopped (FailStaleImports, roster_import.go),
// so the scheduler depends on Jobs alone for its own work.
type Jobs struct{ *core }

// Audit reads, words, exports, verifies and anchors the audit log (audit.go,
// audit_keyed.go, audit_rows.go, audit_words.go).
type Audit struct{ *core }

// Reports gathers figures: the start page's dashboard and 待办 workbench,
// summary reports and the /metrics totals (dashboard.go, workbench.go,
// reports.go, metrics.go), and answers /readyz (Ping, open.go).
type Reports struct{ *core }

// Loans is the county's 生源地信用助学贷款 desk: dated figures, applications
// and their workflow, the bank's files, repayment plans, subsidies and the
// yearly statements (loans*.go); its two days of the year come from
// configs/loans.yaml.
type Loans struct {
	*core
	defaultDeadline monthDay // applications close then unless the year has its own deadline
	reminder        monthDay // the day of the yearly 还款提醒 list
}
