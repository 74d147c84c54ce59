package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// apiCohort is the API test's students: two years of enrolment each, a
// difficulty record, two history rows and (every second one) an approved
// entitlement.
func apiCohort(cfg *Config, schools []School) cohort {
	prev := fmt.Sprintf("%d-%d", mustAtoi(schoolYear()[:4])-1, mustAtoi(schoolYear()[:4]))
	return cohort{Students: cfg.APIStudents, Schools: schools, Year: schoolYear(), PrevYear: prev, Changes: 2}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func taskAPILoad(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, schools, err := freshEnv(ctx, cfg, cfg.APISchools)
	if err != nil {
		return err
	}
	defer e.Close()
	c := apiCohort(cfg, schools)
	t.Start()
	err = loadCohort(ctx, e, c)
	if err == nil {
		_, err = insertApproved(ctx, e, c, 2)
	}
	if err == nil {
		err = analyze(ctx, e, "students", "enrolments", "difficulty_records", "student_changes", "entitlements")
	}
	t.Stop()
	r.Rows = c.Students
	r.Note = fmt.Sprintf("%d schools, 2 enrolments, 2 changes each", len(schools))
	return err
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs the built studentaid binary on the bench database, as
// production would, and waits until it answers.
func startServer(ctx context.Context, cfg *Config, db string) (*exec.Cmd, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	dsn, err := mysqlDSN(cfg.ServerDSN, db)
	if err != nil {
		return nil, "", err
	}
	logf, err := os.Create(workPath(cfg, "api-server.log"))
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(cfg.Binary, "serve")
	cmd.Env = append(os.Environ(),
		"STUDENTAID_DATABASE_DRIVER=mysql",
		"STUDENTAID_DATABASE_DSN="+dsn,
		"STUDENTAID_LISTEN=127.0.0.1:"+strconv.Itoa(port),
		"STUDENTAID_ADMIN_PASSWORD="+adminPassword,
		"STUDENTAID_DATA_KEY="+cfg.Key,
		"STUDENTAID_DATA_DIR="+workPath(cfg, "api-data"),
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, "", err
	}
	logf.Close()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base, nil
			}
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopServer(cmd)
	return nil, "", fmt.Errorf("server did not become ready; see %s", workPath(cfg, "api-server.log"))
}

func stopServer(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// loadResult is one load test.
type loadResult struct {
	Requests float64
	Seconds  float64
	P99ms    float64
	P50ms    float64
	Errors   float64
	Tool     string
}

func taskAPI(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, err := openEnv(ctx, cfg, cfg.target())
	if err != nil {
		return err
	}
	schools, err := loadSchools(ctx, e)
	e.Close()
	if err != nil {
		return err
	}
	var base string
	serverPID := ""
	if cfg.APIInProcess {
		// For profiling: the same engine in this process (access log at info to
		// a file, as the binary writes it), so the CPU profile covers the server.
		ie, err := openEnvLogged(ctx, cfg, cfg.target(), workPath(cfg, "api-server.log"))
		if err != nil {
			return err
		}
		defer ie.Close()
		srv, cl := serveLoopback(ie.Engine)
		defer srv.Close()
		base, serverPID = cl.Base, "self"
	} else {
		cmd, b, err := startServer(ctx, cfg, cfg.DB)
		if err != nil {
			return err
		}
		defer stopServer(cmd)
		base, serverPID = b, strconv.Itoa(cmd.Process.Pid)
	}
	cl := &Client{Base: base, HTTP: &http.Client{}}
	if err := cl.login(countyUser, benchPassword); err != nil {
		return err
	}
	// Smoke both endpoints before loading them.
	var list struct{ Total int }
	if err := cl.do("GET", fmt.Sprintf("/api/v1/students?school_id=%d", schools[0].ID), nil, "", http.StatusOK, &list); err != nil {
		return err
	}
	perSchool := max(list.Total, 1)
	if err := cl.do("GET", "/api/v1/students/1", nil, "", http.StatusOK, nil); err != nil {
		return err
	}
	const pages = 50 // the first 50 pages of 20 rows: what officers page through
	ids := make([]int64, len(schools))
	for i, s := range schools {
		ids[i] = s.ID
	}
	listPath := func(rng *rand.Rand) string {
		return fmt.Sprintf("/api/v1/students?page=%d&school_id=%d", 1+rng.IntN(min(pages, perSchool/20+1)), ids[rng.IntN(len(ids))])
	}
	detailPath := func(rng *rand.Rand) string {
		return fmt.Sprintf("/api/v1/students/%d", 1+rng.IntN(cfg.APIStudents))
	}
	t.Start()
	for _, ep := range []struct {
		key  string
		path func(*rand.Rand) string
		lua  string
	}{
		{"list", listPath, fmt.Sprintf(`local ids = {%s}
request = function()
  local p = math.random(%d)
  local s = ids[math.random(#ids)]
  return wrk.format("GET", "/api/v1/students?page=" .. p .. "&school_id=" .. s, headers)
end`, joinIDs(ids), min(pages, perSchool/20+1))},
		{"detail", detailPath, fmt.Sprintf(`request = function()
  return wrk.format("GET", "/api/v1/students/" .. math.random(%d), headers)
end`, cfg.APIStudents)},
	} {
		var lr loadResult
		if cfg.Wrk != "" {
			lr, err = runWrk(ctx, cfg, base, cl.Token, ep.key, ep.lua)
		} else {
			lr, err = runGoLoad(ctx, cfg, base, cl.Token, ep.path)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", ep.key, err)
		}
		r.Extra[ep.key+"_requests"] = lr.Requests
		r.Extra[ep.key+"_seconds"] = lr.Seconds
		r.Extra[ep.key+"_p99_ms"] = lr.P99ms
		r.Extra[ep.key+"_p50_ms"] = lr.P50ms
		r.Extra[ep.key+"_errors"] = lr.Errors
		r.Extra[ep.key+"_server_rss_mb"] = vmHWM(serverPID)
		where := "server binary"
		if cfg.APIInProcess {
			where = "in-process engine (profiling)"
		}
		r.Note = fmt.Sprintf("%s, %d conns, %d s, %s", lr.Tool, cfg.APIConns, cfg.APISeconds, where)
	}
	t.Stop()
	r.Rows = cfg.APIStudents
	return nil
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

// runWrk runs wrk on loopback for the configured duration and parses its
// report (--latency gives the 99th percentile).
func runWrk(ctx context.Context, cfg *Config, base, token, name, lua string) (loadResult, error) {
	script := workPath(cfg, "wrk-"+name+".lua")
	body := fmt.Sprintf("headers = {}\nheaders[\"Authorization\"] = \"Bearer %s\"\nmath.randomseed(%d)\n%s\n", token, time.Now().UnixNano()%1e9, lua)
	if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
		return loadResult{}, err
	}
	cmd := exec.CommandContext(ctx, cfg.Wrk, "-t2", "-c"+strconv.Itoa(cfg.APIConns), "-d"+strconv.Itoa(cfg.APISeconds)+"s",
		"--timeout", "5s", "--latency", "-s", script, base)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(workPath(cfg, "wrk-"+name+".txt"), out, 0o644)
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	return parseWrk(string(out))
}

var (
	wrkTotal  = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m)`)
	wrkPct    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func toMS(v float64, unit string) float64 {
	switch unit {
	case "us":
		return v / 1000
	case "s":
		return v * 1000
	case "m":
		return v * 60000
	}
	return v
}

func parseWrk(out string) (loadResult, error) {
	lr := loadResult{Tool: "wrk"}
	m := wrkTotal.FindStringSubmatch(out)
	if m == nil {
		return lr, fmt.Errorf("cannot read wrk output: %s", out)
	}
	lr.Requests, _ = strconv.ParseFloat(m[1], 64)
	d, _ := strconv.ParseFloat(m[2], 64)
	lr.Seconds = toMS(d, m[3]) / 1000
	for _, p := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		if p[1] == "99" {
			lr.P99ms = toMS(v, p[3])
		} else {
			lr.P50ms = toMS(v, p[3])
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.ParseFloat(m[1], 64)
		lr.Errors += n
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.ParseFloat(s, 64)
			lr.Errors += n
		}
	}
	return lr, nil
}

// runGoLoad is the fallback when wrk is not installed: conns goroutines each
// sending requests back to back for the duration, on keep-alive connections.
func runGoLoad(ctx context.Context, cfg *Config, base, token string, path func(*rand.Rand) string) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.APIConns, MaxConnsPerHost: cfg.APIConns}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	deadline := time.Now().Add(time.Duration(cfg.APISeconds) * time.Second)
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < cfg.APIConns; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, seed*7+1))
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req, _ := http.NewRequest("GET", base+path(rng), nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						bad++
					}
				} else {
					bad++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}(uint64(w + 1))
	}
	wg.Wait()
	el := time.Since(start)
	if len(lat) == 0 {
		return loadResult{}, fmt.Errorf("no requests completed")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	return loadResult{Requests: float64(len(lat)), Seconds: el.Seconds(), P99ms: pct(0.99), P50ms: pct(0.5), Errors: float64(errs),
		Tool: "Go load generator"}, nil
}
