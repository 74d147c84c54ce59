package api

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"studentaid/service"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studentaid_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "studentaid_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// observe labels by route pattern so IDs in paths do not explode the series.
func (m *httpMetrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
}

// figuresCollector exports the database's totals at scrape time.
type figuresCollector struct {
	svc                                      *service.Reports
	log                                      *slog.Logger
	entN, entFen, batchN, batchFen, imports  *prometheus.Desc
	importRows, runs, runSeconds, leaseHolds *prometheus.Desc
}

func newFiguresCollector(svc *service.Reports, log *slog.Logger) *figuresCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("studentaid_"+name, help, labels, nil)
	}
	return &figuresCollector{svc: svc, log: log,
		entN:       d("entitlements", "Entitlements by status.", "status"),
		entFen:     d("entitlements_fen", "Entitlement amounts in fen by status.", "status"),
		batchN:     d("batches", "Disbursement batches by status.", "status"),
		batchFen:   d("batches_fen", "Batch totals in fen by status.", "status"),
		imports:    d("roster_imports", "Roster imports by result.", "status"),
		importRows: d("roster_import_rows", "Rows in roster imports by result.", "status"),
		runs:       d("job_runs", "Job runs by job and status.", "job", "status"),
		runSeconds: d("job_run_seconds", "Total duration of finished job runs.", "job", "status"),
		leaseHolds: d("job_lease_held", "1 for the instance holding a job's lease.", "job", "holder"),
	}
}

func (c *figuresCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.entN, c.entFen, c.batchN, c.batchFen, c.imports, c.importRows, c.runs, c.runSeconds, c.leaseHolds} {
		ch <- d
	}
}

func (c *figuresCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := c.svc.Figures(ctx)
	if err != nil {
		c.log.Warn("metrics: reading figures", "err", err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, x := range f.Entitlements {
		gauge(c.entN, float64(x.N), x.Status)
		gauge(c.entFen, float64(x.Fen), x.Status)
	}
	for _, x := range f.Batches {
		gauge(c.batchN, float64(x.N), x.Status)
		gauge(c.batchFen, float64(x.Fen), x.Status)
	}
	for _, x := range f.Imports {
		gauge(c.imports, float64(x.N), x.Status)
		gauge(c.importRows, float64(x.Fen), x.Status)
	}
	for _, r := range f.Runs {
		gauge(c.runs, float64(r.N), r.Job, r.Status)
		gauge(c.runSeconds, r.Seconds, r.Job, r.Status)
	}
	for _, l := range f.Leases {
		gauge(c.leaseHolds, 1, l.Job, l.Holder)
	}
}
