// Package service holds the business rules of studentaid: who may do what,
// in which scope, inside which transaction, and what the audit log records.
// It knows gorm and the domain types, never HTTP.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"gorm.io/gorm"

	"studentaid/configs"
)

// Options are the settings services use, built once from configs in main and
// replaced in tests (a fixed clock, a cheap bcrypt cost).
type Options struct {
	Now          func() time.Time
	Sleep        func(context.Context, time.Duration)
	TokenTTL     time.Duration
	MaxFailures  int
	LockDuration time.Duration
	FailureDelay time.Duration
	BcryptCost   int
	// SessionCache is how long a verified token is trusted without asking
	// the database again (0: every request asks).
	SessionCache time.Duration
	// CountCache is how long a list's total is reused for the same filter
	// (0: counted on every request).
	CountCache time.Duration

	NoticeWorkingDays int
	Holidays          map[string]bool
	ExtraWorkdays     map[string]bool

	RosterMaxBytes   int64
	RosterMaxRows    int
	RosterAsyncBytes int64  // larger uploads import in the background (202)
	TempDir          string // where background imports keep their upload

	BankMaxLines int // lines per bank payment file part (bank portals cap uploads)
	// Anomaly holds the anomaly scan's thresholds (zero values: POLICY.md's).
	Anomaly AnomalyThresholds
	// Replicas is how many read replicas OpenDB registered: reports, lists
	// and ledger downloads go to one of them while it answers and lags the
	// primary by at most ReplicaMaxLag (default 10s).
	Replicas      int
	ReplicaMaxLag time.Duration
	// LedgerChunkBytes is the size of the pieces a ledger is stored in, well
	// under MySQL's default max_allowed_packet (16 MiB); default 1 MiB.
	LedgerChunkBytes int

	// Fault makes a named step fail, for tests and fault scripts; nil in
	// production.
	Fault func(point string) error
}

// OptionsFrom turns the loaded configuration into service options.
func OptionsFrom(c *configs.Config) Options {
	return Options{
		TokenTTL:          c.Auth.TokenTTL,
		MaxFailures:       c.Auth.MaxFailures,
		LockDuration:      c.Auth.LockDuration,
		FailureDelay:      c.Auth.FailureDelay,
		SessionCache:      c.Auth.SessionCache,
		CountCache:        c.Database.CountCache,
		NoticeWorkingDays: c.Notice.WorkingDays,
		Holidays:          dateSet(c.Notice.Holidays),
		ExtraWorkdays:     dateSet(c.Notice.ExtraWorkdays),
		RosterMaxBytes:    c.Roster.MaxBytes,
		RosterMaxRows:     c.Roster.MaxRows,
		RosterAsyncBytes:  c.Roster.AsyncBytes,
		TempDir:           c.DataDir,
		BankMaxLines:      c.Bank.MaxLinesPerFile,
		Replicas:          len(c.Database.Replicas),
		ReplicaMaxLag:     c.Database.ReplicaMaxLag,
		Anomaly: AnomalyThresholds{AccountMaxStudents: c.Anomalies.AccountMaxStudents, MinAge: c.Anomalies.MinAge,
			MaxAgeOverGrade: c.Anomalies.MaxAgeOverGrade, FailedPayments: c.Anomalies.FailedPayments, StaleDays: c.Anomalies.StaleDays},
	}
}

func dateSet(days []string) map[string]bool {
	m := make(map[string]bool, len(days))
	for _, d := range days {
		m[d] = true
	}
	return m
}

// Service is every domain over one shared core; main builds it once and
// hands each caller only the domains it uses.
type Service struct {
	core *core
	// ownsDB: Open opened the database, so Close closes it.
	ownsDB       bool
	Auth         *Auth
	Users        *Users
	Schools      *Schools
	Students     *Students
	Standards    *Standards
	Entitlements *Entitlements
	Batches      *Batches
	Anomalies    *Anomalies
	Matching     *Matching
	Jobs         *Jobs
	Audit        *Audit
	Reports      *Reports
	Loans        *Loans
}

func New(db *gorm.DB, keys *Keyring, log *slog.Logger, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sleep == nil {
		opt.Sleep = sleepCtx
	}
	if opt.BcryptCost == 0 {
		opt.BcryptCost = 12
	}
	if opt.TokenTTL == 0 {
		opt.TokenTTL = 12 * time.Hour
	}
	if opt.MaxFailures == 0 {
		opt.MaxFailures = 10
	}
	if opt.LedgerChunkBytes == 0 {
		opt.LedgerChunkBytes = 1 << 20
	}
	if opt.LockDuration == 0 {
		opt.LockDuration = 15 * time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &core{db: db, engine: EngineOf(db), keys: keys, log: log, opt: opt, bgCtx: ctx, bgCancel: cancel}
	c.started = c.now()
	if opt.Replicas > 0 {
		c.replicas = newReplicaSet(opt.Replicas, opt.ReplicaMaxLag)
		c.watcher.Add(1)
		go func() {
			defer c.watcher.Done()
			c.watchReplicas(ctx)
		}()
	}
	jobs := &Jobs{c}
	return &Service{
		core:         c,
		Auth:         &Auth{c},
		Users:        &Users{c},
		Schools:      &Schools{c},
		Students:     &Students{c},
		Standards:    &Standards{c},
		Entitlements: &Entitlements{c},
		Batches:      &Batches{c},
		Anomalies:    &Anomalies{core: c, jobs: jobs},
		Matching:     &Matching{c},
		Jobs:         jobs,
		Audit:        &Audit{c},
		Reports:      &Reports{c},
		Loans:        newLoans(c),
	}
}

// safely runs fn, turning a panic into an error: work done on a goroutine
// of the service's own is out of reach of the HTTP layer's recovery, and a
// panic there would end the process.
func safely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

// Close stops background work and waits for it; an import cut short rolls
// back and is recorded as failed. A database Open opened is closed too.
func (s *Service) Close() {
	s.core.bgCancel()
	s.core.bg.Wait()
	s.core.watcher.Wait()
	if s.ownsDB {
		closeDB(s.core.db)
	}
}

// DB is the database, for tools that load data in bulk (scripts/bench).
func (s *Service) DB() *gorm.DB { return s.core.db }

// Keys are the data keys, for the same tools.
func (s *Service) Keys() *Keyring { return s.core.keys }

// Wait blocks until background work has finished (tests, graceful stops).
func (s *Service) Wait() { s.core.bg.Wait() }

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Page is a request for one page of a list.
type Page struct {
	Page     int
	PageSize int
}

// MaxPage is the last page a list serves: (MaxPage-1)×200 is a sane
// offset, and no page number can overflow it.
const MaxPage = 100000

// Normalize keeps paging within sane bounds (at most 200 rows a page).
func (p Page) Normalize() Page {
	if p.Page < 1 {
		p.Page = 1
	}
	if p.Page > MaxPage {
		p.Page = MaxPage
	}
	if p.PageSize < 1 {
		p.PageSize = 20
	}
	if p.PageSize > 200 {
		p.PageSize = 200
	}
	return p
}

func (p Page) apply(q *gorm.DB) *gorm.DB {
	return q.Offset((p.Page - 1) * p.PageSize).Limit(p.PageSize)
}

// List is one page of results with the total count.
type List[T any] struct {
	Items []T
	Total int64
	Page  Page
}
