package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	"studentaid/model"
)

// core is what every domain shares: the database, the keys, the clock and
// options, background work and the caches. Each domain struct embeds the
// same *core, so a cache one domain forgets is forgotten for all. Helpers
// more than one domain calls are methods of core, in the core*.go files
// (writing the audit log in core_audit.go, shared reads in core_lookups.go),
// in retry.go (bulkTx, retryTx and retry: transactions tried again after a
// deadlock or certification failure) and in replicas.go (ledgerReader and
// the replica watcher), and in
// login_throttle.go (the login throttle) and users.go (hashPassword).
type core struct {
	db     *gorm.DB
	engine Engine
	keys   *Keyring
	log    *slog.Logger
	opt    Options
	// started is when this service was built (service clock): on SQLite,
	// where imports cannot write a heartbeat, an import made since is this
	// process's own and still running or finished, never stale.
	started time.Time

	// Background work (large roster imports) runs on bgCtx and is waited
	// for by Close, so no goroutine outlives the service.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	watcher  sync.WaitGroup // the replica watcher, not waited for by Wait

	sessions ttlCache[cachedSession]
	// counts holds list totals; roster imports and calculations forget them.
	counts ttlCache[int64]
	// schools by id, for naming the schools of list rows.
	schools ttlCache[model.School]

	retries  txRetries
	replicas *replicaSet // nil without read replicas
}

// cachedSession is a verified token's user and its session's expiry, so a
// cached token never outlives its session.
type cachedSession struct {
	user      model.User
	expiresAt time.Time
}

// now is the service clock in UTC at the precision both engines store.
func (s *core) now() time.Time {
	return s.opt.Now().UTC().Truncate(time.Microsecond)
}

// reader is for reads that may lag a little (reports, lists, ledger
// downloads): they go to a read replica that answers and is not too far
// behind, else to the primary.
func (s *core) reader(ctx context.Context) *gorm.DB {
	if name, ok := s.replicas.pick(); ok {
		// A new session: callers run several queries on what this returns,
		// and a chained clause would otherwise carry their conditions over.
		return s.db.WithContext(ctx).Clauses(dbresolver.Use(name)).Session(&gorm.Session{})
	}
	return s.db.WithContext(ctx)
}

// tx runs fn in one transaction carrying the request's context, tried again
// after a deadlock or a Galera certification failure (retryTx).
func (s *core) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.retryTx(ctx, nil, fn)
}

// fault lets tests and fault scripts make a step fail on purpose.
func (s *core) fault(point string) error {
	if s.opt.Fault == nil {
		return nil
	}
	return s.opt.Fault(point)
}

// noticeComplete refuses approval before the notice of the latest submission
// has run its course, saying when it will have.
func (s *core) noticeComplete(list model.AidList, now time.Time) error {
	if list.NoticeStartedAt == nil || list.SubmittedAt == nil || list.NoticeStartedAt.Before(*list.SubmittedAt) {
		return ruleErr("notice_not_started", "该校名单尚未公示（或重新提交后未重新公示）：请先下载公示表并张贴公示，公示期满 %d 个工作日后才能审核",
			s.opt.NoticeWorkingDays)
	}
	if now.Before(*list.NoticeEndsAt) {
		return ruleErr("notice_period", "公示期未满：公示于 %s 结束，之后才能审核",
			list.NoticeEndsAt.In(model.Shanghai()).Format("2006年01月02日 15:04"))
	}
	return nil
}
