package api

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"studentaid/service"
)

// dbCollector exports what this instance saw of the database layer: the
// transactions it retried after a deadlock or Galera certification failure,
// and the read replicas (lag, reads sent, reads that fell back to the
// primary). These are the instance's own counters, unlike the figures.
type dbCollector struct {
	svc                                        *service.Service
	retried, gaveUp, lag, up, reads, fallbacks *prometheus.Desc
}

func newDBCollector(svc *service.Service) *dbCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("studentaid_"+name, help, labels, nil)
	}
	return &dbCollector{svc: svc,
		retried: d("db_tx_retries_total", "Transactions tried again after a deadlock, lock wait timeout or Galera certification failure (MySQL error number).", "code"),
		gaveUp:  d("db_tx_retries_exhausted_total", "Transactions that still conflicted after the last attempt.", "code"),
		lag:     d("replica_lag_seconds", "Age of the newest heartbeat the read replica held at the last check.", "replica"),
		up:      d("replica_up", "1 when the read replica answered the last check.", "replica"),
		reads:   d("replica_reads_total", "Reads this instance sent to the read replica.", "replica"),
		fallbacks: d("replica_fallbacks_total",
			"Reads that went to the primary because no replica could serve them: down, lagging, or without the batch's ledger yet.", "reason"),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.retried, c.gaveUp, c.lag, c.up, c.reads, c.fallbacks} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	metric := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, labels...)
	}
	for _, r := range c.svc.TxRetries() {
		code := strconv.Itoa(int(r.Code))
		metric(c.retried, prometheus.CounterValue, float64(r.Retried), code)
		metric(c.gaveUp, prometheus.CounterValue, float64(r.GaveUp), code)
	}
	for _, r := range c.svc.ReplicaStates() {
		up := 0.0
		if r.Up {
			up = 1
			// A replica without a heartbeat has no lag to show.
			if r.Lag.Hours() < 24*365 {
				metric(c.lag, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
			}
		}
		metric(c.up, prometheus.GaugeValue, up, r.Name)
		metric(c.reads, prometheus.CounterValue, float64(r.Reads), r.Name)
	}
	for reason, n := range c.svc.ReplicaFallbacks() {
		metric(c.fallbacks, prometheus.CounterValue, float64(n), reason)
	}
}
