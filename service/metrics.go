package service

import (
	"context"
	"time"
)

// Figures are the database's totals that /metrics exports. They come from
// the shared database, so every instance reports the same numbers.
type Figures struct {
	Entitlements []StatusTotal // by status
	Batches      []StatusTotal // by status
	Imports      []StatusTotal // roster imports by status, Fen holding rows
	Runs         []RunTotal
	Leases       []LeaseHolder
}

// StatusTotal is a count and an amount for one status.
type StatusTotal struct {
	Status string
	N      int64
	Fen    int64
}

// RunTotal counts a job's runs by status with their total duration.
type RunTotal struct {
	Job     string
	Status  string
	N       int64
	Seconds float64
}

// LeaseHolder is who holds a job's lease now.
type LeaseHolder struct {
	Job    string
	Holder string
}

// Figures reads the totals with a handful of grouped queries.
func (s *Reports) Figures(ctx context.Context) (Figures, error) {
	var f Figures
	db := s.reader(ctx)
	if err := db.Table("entitlements").Select("status, COUNT(*) AS n, COALESCE(SUM(amount_fen), 0) AS fen").
		Group("status").Scan(&f.Entitlements).Error; err != nil {
		return f, err
	}
	if err := db.Table("batches").Select("status, COUNT(*) AS n, COALESCE(SUM(total_fen), 0) AS fen").
		Group("status").Scan(&f.Batches).Error; err != nil {
		return f, err
	}
	if err := db.Table("roster_imports").Select("status, COUNT(*) AS n, COALESCE(SUM(total_rows), 0) AS fen").
		Group("status").Scan(&f.Imports).Error; err != nil {
		return f, err
	}
	var runs []struct {
		Job, Status string
		N           int64
	}
	if err := db.Table("job_runs").Select("job, status, COUNT(*) AS n").Group("job, status").Scan(&runs).Error; err != nil {
		return f, err
	}
	// Durations are summed in Go: date arithmetic differs between engines.
	var finished []struct {
		Job, Status string
		StartedAt   time.Time
		FinishedAt  time.Time
	}
	if err := db.Table("job_runs").Select("job, status, started_at, finished_at").Where("finished_at IS NOT NULL").
		Order("id DESC").Limit(10000).Scan(&finished).Error; err != nil {
		return f, err
	}
	secs := map[[2]string]float64{}
	for _, r := range finished {
		secs[[2]string{r.Job, r.Status}] += r.FinishedAt.Sub(r.StartedAt).Seconds()
	}
	for _, r := range runs {
		f.Runs = append(f.Runs, RunTotal{Job: r.Job, Status: r.Status, N: r.N, Seconds: secs[[2]string{r.Job, r.Status}]})
	}
	err := db.Table("job_leases").Select("job, holder").Where("holder <> '' AND expires_at > ?", s.now()).Scan(&f.Leases).Error
	return f, err
}
