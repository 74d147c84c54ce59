package service

import (
	"context"
	"strconv"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/roster"
)

// earlyApply writes a roster's rows while the file is still being read:
// the parser hands over every rosterChunk rows that passed, and they go into
// an open transaction, so reading the workbook and writing to the database
// overlap instead of taking turns. Nothing is decided early: the
// transaction commits only if the rows written are exactly the first rows of
// the final result (a later duplicate ID number fails rows already written)
// and the import is to go ahead at all; otherwise it rolls back and the
// import writes from the final result as if nothing had happened.
type earlyApply struct {
	tx     *gorm.DB
	jobs   chan func() // chunks to write and queries to run, in file order
	done   chan struct{}
	lines  []int // the file lines written, in order
	counts importCounts
	err    error
	closed bool
}

// startEarlyApply opens the transaction and sets opt to feed it.
func (s *Students) startEarlyApply(ctx context.Context, a model.Actor, ri model.RosterImport, opt *roster.Options) *earlyApply {
	tx := s.db.WithContext(ctx).Begin(s.engine.bulkTxOptions()...)
	if tx.Error != nil {
		return nil
	}
	e := &earlyApply{tx: tx, jobs: make(chan func(), 2), done: make(chan struct{})}
	source := "roster:" + strconv.FormatInt(ri.ID, 10)
	opt.OnRows = func(chunk []roster.Row) {
		e.jobs <- func() {
			if e.err != nil {
				return // an earlier chunk failed: the import writes from the final rows
			}
			var c importCounts
			err := safely(func() (err error) {
				if c, err = s.applyChunk(tx, a, ri, source, chunk, true); err != nil {
					return err
				}
				return s.fault(FaultRosterMidWrite)
			})
			if err != nil {
				e.err = err
				return
			}
			e.counts.add(c)
			for _, r := range chunk {
				e.lines = append(e.lines, r.Line)
			}
		}
	}
	opt.StreamRows = rosterChunk
	go func() {
		defer close(e.done)
		for job := range e.jobs {
			job()
		}
	}()
	return e
}

// query runs fn on the transaction, in turn with the writes: the
// transaction holds SQLite's one connection, and a MySQL connection takes
// one statement at a time.
func (e *earlyApply) query(fn func(*gorm.DB) error) error {
	done := make(chan error, 1)
	e.jobs <- func() { done <- fn(e.tx) }
	return <-done
}

// parsed tells the writer the file is read and waits for it to catch up.
func (e *earlyApply) parsed() {
	close(e.jobs)
	<-e.done
}

// usable reports whether what was written is the start of the final rows.
func (e *earlyApply) usable(final []roster.Row) bool {
	if e.err != nil || len(e.lines) > len(final) {
		return false
	}
	for i, l := range e.lines {
		if final[i].Line != l {
			return false
		}
	}
	return true
}

// finish runs the rest of the import in the transaction and commits.
func (e *earlyApply) finish(fn func(tx *gorm.DB) error) error {
	e.closed = true
	if err := fn(e.tx); err != nil {
		e.tx.Rollback()
		return err
	}
	return e.tx.Commit().Error
}

// rollback undoes what was written, unless finish already ended it.
func (e *earlyApply) rollback() {
	if !e.closed {
		e.closed = true
		e.tx.Rollback()
	}
}
