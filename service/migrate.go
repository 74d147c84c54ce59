package service

import (
	"context"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	stmts   []string
}

// dialectWords fill the placeholders of the migration files per engine, so
// one file describes the schema for both.
var dialectWords = map[string]map[string]string{
	"mysql": {
		"{{pk}}":       "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
		"{{datetime}}": "DATETIME(6)",
		"{{opts}}":     "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
		// {{mysql_only}} starts a one-line statement only MySQL needs
		// (SQLite does not enforce column types); for SQLite it is a comment.
		"{{mysql_only}}": "",
		// {{sqlite_only}}: the same for a one-line statement only SQLite
		// needs (a table rebuilt to change a constraint).
		"{{sqlite_only}}": "--",
	},
	"sqlite": {
		"{{pk}}":          "INTEGER PRIMARY KEY AUTOINCREMENT",
		"{{datetime}}":    "DATETIME",
		"{{opts}}":        "",
		"{{mysql_only}}":  "--",
		"{{sqlite_only}}": "",
	},
}

func loadMigrations(dialect string) ([]migration, error) {
	words, ok := dialectWords[dialect]
	if !ok {
		return nil, fmt.Errorf("no migrations for %s", dialect)
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		text := string(b)
		for k, w := range words {
			text = strings.ReplaceAll(text, k, w)
		}
		out = append(out, migration{version: v, name: base, stmts: splitStatements(text)})
	}
	return out, nil
}

func splitStatements(text string) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	var stmts []string
	for _, s := range strings.Split(strings.Join(lines, "\n"), ";\n") {
		if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";")); s != "" {
			stmts = append(stmts, s)
		}
	}
	return stmts
}

// LatestSchemaVersion is the version the code expects; /readyz compares it.
func LatestSchemaVersion(e Engine) (int, error) {
	ms, err := loadMigrations(string(e))
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	return ms[len(ms)-1].version, nil
}

// Migrate brings the database up to date. It is safe to run again and from
// several instances at once: MySQL DDL commits on its own, so every statement
// is idempotent, and a lease row (migrationLease) keeps two instances from
// interleaving.
func Migrate(ctx context.Context, db *gorm.DB) error {
	return MigrateWithFault(ctx, db, nil)
}

// MigrateWithFault is Migrate with a fault point (FaultMigrateMid) after the
// first statement of each migration, for the fault build and tests: a
// migration cut short there must complete when run again.
func MigrateWithFault(ctx context.Context, db *gorm.DB, fault func(point string) error) error {
	dialect := string(EngineOf(db))
	ms, err := loadMigrations(dialect)
	if err != nil {
		return err
	}
	conn, err := db.DB()
	if err != nil {
		return err
	}
	c, err := conn.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, ddl := range []string{`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INT NOT NULL PRIMARY KEY, name VARCHAR(128) NOT NULL, applied_at VARCHAR(40) NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS schema_migration_lease (
		id INT NOT NULL PRIMARY KEY, holder VARCHAR(100) NOT NULL, expires_ms BIGINT NOT NULL)`} {
		if _, err := c.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	ttl := migrationLeaseTTL
	if EngineOf(db).oneConnection() {
		ttl = migrationLeaseTTLAlone
	}
	lease, err := takeMigrationLease(ctx, c, ttl)
	if err != nil {
		return err
	}
	defer lease.release()
	if ttl == migrationLeaseTTL {
		defer lease.heartbeat(conn)()
	}
	applied := map[int]bool{}
	rows, err := c.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		for i, s := range m.stmts {
			if _, err := c.ExecContext(ctx, s); err != nil && !alreadyDone(err) && !droppedBefore(s, err) {
				// A SQLite rebuild runs in BEGIN … COMMIT with foreign keys
				// off: the connection is closed (rolling back) rather than
				// returned to the pool in that state.
				_ = c.Raw(func(any) error { return driver.ErrBadConn })
				return fmt.Errorf("migrate %s: %w\n%s", m.name, err, s)
			}
			if i == 0 && fault != nil {
				if err := fault(FaultMigrateMid); err != nil {
					return fmt.Errorf("migrate %s: %w", m.name, err)
				}
			}
		}
		if _, err := c.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if err := lease.renew(); err != nil {
			return err
		}
	}
	return nil
}

// alreadyDone recognises the errors a re-run of an idempotent step gives:
// an index or row that the interrupted run already created.
func alreadyDone(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "already exists") ||
		strings.Contains(msg, "duplicate key name") ||
		strings.Contains(msg, "duplicate column name") ||
		strings.Contains(msg, "duplicate entry") ||
		strings.Contains(msg, "unique constraint failed") ||
		errors.Is(err, gorm.ErrDuplicatedKey)
}

// droppedBefore recognises a DROP COLUMN or DROP INDEX that an interrupted
// run already did; only for such statements, so a missing column elsewhere
// still fails.
func droppedBefore(stmt string, err error) bool {
	msg := strings.ToLower(err.Error())
	up := strings.ToUpper(stmt)
	return (strings.Contains(up, "DROP COLUMN") || strings.Contains(up, "DROP INDEX")) &&
		(strings.Contains(msg, "no such column") || strings.Contains(msg, "check that it exists") ||
			strings.Contains(msg, "check that column/key exists"))
}

// SchemaVersion is the highest applied migration, 0 for an empty database.
func SchemaVersion(ctx context.Context, db *gorm.DB) (int, error) {
	var v *int
	err := db.WithContext(ctx).Raw("SELECT MAX(version) FROM schema_migrations").Scan(&v).Error
	if err != nil || v == nil {
		return 0, err
	}
	return *v, nil
}

// MigrationTexts are the migrations' statements for a dialect, for tests
// that check what the schema may use.
func MigrationTexts(dialect string) []string {
	ms, _ := loadMigrations(dialect)
	var out []string
	for _, m := range ms {
		out = append(out, m.stmts...)
	}
	return out
}
