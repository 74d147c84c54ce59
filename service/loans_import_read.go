package service

import (
	"errors"
	"io"

	"studentaid/service/ledger"
)

// loanChunks reads an application workbook in a goroutine while the import's
// transaction checks and stores the chunks already read: the sheet's XML is
// parsed on one core while the database inserts on the other. A chunk is
// dropped once taken (a retried transaction reads the file again), so the
// rows of a large file are never all held at once.
type loanChunks struct {
	ch   chan ledger.LoanApplicationChunk
	done chan struct{}
	err  error // the reader's, set before ch is closed
}

var errImportStopped = errors.New("loan import stopped")

func (s *Loans) readLoanChunks(file io.ReaderAt, size int64) *loanChunks {
	c := &loanChunks{ch: make(chan ledger.LoanApplicationChunk, 2), done: make(chan struct{})}
	go func() {
		defer close(c.ch)
		c.err = ledger.ReadLoanApplications(file, size, s.opt.RosterMaxBytes, loanChunk, func(ch ledger.LoanApplicationChunk) error {
			select {
			case c.ch <- ch:
				return nil
			case <-c.done:
				return errImportStopped
			}
		})
	}()
	return c
}

// next is the next chunk, waiting for the reader if need be; false at the
// end of the sheet, with the reader's error when it failed.
func (c *loanChunks) next() (ledger.LoanApplicationChunk, bool, error) {
	ch, ok := <-c.ch
	if !ok {
		return ch, false, c.err
	}
	return ch, true, nil
}

// stop ends the reader and waits for it: the upload's file is closed once
// the import returns.
func (c *loanChunks) stop() {
	close(c.done)
	for range c.ch {
	}
}
