package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// Job run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunSkipped   = "skipped"
)

// AcquireLease takes the job's lease for holder until ttl from now, when it
// is free or expired. Each statement is atomic on its own: of instances
// racing on one database exactly one UPDATE (or, for a job never run,
// INSERT) changes the row. On Galera two nodes can each change the row
// locally; the cluster certifies one, the other gets 1213 and is retried,
// and then finds the lease held.
func (s *Jobs) AcquireLease(ctx context.Context, job, holder string, ttl time.Duration) (bool, error) {
	var won bool
	err := s.retry(ctx, func() error {
		db := s.db.WithContext(ctx)
		now := s.now()
		res := db.Model(&model.JobLease{}).Where("job = ? AND (holder = '' OR expires_at < ?)", job, now).
			Updates(map[string]any{"holder": holder, "expires_at": now.Add(ttl), "run_id": nil})
		if won = res.RowsAffected == 1; won || res.Error != nil {
			return res.Error
		}
		err := db.Create(&model.JobLease{Job: job, Holder: holder, ExpiresAt: now.Add(ttl)}).Error
		if won = err == nil; errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil
		}
		return err
	})
	return won, err
}

// RenewLease extends a held lease; false means it was lost (expired and
// taken), and the run must stop writing.
func (s *Jobs) RenewLease(ctx context.Context, job, holder string, ttl time.Duration) (bool, error) {
	var kept bool
	err := s.retry(ctx, func() error {
		db := s.db.WithContext(ctx)
		res := db.Model(&model.JobLease{}).Where("job = ? AND holder = ?", job, holder).Update("expires_at", s.now().Add(ttl))
		if kept = res.RowsAffected == 1; kept || res.Error != nil {
			return res.Error
		}
		// MySQL counts changed rows, not matched ones: a renewal that
		// writes the expiry already stored (the same clock reading, or a
		// clock stepped back) reports 0. The row says whether the lease is
		// still ours; nobody can have taken it in between, since an UPDATE
		// that matched left it unexpired.
		var l model.JobLease
		err := db.Where("job = ?", job).Limit(1).Find(&l).Error
		kept = err == nil && l.Holder == holder
		return err
	})
	return kept, err
}

// ReleaseLease frees the lease so the next run need not wait for expiry.
func (s *Jobs) ReleaseLease(ctx context.Context, job, holder string) error {
	return s.retry(ctx, func() error {
		return s.db.WithContext(ctx).Model(&model.JobLease{}).Where("job = ? AND holder = ?", job, holder).
			Updates(map[string]any{"holder": "", "expires_at": s.now()}).Error
	})
}

// LeaseOf reports who holds a job's lease (for /jobs and the metrics).
func (s *Jobs) LeaseOf(ctx context.Context, job string) (model.JobLease, error) {
	var l model.JobLease
	err := s.db.WithContext(ctx).Where("job = ?", job).Limit(1).Find(&l).Error
	return l, err
}

// StartRun records a run as running.
func (s *Jobs) StartRun(ctx context.Context, r model.JobRun) (model.JobRun, error) {
	r.ID, r.StartedAt, r.Made = 0, s.now(), "{}"
	if r.Status == "" {
		r.Status = RunRunning
	}
	if r.ScheduledFor != nil {
		t := r.ScheduledFor.UTC().Truncate(time.Microsecond)
		r.ScheduledFor = &t
	}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return r, err
	}
	if r.Status == RunRunning {
		return r, s.db.WithContext(ctx).Model(&model.JobLease{}).Where("job = ? AND holder = ?", r.Job, r.Instance).
			Update("run_id", r.ID).Error
	}
	return r, nil
}

// FinishRun records how a run ended and what it made.
func (s *Jobs) FinishRun(ctx context.Context, id int64, status string, made any, runErr error) (model.JobRun, error) {
	b, _ := json.Marshal(made)
	fields := map[string]any{"status": status, "made": string(b), "finished_at": s.now()}
	if runErr != nil {
		fields["error"] = truncateRunes(userMessage(runErr)+"（"+runErr.Error()+"）", 900)
	}
	db := context.WithoutCancel(ctx)
	var r model.JobRun
	if err := s.db.WithContext(db).Model(&model.JobRun{}).Where("id = ?", id).Updates(fields).Error; err != nil {
		return r, err
	}
	return r, s.db.WithContext(db).First(&r, id).Error
}

// MarkAbandonedRuns ends runs left "running" by an instance that died: their
// lease has expired or passed to another run.
func (s *Jobs) MarkAbandonedRuns(ctx context.Context, job string) (int64, error) {
	db := s.db.WithContext(ctx)
	now := s.now()
	var lease model.JobLease
	if err := db.Where("job = ?", job).Limit(1).Find(&lease).Error; err != nil {
		return 0, err
	}
	q := db.Model(&model.JobRun{}).Where("job = ? AND status = ?", job, RunRunning)
	if lease.Holder != "" && lease.ExpiresAt.After(now) && lease.RunID != nil {
		q = q.Where("id <> ?", *lease.RunID)
	}
	res := q.Updates(map[string]any{"status": RunFailed, "finished_at": now,
		"error": "运行该任务的实例已中断（租约过期），本次运行未完成；其事务已回滚，下次运行会完成这项工作"})
	return res.RowsAffected, res.Error
}

// LastSucceededSchedule is the latest schedule time a run succeeded for, so
// a start can tell whether the last due run was missed.
func (s *Jobs) LastSucceededSchedule(ctx context.Context, job string) (*time.Time, error) {
	var r model.JobRun
	// A run recorded under a clock that was ahead must not hide due times
	// that are now in the past: only schedules up to now count.
	err := s.db.WithContext(ctx).Where("job = ? AND status = ? AND scheduled_for IS NOT NULL AND scheduled_for <= ? AND dry_run = ?",
		job, RunSucceeded, s.now(), false).
		Order("scheduled_for DESC").Limit(1).Find(&r).Error
	return r.ScheduledFor, err
}

// LastRun is the job's latest run, if any.
func (s *Jobs) LastRun(ctx context.Context, job string) (*model.JobRun, error) {
	var r model.JobRun
	res := s.db.WithContext(ctx).Where("job = ?", job).Order("id DESC").Limit(1).Find(&r)
	if res.Error != nil || res.RowsAffected == 0 {
		return nil, res.Error
	}
	return &r, nil
}

// ListRuns is for admins, finance and auditors.
func (s *Jobs) ListRuns(ctx context.Context, a model.Actor, job string, p Page) (List[model.JobRun], error) {
	out := List[model.JobRun]{Page: p.Normalize()}
	if !a.Is(model.RoleAdmin, model.RoleFinance, model.RoleAuditor) {
		return out, errRoleForbidden
	}
	q := s.db.WithContext(ctx).Model(&model.JobRun{})
	if job != "" {
		q = q.Where("job = ?", job)
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	if err := out.Page.apply(q.Order("id DESC")).Find(&out.Items).Error; err != nil {
		return out, err
	}
	for i := range out.Items {
		out.Items[i].Made = madeInScope(a, out.Items[i].Made)
	}
	return out, nil
}

// madeInScope keeps of what a run made only the batches the actor sees
// (API.md /jobs/runs); what names no region (held aid by student id, a
// scan's city-wide counts) is for admins only.
func madeInScope(a model.Actor, made string) string {
	if a.ScopeKind() == "all" {
		return made
	}
	var m struct {
		DryRun  bool        `json:"dry_run"`
		Batches []BatchMade `json:"batches"`
	}
	if json.Unmarshal([]byte(made), &m) != nil || m.Batches == nil {
		return "{}"
	}
	kept := []BatchMade{}
	for _, b := range m.Batches {
		if seesRegion(a, b.RegionCode) {
			kept = append(kept, b)
		}
	}
	m.Batches = kept
	b, _ := json.Marshal(m)
	return string(b)
}
