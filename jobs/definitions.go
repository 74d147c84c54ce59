package jobs

import (
	"context"

	"studentaid/model"
	"studentaid/service"
)

// DefaultSchedules: batches at 03:00 on 10 October and 10 April (after the
// autumn and spring lists are approved), in Asia/Shanghai.
var DefaultSchedules = map[string]string{
	"batch_boarding":         "0 3 10 4,10 *",
	"batch_nonboarding":      "0 3 10 4,10 *",
	"batch_vocational_grant": "0 3 10 4,10 *",
	"batch_senior_grant":     "0 3 10 4,10 *",
	// The anomaly scan runs nightly at 02:00, before the day's work starts.
	"anomaly_scan": "0 2 * * *",
	// The audit chain's head is exported daily, outside the database.
	"audit_anchor": "30 2 * * *",
}

// Definitions are the service's jobs with schedules from config (a key set to
// "" disables a schedule; the job still runs by hand).
func Definitions(batches *service.Batches, anomalies *service.Anomalies, audit *service.Audit, schedules map[string]string) []Job {
	var out []Job
	for _, p := range model.Programs {
		p := p
		name := "batch_" + p.Code
		sched, ok := schedules[name]
		if !ok {
			sched = DefaultSchedules[name]
		}
		out = append(out, Job{Name: name, Title: "生成发放批次：" + p.Name, Schedule: sched,
			Run: func(ctx context.Context, a model.Actor, dryRun bool, runID int64) (any, error) {
				return batches.GenerateBatches(ctx, a, p.Code, dryRun, &runID)
			}})
	}
	sched, ok := schedules["anomaly_scan"]
	if !ok {
		sched = DefaultSchedules["anomaly_scan"]
	}
	out = append(out, Job{Name: "anomaly_scan", Title: "异常情况扫描（审计规则）", Schedule: sched,
		Run: func(ctx context.Context, a model.Actor, dryRun bool, _ int64) (any, error) {
			// The scan is global whoever starts it; the audit log names who asked.
			return anomalies.ScanAnomalies(ctx, model.SystemActor("job:anomaly_scan:"+actorLabel(a)), service.ScanOptions{DryRun: dryRun})
		}})
	sched, ok = schedules["audit_anchor"]
	if !ok {
		sched = DefaultSchedules["audit_anchor"]
	}
	out = append(out, Job{Name: "audit_anchor", Title: "导出审计日志链头（外部锚点）", Schedule: sched,
		Run: func(ctx context.Context, _ model.Actor, dryRun bool, _ int64) (any, error) {
			return audit.AnchorAudit(ctx, dryRun)
		}})
	return out
}

func actorLabel(a model.Actor) string {
	if a.Username == "" {
		return a.RequestID
	}
	return a.Username
}
