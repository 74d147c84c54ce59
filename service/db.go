package service

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/dbresolver"

	"studentaid/configs"
)

// OpenDB opens the configured database with the settings each engine needs.
func OpenDB(c configs.Database, sqlitePath string, log *slog.Logger) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		TranslateError: true,
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	switch c.Driver {
	case "mysql":
		mc, err := mysqldriver.ParseDSN(c.DSN)
		if err != nil {
			return nil, fmt.Errorf("database.dsn: %w", err)
		}
		// Times are stored in UTC and read back as time.Time; utf8mb4 for every
		// character a name can hold (生僻字 outside the BMP).
		mc.ParseTime = true
		mc.Loc = time.UTC
		// Arguments are escaped by the driver (safe with utf8mb4): one round
		// trip a statement instead of prepare, execute and close.
		mc.InterpolateParams = true
		if mc.Params == nil {
			mc.Params = map[string]string{}
		}
		mc.Params["charset"] = "utf8mb4"
		mc.Params["time_zone"] = "'+00:00'"
		db, err := gorm.Open(mysql.New(mysql.Config{DSNConfig: mc}), gcfg)
		if err != nil {
			return nil, err
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(c.MaxOpenConns)
		sqlDB.SetMaxIdleConns(c.MaxIdleConns)
		sqlDB.SetConnMaxLifetime(c.ConnMaxLifetime)
		if len(c.Replicas) > 0 {
			if err := useReplicas(db, c); err != nil {
				return nil, err
			}
		}
		return db, nil
	case "sqlite":
		if err := PrivateDir(filepath.Dir(sqlitePath)); err != nil {
			return nil, err
		}
		// SQLite gives its -wal and -shm files the database file's mode.
		if err := privateFile(sqlitePath); err != nil {
			return nil, err
		}
		// A URI: '#', '?' and '%' in a directory name ("资助#2") would end
		// or garble the path, so they are escaped.
		dsn := "file:" + uriPath.Replace(sqlitePath) + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
			"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
		db, err := gorm.Open(sqlite.Open(dsn), gcfg)
		if err != nil {
			return nil, err
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		// SQLite has one writer; one connection serialises writes without
		// SQLITE_BUSY upgrades inside transactions.
		sqlDB.SetMaxOpenConns(1)
		return db, nil
	}
	return nil, fmt.Errorf("unknown database driver %q", c.Driver)
}

// useReplicas registers each replica under its own name (replicaName): only
// queries that ask for one (reports, lists, ledger downloads, through
// reader) use it, so a user never reads their own write from a lagging
// replica, and the replica watcher can check and pick each one.
func useReplicas(db *gorm.DB, c configs.Database) error {
	var resolver *dbresolver.DBResolver
	for i, dsn := range c.Replicas {
		mc, err := mysqldriver.ParseDSN(dsn)
		if err != nil {
			return fmt.Errorf("database.replicas: %w", err)
		}
		mc.ParseTime, mc.Loc = true, time.UTC
		if mc.Params == nil {
			mc.Params = map[string]string{}
		}
		mc.Params["charset"], mc.Params["time_zone"] = "utf8mb4", "'+00:00'"
		// A dead replica must not hold a request: connecting gives up fast
		// and the watcher sends reads to the primary.
		if mc.Timeout == 0 || mc.Timeout > 2*time.Second {
			mc.Timeout = 2 * time.Second
		}
		// Not asking its version at start: an instance must start, and
		// serve from the primary, while a replica is down.
		d := mysql.New(mysql.Config{DSNConfig: mc, SkipInitializeWithVersion: true})
		cfg := dbresolver.Config{Replicas: []gorm.Dialector{d}}
		if resolver == nil {
			resolver = dbresolver.Register(cfg, replicaName(i))
		} else {
			resolver = resolver.Register(cfg, replicaName(i))
		}
	}
	// The primary has answered by now (gorm.Open pinged it); replicas are
	// opened without the ping, which would refuse to start the instance
	// while one is down.
	db.Config.DisableAutomaticPing = true
	return db.Use(resolver.SetMaxOpenConns(c.MaxOpenConns).SetMaxIdleConns(c.MaxIdleConns).SetConnMaxLifetime(c.ConnMaxLifetime))
}

// PrivateDir makes the data directory, or narrows an existing one, to mode
// 0700: it holds the database, the key file and uploads being imported.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// privateFile creates the file with mode 0600, or narrows an existing one.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

var uriPath = strings.NewReplacer("%", "%25", "#", "%23", "?", "%3f")
