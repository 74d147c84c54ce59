package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	mysqldriver "github.com/go-sql-driver/mysql"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// conflicting makes the batch transaction fail as a Galera certification
// failure (or an InnoDB deadlock) does, the first `times` times.
func conflicting(times int32) func(*service.Options) {
	var n atomic.Int32
	return func(o *service.Options) {
		o.Fault = func(point string) error {
			if point == service.FaultBatchAfterLinesInsert && n.Add(1) <= times {
				return &mysqldriver.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
			}
			return nil
		}
	}
}

func scrape(t *testing.T, h *harness) string {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = "127.0.0.1:50000"
	rr := httptest.NewRecorder()
	h.engine.ServeHTTP(rr, req)
	want(t, rr, http.StatusOK)
	return rr.Body.String()
}

// A transaction rolled back by a certification failure (1213 at commit:
// another node wrote the same rows first) is tried again, and counted.
func TestCertificationFailureIsRetriedAndCounted(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		svc := servicetest.SecondInstance(t, env, conflicting(2))
		r, err := h.scheduler(svc, "node2").RunNow(context.Background(), model.SystemActor("test"), "batch_boarding", false)
		if err != nil || r.Status != "succeeded" {
			t.Fatalf("run after two conflicts: %+v %v", r, err)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM batches"); n != 1 {
			t.Fatalf("%d batches", n)
		}
		if m := scrape(t, h.instance(svc)); !strings.Contains(m, `studentaid_db_tx_retries_total{code="1213"} 2`) ||
			!strings.Contains(m, `studentaid_db_tx_retries_exhausted_total{code="1213"} 0`) {
			t.Fatalf("retries not in the metrics:\n%s", grepLines(m, "db_tx_retries"))
		}
	})
}

// The retry is bounded: a transaction that keeps conflicting fails the run,
// leaves nothing behind and is counted as given up.
func TestConflictRetriesAreBounded(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		svc := servicetest.SecondInstance(t, env, conflicting(1000))
		r, err := h.scheduler(svc, "node2").RunNow(context.Background(), model.SystemActor("test"), "batch_boarding", false)
		if err != nil || r.Status != "failed" {
			t.Fatalf("run that always conflicts: %+v %v", r, err)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM batches"); n != 0 {
			t.Fatalf("%d batches", n)
		}
		if rs := svc.TxRetries(); rs[0].Code != 1213 || rs[0].Retried != 9 || rs[0].GaveUp != 1 {
			t.Fatalf("retries: %+v", rs)
		}
	})
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Through a replica that does not hold the batch yet, the ledger still comes
// whole from the primary; through a replica that is down, lists and
// /readyz still work; both fallbacks are counted in /metrics.
func TestReplicaFallbacksKeepReadsWhole(t *testing.T) {
	if os.Getenv("MYSQL_TEST_DSN") == "" {
		servicetest.Drivers(t)
		t.Skip("needs MySQL")
	}
	env := servicetest.NewEnv(t, "mysql")
	h := newHarness(t, env)
	approvedBoarding(t, h)
	r := h.runJob("finance_nanxian", "batch_boarding", false)
	if len(r.Made.Batches) != 1 {
		t.Fatalf("no batch: %+v", r)
	}
	id := r.Made.Batches[0].ID
	var sum string
	env.DB.Raw("SELECT ledger_sha256 FROM batches WHERE id = ?", id).Scan(&sum)

	// The replica is an empty database with a fresh heartbeat: caught up in
	// time, but without the batch.
	empty := servicetest.OpenDB(t, "mysql")
	empty.Exec("UPDATE replica_heartbeat SET beat_at = ? WHERE id = 1", env.Clock.Now())
	behind := h.instance(servicetest.ReplicaInstance(t, env, servicetest.DSNOf(t, empty)))
	rr := behind.do("GET", fmt.Sprintf("/api/v1/batches/%d/ledger.xlsx", id), h.as("auditor_yiyang"), nil)
	want(t, rr, http.StatusOK)
	got := sha256.Sum256(rr.Body.Bytes())
	if hex.EncodeToString(got[:]) != sum || rr.Header().Get("ETag") != `"`+sum+`"` {
		t.Fatalf("ledger from a replica without the batch: %d bytes, sha %x, want %s", rr.Body.Len(), got, sum)
	}
	if m := scrape(t, behind); !strings.Contains(m, `studentaid_replica_fallbacks_total{reason="ledger_missing"} 1`) ||
		!strings.Contains(m, `studentaid_replica_up{replica="replica0"} 1`) {
		t.Fatalf("fallback not in the metrics:\n%s", grepLines(m, "replica"))
	}

	// A replica nobody answers on: every read goes to the primary.
	mc, _ := mysqldriver.ParseDSN(servicetest.DSNOf(t, empty))
	mc.Addr = "127.0.0.1:1"
	down := h.instance(servicetest.ReplicaInstance(t, env, mc.FormatDSN()))
	want(t, down.do("GET", "/readyz", "", nil), http.StatusOK)
	rr = down.do("GET", "/api/v1/batches", h.as("finance_nanxian"), nil)
	want(t, rr, http.StatusOK)
	if !strings.Contains(rr.Body.String(), sum) {
		t.Fatalf("batch list with the replica down: %s", rr.Body.String())
	}
	rr = down.do("GET", fmt.Sprintf("/api/v1/batches/%d/ledger.xlsx", id), h.as("auditor_yiyang"), nil)
	want(t, rr, http.StatusOK)
	if got := sha256.Sum256(rr.Body.Bytes()); hex.EncodeToString(got[:]) != sum {
		t.Fatal("ledger with the replica down differs")
	}
	if m := scrape(t, down); !strings.Contains(m, `studentaid_replica_up{replica="replica0"} 0`) ||
		!strings.Contains(m, `studentaid_replica_fallbacks_total{reason="replica_down"}`) {
		t.Fatalf("down replica not in the metrics:\n%s", grepLines(m, "replica"))
	}
}

// Through a replica that holds everything (here the primary's own database,
// its heartbeat current), lists and the ledger are read from the replica,
// whole, and counted there.
func TestReadsThroughACurrentReplica(t *testing.T) {
	if os.Getenv("MYSQL_TEST_DSN") == "" {
		servicetest.Drivers(t)
		t.Skip("needs MySQL")
	}
	env := servicetest.NewEnv(t, "mysql")
	h := newHarness(t, env)
	approvedBoarding(t, h)
	r := h.runJob("finance_nanxian", "batch_boarding", false)
	if len(r.Made.Batches) != 1 {
		t.Fatalf("no batch: %+v", r)
	}
	id := r.Made.Batches[0].ID
	var sum string
	env.DB.Raw("SELECT ledger_sha256 FROM batches WHERE id = ?", id).Scan(&sum)
	current := h.instance(servicetest.ReplicaInstance(t, env, servicetest.DSNOf(t, env.DB)))
	rr := current.do("GET", fmt.Sprintf("/api/v1/batches/%d/ledger.xlsx", id), h.as("auditor_yiyang"), nil)
	want(t, rr, http.StatusOK)
	if got := sha256.Sum256(rr.Body.Bytes()); hex.EncodeToString(got[:]) != sum {
		t.Fatalf("ledger through the replica: %d bytes, sha %x, want %s", rr.Body.Len(), got, sum)
	}
	rr = current.do("GET", "/api/v1/students?page_size=2", h.as("county_nanxian"), nil)
	want(t, rr, http.StatusOK)
	var page struct{ Total int }
	mustJSON(t, rr, &page)
	if page.Total != len(boarders) {
		t.Fatalf("students through the replica: %d, want %d", page.Total, len(boarders))
	}
	if m := scrape(t, current); !strings.Contains(m, `studentaid_replica_reads_total{replica="replica0"}`) ||
		strings.Contains(m, `studentaid_replica_reads_total{replica="replica0"} 0`) ||
		!strings.Contains(m, `studentaid_replica_fallbacks_total{reason="ledger_missing"} 0`) {
		t.Fatalf("reads not counted on the replica:\n%s", grepLines(m, "replica"))
	}
}
