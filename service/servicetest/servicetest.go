// Package servicetest gives tests a fresh, migrated database on every engine
// the suite runs against, and a service wired to it with a clock the test
// controls. SQLite always; MySQL/MariaDB when MYSQL_TEST_DSN names a server.
package servicetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"studentaid/configs"
	"studentaid/service"
)

// Drivers lists the engines to test on. scripts/test.sh sets
// STUDENTAID_REQUIRE_MYSQL=1 so a missing MySQL fails instead of passing on
// SQLite alone.
func Drivers(t testing.TB) []string {
	if os.Getenv("MYSQL_TEST_DSN") != "" {
		return []string{"sqlite", "mysql"}
	}
	if os.Getenv("STUDENTAID_REQUIRE_MYSQL") == "1" {
		t.Fatal("MYSQL_TEST_DSN is not set but STUDENTAID_REQUIRE_MYSQL=1")
	}
	return []string{"sqlite"}
}

// OpenDB returns a new, empty, migrated database dropped when the test ends.
func OpenDB(t testing.TB, driver string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	cfg := configs.Database{Driver: driver, MaxOpenConns: 10, MaxIdleConns: 5, ConnMaxLifetime: time.Minute}
	var path string
	if driver == "mysql" {
		name := createMySQLDatabase(t)
		mc, err := mysqldriver.ParseDSN(os.Getenv("MYSQL_TEST_DSN"))
		if err != nil {
			t.Fatal(err)
		}
		mc.DBName = name
		cfg.DSN = mc.FormatDSN()
	} else {
		path = filepath.Join(t.TempDir(), "test.db")
	}
	db, err := service.OpenDB(cfg, path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	if err := service.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

func createMySQLDatabase(t testing.TB) string {
	t.Helper()
	admin, err := service.OpenDB(configs.Database{Driver: "mysql", DSN: os.Getenv("MYSQL_TEST_DSN"), MaxOpenConns: 2},
		"", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("MYSQL_TEST_DSN: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sat_" + hex.EncodeToString(b)
	if err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").Error; err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name)
		if sqlDB, err := admin.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return name
}

// Clock is a settable clock for tests; notice periods and cron catch-up are
// tested by moving it, never by sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Env is a service on a fresh database.
type Env struct {
	Driver string
	DB     *gorm.DB
	Key    []byte // the data key, for tests that write a key file (rekey)
	Keys   *service.Keyring
	Svc    *service.Service
	Clock  *Clock
	Opt    service.Options
}

// Start is 2025-09-15 10:00 Asia/Shanghai, a Monday in the autumn term.
var Start = time.Date(2025, 9, 15, 2, 0, 0, 0, time.UTC)

// NewEnv builds a service on a fresh database of the driver; tune may adjust
// the options before the service is built.
func NewEnv(t testing.TB, driver string, tune ...func(*service.Options)) *Env {
	t.Helper()
	db := OpenDB(t, driver)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys, err := service.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := service.BindKeyring(context.Background(), db, keys); err != nil {
		t.Fatal(err)
	}
	// As Open does: a new database's (empty) chain is recorded as keyed.
	if err := service.UpgradeAuditChain(context.Background(), db, keys); err != nil {
		t.Fatal(err)
	}
	clock := NewClock(Start)
	cfg, err := configs.Load("", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	opt := service.OptionsFrom(cfg)
	opt.Now = clock.Now
	opt.TempDir = t.TempDir()
	opt.LedgerChunkBytes = 4096 // every test ledger is stored in several chunks
	opt.BcryptCost = bcrypt.MinCost
	opt.FailureDelay = 0
	for _, f := range tune {
		f(&opt)
	}
	svc := service.New(db, keys, slog.New(slog.NewTextHandler(io.Discard, nil)), opt)
	t.Cleanup(svc.Close)
	if err := svc.Standards.SeedStandards(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &Env{Driver: driver, DB: db, Key: key, Keys: keys, Clock: clock, Opt: opt, Svc: svc}
}

// Each runs fn as a parallel subtest on every driver, each with its own Env.
func Each(t *testing.T, fn func(t *testing.T, env *Env), tune ...func(*service.Options)) {
	t.Helper()
	for _, d := range Drivers(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, NewEnv(t, d, tune...))
		})
	}
}

// SecondInstance is another service on the same database and key, as a
// second server process would have; tune may change its options.
func SecondInstance(t testing.TB, env *Env, tune ...func(*service.Options)) *service.Service {
	t.Helper()
	opt := env.Opt
	for _, f := range tune {
		f(&opt)
	}
	svc := service.New(env.DB, env.Keys, slog.New(slog.NewTextHandler(io.Discard, nil)), opt)
	t.Cleanup(svc.Close)
	return svc
}

// DSNOf is the MYSQL_TEST_DSN server's DSN for the database db is on.
func DSNOf(t testing.TB, db *gorm.DB) string {
	t.Helper()
	var name string
	if err := db.Raw("SELECT DATABASE()").Scan(&name).Error; err != nil {
		t.Fatal(err)
	}
	mc, err := mysqldriver.ParseDSN(os.Getenv("MYSQL_TEST_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	mc.DBName = name
	return mc.FormatDSN()
}

// ReplicaInstance is another service on env's MySQL database that reads
// through the replica at replicaDSN, as an instance with database.replicas
// would. The replica has been checked once when it returns.
func ReplicaInstance(t testing.TB, env *Env, replicaDSN string) *service.Service {
	t.Helper()
	db, err := service.OpenDB(configs.Database{Driver: "mysql", DSN: DSNOf(t, env.DB), Replicas: []string{replicaDSN},
		MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute}, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	opt := env.Opt
	opt.Replicas = 1
	svc := service.New(db, env.Keys, slog.New(slog.NewTextHandler(io.Discard, nil)), opt)
	t.Cleanup(svc.Close)
	svc.CheckReplicas(context.Background())
	return svc
}
