package service

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// txAttempts bounds how often one transaction is tried: a conflict clears
// in milliseconds, but on Galera a node committing a large batch aborts every
// local transaction that touched the audit chain's head meanwhile, so a
// small write may lose several times in a row under load (galera.sh). Ten
// attempts wait about five seconds at most; a transaction that keeps losing
// is better reported than retried for ever.
const txAttempts = 10

// bulkTx runs a large write (a roster import, a batch) in one transaction at
// READ COMMITTED on MySQL, retried like every transaction (retryTx). Under
// REPEATABLE READ, concurrent batch jobs and imports take gap locks on the
// same indexes and deadlock in normal use; the unique keys, not the isolation
// level, are what keep anyone from being paid twice.
func (s *core) bulkTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.retryTx(ctx, s.engine.bulkTxOptions(), fn)
}

// retryTx runs fn in one transaction, and again (at most txAttempts times in
// all) when the engine rolled it back for a conflict that a later attempt can
// pass: an InnoDB deadlock or lock wait timeout, or on Galera a certification
// failure at commit, which MariaDB reports as the same 1213 (another node
// committed a write to the same rows first). Every write appends to the
// audit chain's head row, so on a multi-primary cluster two writes at two
// nodes at once always conflict and one of them is retried here. fn must be
// safe to run again: it starts from what it reads in tx, never from what an
// earlier attempt left in the variables it fills.
func (s *core) retryTx(ctx context.Context, opts []*sql.TxOptions, fn func(tx *gorm.DB) error) error {
	return s.retry(ctx, func() error { return s.db.WithContext(ctx).Transaction(fn, opts...) })
}

// retry runs attempt until it succeeds, fails for another reason, or has
// conflicted txAttempts times; conflicts are counted for /metrics.
func (s *core) retry(ctx context.Context, attempt func() error) error {
	var err error
	for n := 1; ; n++ {
		err = attempt()
		i := retryIndex(err)
		if i < 0 {
			return err
		}
		if n == txAttempts {
			s.retries.gaveUp[i].Add(1)
			return err
		}
		s.retries.retried[i].Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(20+rand.IntN(100)*n) * time.Millisecond):
		}
	}
}

// retryCodes are the MySQL errors after which the whole transaction may be
// tried again: deadlock or Galera certification failure (1213), lock wait
// timeout (1205) and the auto-increment deadlock some versions report as
// 1467.
var retryCodes = [...]uint16{1213, 1205, 1467}

// txRetries counts, per entry of retryCodes, the transactions tried again
// and those given up after txAttempts; /metrics exports them.
type txRetries struct {
	retried, gaveUp [len(retryCodes)]atomic.Int64
}

// RetryCount is what /metrics reports for one error number.
type RetryCount struct {
	Code    uint16
	Retried int64
	GaveUp  int64
}

// TxRetries reports the transactions this instance retried after a deadlock
// or certification failure, by MySQL error number.
func (s *Service) TxRetries() []RetryCount {
	r := &s.core.retries
	out := make([]RetryCount, len(retryCodes))
	for i, c := range retryCodes {
		out[i] = RetryCount{Code: c, Retried: r.retried[i].Load(), GaveUp: r.gaveUp[i].Load()}
	}
	return out
}

func retryIndex(err error) int {
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		for i, c := range retryCodes {
			if me.Number == c {
				return i
			}
		}
	}
	return -1
}

// retryable recognises the errors retryTx tries again after.
func retryable(err error) bool { return retryIndex(err) >= 0 }
