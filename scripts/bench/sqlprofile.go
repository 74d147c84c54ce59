package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// sqlProfile times every statement the service runs through gorm, grouped
// by its text with the values and IN lists folded, so a profile shows where
// a task waits on the database (the CPU profile only shows the Go side).
type sqlProfile struct {
	mu    sync.Mutex
	stats map[string]*sqlStat
}

type sqlStat struct {
	n     int
	total time.Duration
	max   time.Duration
	rows  int64
}

var (
	foldIn    = regexp.MustCompile(`\(\?(,\s*\?)+\)`)
	foldSpace = regexp.MustCompile(`\s+`)
)

const startKey = "bench:sqlprofile:start"

// timing is on between timer.Start and timer.Stop: only the timed part is
// profiled. sqlProf is the task process's profile (one task per process).
var (
	timing  atomic.Bool
	sqlProf *sqlProfile
)

// profileSQL adds the timing callbacks to db, recording into p (a new
// profile when p is nil).
func profileSQL(db *gorm.DB, p *sqlProfile) (*sqlProfile, error) {
	if p == nil {
		p = &sqlProfile{stats: map[string]*sqlStat{}}
	}
	before := func(tx *gorm.DB) { tx.InstanceSet(startKey, time.Now()) }
	after := func(tx *gorm.DB) {
		v, ok := tx.InstanceGet(startKey)
		if !ok || tx.Statement == nil || !timing.Load() {
			return
		}
		d := time.Since(v.(time.Time))
		q := foldSpace.ReplaceAllString(foldIn.ReplaceAllString(tx.Statement.SQL.String(), "(?…)"), " ")
		p.mu.Lock()
		defer p.mu.Unlock()
		s := p.stats[q]
		if s == nil {
			s = &sqlStat{}
			p.stats[q] = s
		}
		s.n++
		s.total += d
		s.max = max(s.max, d)
		s.rows += tx.RowsAffected
	}
	cbs := db.Callback()
	type reg struct {
		before, after error
	}
	regs := []reg{
		{cbs.Query().Before("gorm:query").Register("bench:sql:before", before), cbs.Query().After("gorm:query").Register("bench:sql:after", after)},
		{cbs.Row().Before("gorm:row").Register("bench:sql:before", before), cbs.Row().After("gorm:row").Register("bench:sql:after", after)},
		{cbs.Raw().Before("gorm:raw").Register("bench:sql:before", before), cbs.Raw().After("gorm:raw").Register("bench:sql:after", after)},
		{cbs.Create().Before("gorm:create").Register("bench:sql:before", before), cbs.Create().After("gorm:create").Register("bench:sql:after", after)},
		{cbs.Update().Before("gorm:update").Register("bench:sql:before", before), cbs.Update().After("gorm:update").Register("bench:sql:after", after)},
		{cbs.Delete().Before("gorm:delete").Register("bench:sql:before", before), cbs.Delete().After("gorm:delete").Register("bench:sql:after", after)},
	}
	for _, r := range regs {
		if r.before != nil {
			return nil, r.before
		}
		if r.after != nil {
			return nil, r.after
		}
	}
	return p, nil
}

// write lists the statements by total time, most expensive first.
func (p *sqlProfile) write(path string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	type row struct {
		q string
		s *sqlStat
	}
	var rows []row
	var total time.Duration
	for q, s := range p.stats {
		rows = append(rows, row{q, s})
		total += s.total
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].s.total > rows[j].s.total })
	var b strings.Builder
	fmt.Fprintf(&b, "statements by total time (sum %.2f s)\n", total.Seconds())
	fmt.Fprintf(&b, "%10s %8s %10s %10s %10s  %s\n", "total s", "count", "mean ms", "max ms", "rows", "statement")
	for _, r := range rows {
		q := r.q
		if len(q) > 400 {
			q = q[:400] + "…"
		}
		fmt.Fprintf(&b, "%10.2f %8d %10.2f %10.1f %10d  %s\n", r.s.total.Seconds(), r.s.n,
			float64(r.s.total.Microseconds())/float64(r.s.n)/1000, float64(r.s.max.Microseconds())/1000, r.s.rows, q)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
