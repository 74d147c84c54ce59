package service

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"
)

// The migration lease is a row, not GET_LOCK: Galera does not replicate
// named locks, so instances on two nodes would each hold "the" lock and run
// the same DDL at once. Two nodes inserting the same primary key conflict
// instead (a duplicate key, or a certification failure at commit), and
// exactly one insert commits, on every engine. A holder that dies leaves the
// row behind; it is taken over once it expires. On MySQL the expiry is
// short because a heartbeat renews it from another connection while a long
// statement runs: a killed `migrate` frees the lease within
// migrationLeaseTTL. SQLite has one connection, held by the migration, so
// no heartbeat can run beside it: its lease lasts migrationLeaseTTLAlone
// from each step.
const (
	migrationLeaseTTL       = 20 * time.Second
	migrationLeaseTTLAlone  = 5 * time.Minute
	migrationLeaseHeartbeat = 5 * time.Second
	migrationLeaseWait      = 2 * time.Minute // how long an instance waits for another's migration
)

type migrationLease struct {
	ctx    context.Context
	c      *sql.Conn
	holder string
	ttl    time.Duration
}

// heartbeat extends the lease every migrationLeaseHeartbeat through the pool
// (the lease's own connection is busy with the migration's statements) until
// the returned stop is called. A missed beat is not an error here: renew,
// after each migration, finds a lease that was lost.
// Stopping cancels a beat still waiting for a connection.
func (l *migrationLease) heartbeat(pool *sql.DB) (stop func()) {
	ctx, cancel := context.WithCancel(l.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(migrationLeaseHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_, _ = pool.ExecContext(ctx, "UPDATE schema_migration_lease SET expires_ms = ? WHERE id = 1 AND holder = ?",
					time.Now().Add(l.ttl).UnixMilli(), l.holder)
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// takeMigrationLease waits until this instance holds the lease, or ctx ends,
// or another instance has held it for migrationLeaseWait.
func takeMigrationLease(ctx context.Context, c *sql.Conn, ttl time.Duration) (*migrationLease, error) {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	l := &migrationLease{ctx: ctx, c: c, ttl: ttl, holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))}
	deadline := time.Now().Add(migrationLeaseWait)
	for {
		ok, err := l.try()
		if err != nil || ok {
			return l, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("migrate: another instance has held the migration lease for %s; if it died, the lease expires %s after its last heartbeat", migrationLeaseWait, ttl)
		}
		t := time.NewTimer(200 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("migrate: waiting for the migration lease: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// try inserts the lease row, or takes over an expired one. A conflict with
// another instance's insert or update is a lease not taken, not an error.
func (l *migrationLease) try() (bool, error) {
	now := time.Now()
	expires := now.Add(l.ttl).UnixMilli()
	_, err := l.c.ExecContext(l.ctx, "INSERT INTO schema_migration_lease (id, holder, expires_ms) VALUES (1, ?, ?)", l.holder, expires)
	if err == nil {
		return true, nil
	}
	if !alreadyDone(err) && !retryable(err) {
		return false, fmt.Errorf("migrate: taking the migration lease: %w", err)
	}
	res, err := l.c.ExecContext(l.ctx, "UPDATE schema_migration_lease SET holder = ?, expires_ms = ? WHERE id = 1 AND expires_ms < ?",
		l.holder, expires, now.UnixMilli())
	if err != nil {
		if retryable(err) {
			return false, nil
		}
		return false, fmt.Errorf("migrate: taking over the migration lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// renew extends the lease after each migration; losing it (it expired and
// another instance took it) stops this run before its next step.
func (l *migrationLease) renew() error {
	if _, err := l.c.ExecContext(l.ctx, "UPDATE schema_migration_lease SET expires_ms = ? WHERE id = 1 AND holder = ?",
		time.Now().Add(l.ttl).UnixMilli(), l.holder); err != nil {
		return fmt.Errorf("migrate: renewing the migration lease: %w", err)
	}
	// Asked rather than read from the rows affected, which MySQL reports as
	// 0 when the new expiry equals the old.
	var holder string
	if err := l.c.QueryRowContext(l.ctx, "SELECT holder FROM schema_migration_lease WHERE id = 1").Scan(&holder); err != nil || holder != l.holder {
		return fmt.Errorf("migrate: the migration lease was lost (expired and taken by another instance): %v", err)
	}
	return nil
}

func (l *migrationLease) release() {
	_, _ = l.c.ExecContext(context.WithoutCancel(l.ctx), "DELETE FROM schema_migration_lease WHERE id = 1 AND holder = ?", l.holder)
}
