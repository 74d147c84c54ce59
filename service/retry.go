package service

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// bulkTx runs a large write (a roster import, a batch) in one transaction at
// READ COMMITTED on MySQL, retrying a few times when InnoDB picks it as a
// deadlock victim. Under REPEATABLE READ, concurrent batch jobs and imports
// take gap locks on the same indexes and deadlock in normal use; the unique
// keys, not the isolation level, are what keep anyone from being paid twice.
func (s *core) bulkTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	opts := bulkTxOptions(s.db)
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if err = s.db.WithContext(ctx).Transaction(fn, opts...); err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(50+rand.IntN(200)*(attempt+1)) * time.Millisecond):
		}
	}
	return err
}

// bulkTxOptions is READ COMMITTED on MySQL, the engine's default elsewhere.
func bulkTxOptions(db *gorm.DB) []*sql.TxOptions {
	if db.Dialector.Name() == "mysql" {
		return []*sql.TxOptions{{Isolation: sql.LevelReadCommitted}}
	}
	return nil
}

// retryable recognises InnoDB's deadlock (1213), lock wait timeout (1205)
// and the auto-increment deadlock some versions report as 1467.
func retryable(err error) bool {
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1213, 1205, 1467:
			return true
		}
	}
	return false
}
