package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// taskAnomaly times an anomaly scan over the calculated (and batched)
// entitlements: POST /anomalies/scan as the city's auditor. The note names
// the rules that took longest, from the scan's own step timings.
func taskAnomaly(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, err := openEnv(ctx, cfg, cfg.target())
	if err != nil {
		return err
	}
	defer e.Close()
	var n int64
	if err := e.DB.WithContext(ctx).Table("entitlements").Count(&n).Error; err != nil {
		return err
	}
	r.Rows = int(n)
	srv, cl := serveLoopback(e.Engine)
	defer srv.Close()
	if err := cl.login(auditorUser, benchPassword); err != nil {
		return err
	}
	var scan struct {
		Found  int
		ByRule map[string]int   `json:"by_rule"`
		StepMS map[string]int64 `json:"step_ms"`
	}
	t.Start()
	err = cl.do("POST", "/api/v1/anomalies/scan", nil, "", http.StatusOK, &scan)
	t.Stop()
	if err != nil {
		return err
	}
	steps := make([]string, 0, len(scan.StepMS))
	for rule := range scan.StepMS {
		steps = append(steps, rule)
	}
	slices.SortFunc(steps, func(a, b string) int { return int(scan.StepMS[b] - scan.StepMS[a]) })
	for i, rule := range steps {
		steps[i] = fmt.Sprintf("%s %.1f s", rule, float64(scan.StepMS[rule])/1000)
	}
	r.Note = fmt.Sprintf("POST /anomalies/scan: %d findings %v; slowest rules: %s", scan.Found, scan.ByRule,
		strings.Join(steps[:min(4, len(steps))], ", "))
	return nil
}
