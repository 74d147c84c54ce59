// Package configs loads the service configuration once at start: the YAML file
// first, then STUDENTAID_* environment variables, then validation.
package configs

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults is the commented reference configuration; Load starts from it so a
// config file only needs the keys it changes.
//
//go:embed config.yaml
var Defaults []byte

type Config struct {
	Listen string `yaml:"listen"`
	// MemoryLimit is the Go runtime's soft memory limit ("256MiB"; "" or "0"
	// for none): the collector works harder near it instead of letting a
	// large roster import double the heap.
	MemoryLimit string    `yaml:"memory_limit"`
	DataDir     string    `yaml:"data_dir"`
	Log         Log       `yaml:"log"`
	Database    Database  `yaml:"database"`
	Security    Security  `yaml:"security"`
	Auth        Auth      `yaml:"auth"`
	HTTP        HTTP      `yaml:"http"`
	Server      Server    `yaml:"server"`
	Notice      Notice    `yaml:"notice"`
	Roster      Roster    `yaml:"roster"`
	Jobs        Jobs      `yaml:"jobs"`
	Bank        Bank      `yaml:"bank"`
	Anomalies   Anomalies `yaml:"anomalies"`
}

// Anomalies are the anomaly scan's thresholds (POLICY.md "Anomalies").
type Anomalies struct {
	AccountMaxStudents int `yaml:"account_max_students"`
	MinAge             int `yaml:"min_age"`
	MaxAgeOverGrade    int `yaml:"max_age_over_grade"`
	FailedPayments     int `yaml:"failed_payments"`
	StaleDays          int `yaml:"stale_days"`
}

type Bank struct {
	MaxLinesPerFile int `yaml:"max_lines_per_file"`
}

type Log struct {
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

type Database struct {
	Driver string `yaml:"driver"`
	DSN    string `yaml:"dsn"`
	// DSNFile holds the DSN (with its password) in a file, e.g. a mounted secret.
	DSNFile string `yaml:"dsn_file"`
	// Replicas are read-only DSNs for reports, lists and ledger downloads.
	Replicas []string `yaml:"replicas"`
	// ReplicaMaxLag is how far behind the primary a replica may be and still
	// serve reads; beyond it reads go to the primary.
	ReplicaMaxLag   time.Duration `yaml:"replica_max_lag"`
	MaxOpenConns    int           `yaml:"max_open_conns"`
	MaxIdleConns    int           `yaml:"max_idle_conns"`
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime"`
	CountCache      time.Duration `yaml:"count_cache"`
	// MigrateOnStart lets serve migrate a MySQL database itself; otherwise
	// it refuses to start on a schema that is behind (run migrate). SQLite,
	// the embedded default, always migrates on start.
	MigrateOnStart bool `yaml:"migrate_on_start"`
}

type Security struct {
	DataKey     string `yaml:"data_key"`
	DataKeyFile string `yaml:"data_key_file"`
}

type Auth struct {
	TokenTTL          time.Duration `yaml:"token_ttl"`
	AdminPassword     string        `yaml:"admin_password"`
	AdminPasswordFile string        `yaml:"admin_password_file"`
	MaxFailures       int           `yaml:"max_failures"`
	LockDuration      time.Duration `yaml:"lock_duration"`
	FailureDelay      time.Duration `yaml:"failure_delay"`
	SessionCache      time.Duration `yaml:"session_cache"`
}

// Server holds who may speak for the client: only the reverse proxies named
// here may set X-Forwarded-For, which then decides the logged client address
// and the login throttle's; by default none, and the peer's address counts.
type Server struct {
	TrustedProxies []string `yaml:"trusted_proxies"`
}

type HTTP struct {
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// MinNoticeWorkingDays is POLICY's shortest public notice (公示) period.
const MinNoticeWorkingDays = 5

// ShortNotice says whether the notice period is below POLICY's minimum,
// which only a trial allows; the server logs it at start so nobody runs a
// real term on it unaware.
func (c *Config) ShortNotice() bool { return c.Notice.WorkingDays < MinNoticeWorkingDays }

type Notice struct {
	WorkingDays int `yaml:"working_days"`
	// Trial allows a notice shorter than POLICY's 5 working days (0 for an
	// immediate approval) so a demo or test need not wait a week; it is
	// off by default and the server warns at start when it is on.
	Trial         bool     `yaml:"trial"`
	Holidays      []string `yaml:"holidays"`
	ExtraWorkdays []string `yaml:"extra_workdays"`
}

type Roster struct {
	MaxBytes   int64 `yaml:"max_bytes"`
	MaxRows    int   `yaml:"max_rows"`
	AsyncBytes int64 `yaml:"async_bytes"`
}

type Jobs struct {
	Schedules map[string]string `yaml:"schedules"`
	// LeaseTTL is how long a run's lease outlives its instance: after a
	// crash, the job waits this long before another instance may run it.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
}

// Load reads the defaults, then path (when not empty), then the environment
// (lookup is os.LookupEnv outside tests).
func Load(path string, lookup func(string) (string, bool)) (*Config, error) {
	var c Config
	if err := yaml.Unmarshal(Defaults, &c); err != nil {
		return nil, fmt.Errorf("built-in defaults: %w", err)
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		// io.EOF: an empty file means all defaults.
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if err := c.applyEnv(lookup); err != nil {
		return nil, err
	}
	if err := c.readSecretFiles(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

type binding struct {
	env string
	set func(string) error
}

func (c *Config) bindings() []binding {
	return []binding{
		{"STUDENTAID_LISTEN", setString(&c.Listen)},
		{"STUDENTAID_MEMORY_LIMIT", setString(&c.MemoryLimit)},
		{"STUDENTAID_DATA_DIR", setString(&c.DataDir)},
		{"STUDENTAID_LOG_FORMAT", setString(&c.Log.Format)},
		{"STUDENTAID_LOG_LEVEL", setString(&c.Log.Level)},
		{"STUDENTAID_DATABASE_DRIVER", setString(&c.Database.Driver)},
		{"STUDENTAID_DATABASE_DSN", setString(&c.Database.DSN)},
		{"STUDENTAID_DATABASE_DSN_FILE", setString(&c.Database.DSNFile)},
		{"STUDENTAID_DATABASE_REPLICAS", setList(&c.Database.Replicas)},
		{"STUDENTAID_DATABASE_REPLICA_MAX_LAG", setDuration(&c.Database.ReplicaMaxLag)},
		{"STUDENTAID_SERVER_TRUSTED_PROXIES", setList(&c.Server.TrustedProxies)},
		{"STUDENTAID_DATABASE_MAX_OPEN_CONNS", setInt(&c.Database.MaxOpenConns)},
		{"STUDENTAID_DATABASE_COUNT_CACHE", setDuration(&c.Database.CountCache)},
		{"STUDENTAID_DATABASE_MIGRATE_ON_START", setBool(&c.Database.MigrateOnStart)},
		{"STUDENTAID_DATABASE_MAX_IDLE_CONNS", setInt(&c.Database.MaxIdleConns)},
		{"STUDENTAID_DATABASE_CONN_MAX_LIFETIME", setDuration(&c.Database.ConnMaxLifetime)},
		{"STUDENTAID_DATA_KEY", setString(&c.Security.DataKey)},
		{"STUDENTAID_DATA_KEY_FILE", setString(&c.Security.DataKeyFile)},
		{"STUDENTAID_AUTH_TOKEN_TTL", setDuration(&c.Auth.TokenTTL)},
		{"STUDENTAID_ADMIN_PASSWORD", setString(&c.Auth.AdminPassword)},
		{"STUDENTAID_ADMIN_PASSWORD_FILE", setString(&c.Auth.AdminPasswordFile)},
		{"STUDENTAID_AUTH_MAX_FAILURES", setInt(&c.Auth.MaxFailures)},
		{"STUDENTAID_AUTH_LOCK_DURATION", setDuration(&c.Auth.LockDuration)},
		{"STUDENTAID_AUTH_FAILURE_DELAY", setDuration(&c.Auth.FailureDelay)},
		{"STUDENTAID_AUTH_SESSION_CACHE", setDuration(&c.Auth.SessionCache)},
		{"STUDENTAID_HTTP_MAX_BODY_BYTES", setInt64(&c.HTTP.MaxBodyBytes)},
		{"STUDENTAID_NOTICE_WORKING_DAYS", setInt(&c.Notice.WorkingDays)},
		{"STUDENTAID_NOTICE_TRIAL", setBool(&c.Notice.Trial)},
		{"STUDENTAID_ROSTER_MAX_BYTES", setInt64(&c.Roster.MaxBytes)},
		{"STUDENTAID_ROSTER_MAX_ROWS", setInt(&c.Roster.MaxRows)},
		{"STUDENTAID_ROSTER_ASYNC_BYTES", setInt64(&c.Roster.AsyncBytes)},
		{"STUDENTAID_BANK_MAX_LINES_PER_FILE", setInt(&c.Bank.MaxLinesPerFile)},
		{"STUDENTAID_JOBS_LEASE_TTL", setDuration(&c.Jobs.LeaseTTL)},
		{"STUDENTAID_ANOMALIES_ACCOUNT_MAX_STUDENTS", setInt(&c.Anomalies.AccountMaxStudents)},
		{"STUDENTAID_ANOMALIES_MIN_AGE", setInt(&c.Anomalies.MinAge)},
		{"STUDENTAID_ANOMALIES_MAX_AGE_OVER_GRADE", setInt(&c.Anomalies.MaxAgeOverGrade)},
		{"STUDENTAID_ANOMALIES_FAILED_PAYMENTS", setInt(&c.Anomalies.FailedPayments)},
		{"STUDENTAID_ANOMALIES_STALE_DAYS", setInt(&c.Anomalies.StaleDays)},
	}
}

func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	for _, b := range c.bindings() {
		v, ok := lookup(b.env)
		if !ok {
			continue
		}
		if err := b.set(strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("%s: %w", b.env, err)
		}
	}
	return nil
}

func setString(p *string) func(string) error {
	return func(v string) error { *p = v; return nil }
}

// setList takes a comma-separated list.
func setList(p *[]string) func(string) error {
	return func(v string) error {
		*p = nil
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				*p = append(*p, x)
			}
		}
		return nil
	}
}

func setInt(p *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		*p = n
		return err
	}
}

func setInt64(p *int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		*p = n
		return err
	}
}

func setBool(p *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		*p = b
		return err
	}
}

func setDuration(p *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		*p = d
		return err
	}
}

// readSecretFiles fills secrets kept in files (mounted secrets), so they need
// not sit in the config file or the environment.
func (c *Config) readSecretFiles() error {
	for _, f := range []struct {
		path string
		dst  *string
	}{{c.Database.DSNFile, &c.Database.DSN}, {c.Auth.AdminPasswordFile, &c.Auth.AdminPassword}} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("secret file: %w", err)
		}
		*f.dst = strings.TrimSpace(string(b))
	}
	return nil
}

// Validate refuses settings the service cannot run with, naming the key.
func (c *Config) Validate() error {
	var errs []error
	switch c.Database.Driver {
	case "sqlite", "mysql":
	default:
		errs = append(errs, fmt.Errorf("database.driver must be sqlite or mysql, not %q", c.Database.Driver))
	}
	if len(c.Database.Replicas) > 0 && c.Database.Driver != "mysql" {
		errs = append(errs, errors.New("database.replicas need the mysql driver"))
	}
	if c.Database.ReplicaMaxLag < time.Second || c.Database.ReplicaMaxLag > time.Hour {
		errs = append(errs, errors.New("database.replica_max_lag must be between 1s and 1h"))
	}
	if c.Database.Driver == "mysql" && c.Database.DSN == "" {
		errs = append(errs, errors.New("database.dsn is required for mysql"))
	}
	if c.Listen == "" {
		errs = append(errs, errors.New("listen is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty"))
	}
	if c.Auth.TokenTTL < time.Minute {
		errs = append(errs, errors.New("auth.token_ttl must be at least 1m"))
	}
	if c.Database.CountCache < 0 || c.Database.CountCache > time.Minute {
		errs = append(errs, errors.New("database.count_cache must be between 0s and 1m"))
	}
	if c.Auth.SessionCache < 0 || c.Auth.SessionCache > time.Minute {
		errs = append(errs, errors.New("auth.session_cache must be between 0s and 1m: longer would let a revoked token work too long"))
	}
	for _, p := range c.Server.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			errs = append(errs, fmt.Errorf("server.trusted_proxies: %q is neither an address nor a CIDR range", p))
		}
	}
	if c.Jobs.LeaseTTL < 6*time.Second {
		errs = append(errs, errors.New("jobs.lease_ttl must be at least 6s (it is renewed every third of it)"))
	}
	if c.Auth.MaxFailures < 1 {
		errs = append(errs, errors.New("auth.max_failures must be at least 1"))
	}
	if c.Notice.WorkingDays < 0 {
		errs = append(errs, errors.New("notice.working_days must not be negative"))
	} else if c.Notice.WorkingDays < MinNoticeWorkingDays && !c.Notice.Trial {
		// POLICY: the notice lasts at least 5 working days; a shorter one
		// would let a list be approved before the public could object.
		errs = append(errs, fmt.Errorf("notice.working_days must be at least %d (public notice period); set notice.trial (STUDENTAID_NOTICE_TRIAL=true) for a shorter trial period", MinNoticeWorkingDays))
	}
	if c.Bank.MaxLinesPerFile < 1 {
		errs = append(errs, errors.New("bank.max_lines_per_file must be positive"))
	}
	if c.Security.DataKey != "" {
		if k, err := base64.StdEncoding.DecodeString(c.Security.DataKey); err != nil || len(k) != 32 {
			errs = append(errs, errors.New("security.data_key must be base64 of 32 bytes"))
		}
	}
	if c.Roster.MaxBytes < 1024 || c.Roster.MaxRows < 1 {
		errs = append(errs, errors.New("roster.max_bytes and roster.max_rows must be positive"))
	}
	for _, d := range append(append([]string{}, c.Notice.Holidays...), c.Notice.ExtraWorkdays...) {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			errs = append(errs, fmt.Errorf("notice dates must be YYYY-MM-DD, not %q", d))
		}
	}
	if _, err := c.MemoryLimitBytes(); err != nil {
		errs = append(errs, err)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format must be text or json, not %q", c.Log.Format))
	}
	return errors.Join(errs...)
}

// SQLitePath is the embedded database file when no DSN is given.
func (c *Config) SQLitePath() string {
	if c.Database.DSN != "" {
		return c.Database.DSN
	}
	return filepath.Join(c.DataDir, "studentaid.db")
}

// KeyFile is where the data key lives when it is not given inline.
func (c *Config) KeyFile() string {
	if c.Security.DataKeyFile != "" {
		return c.Security.DataKeyFile
	}
	return filepath.Join(c.DataDir, "studentaid.key")
}

// MemoryLimitBytes parses memory_limit: a number of bytes with an optional
// KiB, MiB or GiB suffix; 0 means no limit.
func (c *Config) MemoryLimitBytes() (int64, error) {
	v := strings.TrimSpace(c.MemoryLimit)
	if v == "" {
		return 0, nil
	}
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(v, suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, suffix)), m
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("memory_limit must be bytes or a number with KiB, MiB or GiB, not %q", c.MemoryLimit)
	}
	return n * mult, nil
}
