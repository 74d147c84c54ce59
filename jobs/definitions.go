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
	// Last year's loan statements (财政贴息, 风险补偿金) at 04:00 on 5 January;
	// the 还款提醒 list's day comes from configs/loans.yaml.
	"loan_statements": "0 4 5 1 *",
}

// Definitions are the service's jobs with schedules from config (a key set to
// "" disables a schedule; the job still runs by hand).
func Definitions(batches *service.Batches, anomalies *service.Anomalies, audit *service.Audit, loans *service.Loans, schedules map[string]string) []Job {
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
	return append(out, loanJobs(loans, schedules)...)
}

// loanJobs are the loan desk's yearly jobs, under the same leases as the rest.
func loanJobs(loans *service.Loans, schedules map[string]string) []Job {
	sched := func(name, def string) string {
		if v, ok := schedules[name]; ok {
			return v
		}
		return def
	}
	return []Job{
		{Name: "loan_reminders", Title: "生源地信用助学贷款还款提醒名单", Schedule: sched("loan_reminders", loans.ReminderSchedule()),
			Run: func(ctx context.Context, a model.Actor, _ bool, _ int64) (any, error) {
				// The list is read-only; a dry run is the same run.
				return loans.RemindRepayments(ctx, model.SystemActor("job:loan_reminders:"+actorLabel(a)))
			}},
		{Name: "loan_statements", Title: "生源地信用助学贷款年度贴息及风险补偿金统计表", Schedule: sched("loan_statements", DefaultSchedules["loan_statements"]),
			Run: func(ctx context.Context, a model.Actor, dryRun bool, _ int64) (any, error) {
				return loans.MakeLoanStatements(ctx, model.SystemActor("job:loan_statements:"+actorLabel(a)), dryRun)
			}},
	}
}

func actorLabel(a model.Actor) string {
	if a.Username == "" {
		return a.RequestID
	}
	return a.Username
}
