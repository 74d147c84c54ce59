package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"studentaid/api"
	"studentaid/configs"
	"studentaid/jobs"
	"studentaid/model"
	"studentaid/service"
)

// Config is what the orchestrator hands every task process (as JSON).
type Config struct {
	Quick     bool   `json:"quick"`
	Work      string `json:"work"`       // scratch directory: files, SQLite databases, profiles
	ServerDSN string `json:"server_dsn"` // MySQL server DSN without a database ("" = no MySQL)
	Key       string `json:"key"`        // base64 data key shared by every task of the run
	Profile   string `json:"profile"`    // directory for pprof files, "" for none
	Binary    string `json:"binary"`     // the built studentaid binary (API task)
	Wrk       string `json:"wrk"`        // path of wrk, "" to use the built-in load generator

	// Set per task by the orchestrator.
	Driver     string `json:"driver"`      // mysql or sqlite
	DB         string `json:"db"`          // the task's database: a bench_ name, or a SQLite file
	RosterFile string `json:"roster_file"` // the generated roster
	LoanFile   string `json:"loan_file"`   // the generated loan applications

	RosterRows  int `json:"roster_rows"`
	CalcSchools int `json:"calc_schools"`
	CalcLines   int `json:"calc_lines"` // eligible students = entitlements = batch lines
	APIStudents int `json:"api_students"`
	APISchools  int `json:"api_schools"`
	APISeconds  int `json:"api_seconds"`
	APIConns    int `json:"api_conns"`

	LoanRows          int `json:"loan_rows"`           // applications imported
	LoanStatementRows int `json:"loan_statement_rows"` // disbursed loans of the statement's county

	APIInProcess bool   `json:"api_in_process"` // serve the API test from the task process (to profile it)
	DSNParams    string `json:"dsn_params"`     // extra MySQL DSN parameters (what-if runs)
}

// Fixed facts of the bench data: one county (南县) holding every school.
const (
	county         = "430921"
	countyName     = "南县"
	benchPassword  = "bench-password-2026"
	rosterSchool   = "2143092001"
	programCode    = "boarding"
	countyUser     = "bench_county"
	schoolUser     = "bench_school"
	financeUser    = "bench_finance"
	auditorUser    = "bench_auditor"
	adminPassword  = "bench-admin-password"
	rosterFileName = "roster.xlsx"
)

// term is the current autumn or spring term; the roster's school year is its year.
func term() model.Term { return model.TermOf(time.Now()) }

func schoolYear() string { return term().SchoolYear() }

// dsnParams are extra DSN parameters for every bench connection of a run
// (-dsn-params), to measure a driver setting without changing the service.
var dsnParams string

// mysqlDSN names a database on the configured server, with the settings the
// service itself uses.
func mysqlDSN(server, db string) (string, error) {
	mc, err := mysqldriver.ParseDSN(server)
	if err != nil {
		return "", err
	}
	mc.DBName = db
	mc.ParseTime = true
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	mc.Params["charset"] = "utf8mb4"
	dsn := mc.FormatDSN()
	if dsnParams != "" {
		// What-if settings (-dsn-params), e.g. interpolateParams=true: parsed
		// again so the driver's own options are set, not passed to the server.
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		if _, err := mysqldriver.ParseDSN(dsn + sep + dsnParams); err != nil {
			return "", fmt.Errorf("-dsn-params: %w", err)
		}
		dsn += sep + dsnParams
	}
	return dsn, nil
}

// adminSQL opens the server without a database, for CREATE/DROP DATABASE.
func adminSQL(server string) (*sql.DB, error) {
	mc, err := mysqldriver.ParseDSN(server)
	if err != nil {
		return nil, err
	}
	mc.DBName = ""
	return sql.Open("mysql", mc.FormatDSN())
}

// createDatabase makes an empty bench_ database (dropping a leftover one).
func createDatabase(server, name string) error {
	if !strings.HasPrefix(name, "bench_") {
		return fmt.Errorf("refusing to create %q: bench databases start with bench_", name)
	}
	db, err := adminSQL(server)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
		return err
	}
	_, err = db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	return err
}

// serverSettings names the server and the settings that decide how the
// million-row tasks go (docs/deploy.md recommends values for them).
func serverSettings(server string) (string, error) {
	db, err := adminSQL(server)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var version string
	var pool, redo int64
	err = db.QueryRow("SELECT VERSION(), @@innodb_buffer_pool_size, @@innodb_log_file_size").Scan(&version, &pool, &redo)
	return fmt.Sprintf("server %s, innodb_buffer_pool_size %d MB, innodb_log_file_size %d MB", version, pool>>20, redo>>20), err
}

// tuneServer raises the two settings docs/deploy.md asks of a province's
// server where the server has less (both are dynamic on MariaDB 10.11 and
// MySQL 8), and returns what puts the old values back.
func tuneServer(server string) (func(), error) {
	db, err := adminSQL(server)
	if err != nil {
		return nil, err
	}
	var pool, redo int64
	if err := db.QueryRow("SELECT @@innodb_buffer_pool_size, @@innodb_log_file_size").Scan(&pool, &redo); err != nil {
		db.Close()
		return nil, err
	}
	set := func(p, r int64) error {
		_, err := db.Exec(fmt.Sprintf("SET GLOBAL innodb_buffer_pool_size = %d", p))
		if err == nil {
			_, err = db.Exec(fmt.Sprintf("SET GLOBAL innodb_log_file_size = %d", r))
		}
		return err
	}
	if err := set(max(pool, 2<<30), max(redo, 1<<30)); err != nil {
		db.Close()
		return nil, err
	}
	return func() {
		if err := set(pool, redo); err != nil {
			fmt.Fprintf(os.Stderr, "bench: could not restore the server's settings: %v\n", err)
		}
		db.Close()
	}, nil
}

func dropDatabase(server, name string) error {
	if !strings.HasPrefix(name, "bench_") {
		return fmt.Errorf("refusing to drop %q", name)
	}
	db, err := adminSQL(server)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec("DROP DATABASE IF EXISTS " + name)
	return err
}

// Target is a database a task works on: a MySQL database on the configured
// server or a SQLite file in the work directory.
type Target struct {
	Driver string // mysql or sqlite
	Name   string // database name (mysql) or file path (sqlite)
}

func (t Target) String() string {
	if t.Driver == "mysql" {
		return "MariaDB"
	}
	return "SQLite"
}

func (t Target) dbConfig(cfg *Config) (configs.Database, string, error) {
	c := configs.Database{Driver: t.Driver, MaxOpenConns: 20, MaxIdleConns: 10, ConnMaxLifetime: 5 * time.Minute}
	if t.Driver == "mysql" {
		dsn, err := mysqlDSN(cfg.ServerDSN, t.Name)
		c.DSN = dsn
		return c, "", err
	}
	return c, t.Name, nil
}

// create makes the database empty and new.
func (t Target) create(cfg *Config) error {
	if t.Driver == "mysql" {
		return createDatabase(cfg.ServerDSN, t.Name)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(t.Name + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// Env is the service as `studentaid serve` builds it, on a bench database.
type Env struct {
	Target Target
	DB     *gorm.DB
	Keys   *service.Keyring
	Svc    *service.Service
	Sched  *jobs.Scheduler
	Engine *gin.Engine
	Log    *slog.Logger
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// openEnv opens and migrates the database, binds the run's key and builds the
// service, scheduler and gin engine the way main.go does. Rosters import
// synchronously (no 202) so the request measures the whole import.
func openEnv(ctx context.Context, cfg *Config, t Target) (*Env, error) {
	return openEnvWith(ctx, cfg, t, quietLogger())
}

// openEnvLogged is openEnv with the service's log at info in a file, as the
// binary logs (an access line per request).
func openEnvLogged(ctx context.Context, cfg *Config, t Target, path string) (*Env, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return openEnvWith(ctx, cfg, t, slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})))
}

func openEnvWith(ctx context.Context, cfg *Config, t Target, log *slog.Logger) (*Env, error) {
	dbc, path, err := t.dbConfig(cfg)
	if err != nil {
		return nil, err
	}
	conf, err := configs.Load("", func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	opt := service.OptionsFrom(conf)
	opt.BcryptCost = bcrypt.MinCost
	opt.FailureDelay = 0
	opt.RosterAsyncBytes = 0
	opt.TempDir = cfg.Work
	svc, err := service.Open(ctx, service.Store{Database: dbc, SQLitePath: path, DataKey: cfg.Key, Migrate: true, Log: log}, opt)
	if err != nil {
		return nil, err
	}
	db := svc.DB()
	if cfg.Profile != "" {
		if sqlProf, err = profileSQL(db, sqlProf); err != nil {
			svc.Close()
			return nil, err
		}
	}
	if err := svc.Standards.SeedStandards(ctx); err != nil {
		return nil, err
	}
	sched, err := jobs.New(svc.Jobs, log, jobs.Definitions(svc.Batches, svc.Anomalies, svc.Audit, svc.Loans, map[string]string{}), jobs.Options{Instance: "bench"})
	if err != nil {
		return nil, err
	}
	// The scheduler is never started: jobs run only when the bench asks.
	gin.SetMode(gin.ReleaseMode)
	engine := api.New(svc, log, prometheus.NewRegistry(), api.Options{MaxBodyBytes: conf.HTTP.MaxBodyBytes,
		MaxUploadBytes: conf.Roster.MaxBytes + 1<<20, Jobs: sched})
	return &Env{Target: t, DB: db, Keys: svc.Keys(), Svc: svc, Sched: sched, Engine: engine, Log: log}, nil
}

// Close stops the service and closes its database.
func (e *Env) Close() { e.Svc.Close() }

// sqlDB is the pool under gorm, for the bulk loaders.
func (e *Env) sqlDB() *sql.DB {
	d, err := e.DB.DB()
	if err != nil {
		panic(err)
	}
	return d
}

// School is one bench school.
type School struct {
	ID   int64
	Code string
}

// setupCounty creates the province, city and county, n nine-year schools in
// the county, and a user for every role. The schools' codes are
// 2143092001, 2143092002, … (the first takes the roster uploads).
func setupCounty(ctx context.Context, e *Env, n int) ([]School, error) {
	sys := model.SystemActor("bench")
	if _, err := e.Svc.Users.EnsureAdmin(ctx, adminPassword); err != nil {
		return nil, err
	}
	str := func(s string) *string { return &s }
	for _, r := range []model.Region{
		{Code: "430000", Name: "湖南省"},
		{Code: "430900", Name: "益阳市", ParentCode: str("430000")},
		{Code: county, Name: countyName, ParentCode: str("430900")},
	} {
		if _, err := e.Svc.Schools.CreateRegion(ctx, sys, r); err != nil {
			return nil, fmt.Errorf("region %s: %w", r.Code, err)
		}
	}
	schools := make([]School, 0, n)
	for i := 1; i <= n; i++ {
		code := fmt.Sprintf("2143092%03d", i)
		sc, err := e.Svc.Schools.CreateSchool(ctx, sys, model.School{Code: code, Name: fmt.Sprintf("南县第%d九年制学校", i),
			RegionCode: county, Type: model.SchoolNineYear})
		if err != nil {
			return nil, fmt.Errorf("school %s: %w", code, err)
		}
		schools = append(schools, School{ID: sc.ID, Code: code})
	}
	pw := benchPassword
	for _, u := range []struct {
		name   string
		role   model.Role
		region string
		school int64
	}{
		{countyUser, model.RoleCountyOfficer, county, 0},
		{schoolUser, model.RoleSchoolOfficer, "", schools[0].ID},
		{financeUser, model.RoleFinance, county, 0},
		{auditorUser, model.RoleAuditor, "430900", 0},
	} {
		role := u.role
		in := service.UserInput{Username: u.name, Password: &pw, Role: &role}
		if u.region != "" {
			in.RegionCode = str(u.region)
		}
		if u.school != 0 {
			id := u.school
			in.SchoolID = &id
		}
		if _, err := e.Svc.Users.CreateUser(ctx, sys, in); err != nil {
			return nil, fmt.Errorf("user %s: %w", u.name, err)
		}
	}
	return schools, nil
}

// loadSchools reads the bench schools of an existing database.
func loadSchools(ctx context.Context, e *Env) ([]School, error) {
	var out []School
	err := e.DB.WithContext(ctx).Table("schools").Select("id, code").Where("region_code = ?", county).Order("code").Scan(&out).Error
	return out, err
}

// Client talks HTTP to a server: the in-process engine on a loopback
// listener, or the studentaid binary.
type Client struct {
	Base  string
	HTTP  *http.Client
	Token string
}

// serveLoopback puts the engine on a real 127.0.0.1 listener.
func serveLoopback(h http.Handler) (*httptest.Server, *Client) {
	srv := httptest.NewServer(h)
	return srv, &Client{Base: srv.URL, HTTP: &http.Client{}}
}

func (c *Client) login(user, password string) error {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := c.HTTP.Post(c.Base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login %s: %d %s", user, resp.StatusCode, b)
	}
	var r struct{ Token string }
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	c.Token = r.Token
	return nil
}

// do sends a request and decodes a JSON answer into out (when not nil); an
// answer other than want is an error carrying the body.
func (c *Client) do(method, path string, body io.Reader, contentType string, want int, out any) error {
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if w, ok := out.(io.Writer); ok {
		_, err = io.Copy(w, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *Client) postJSON(path string, in any, want int, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do("POST", path, bytes.NewReader(b), "application/json", want, out)
}

func workPath(cfg *Config, name string) string { return filepath.Join(cfg.Work, name) }

// target is the task's database.
func (c *Config) target() Target { return Target{Driver: c.Driver, Name: c.DB} }
