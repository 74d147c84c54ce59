package service

import (
	"context"
	"fmt"
	"log/slog"

	"gorm.io/gorm"

	"studentaid/configs"
)

// Store says which database and data key Open uses; main fills it from the
// configuration, scripts/bench and scripts/faults from their own.
type Store struct {
	Database   configs.Database
	SQLitePath string
	// DataKey is the key in base64 (STUDENTAID_DATA_KEY); empty: KeyFile,
	// created when missing for a database that holds no data yet.
	DataKey string
	KeyFile string
	// Migrate brings the schema up to date first; without it Open refuses a
	// schema that is behind and says to run migrate.
	Migrate bool
	Log     *slog.Logger
	// Fault makes a named migration step fail (fault builds only; nil otherwise).
	Fault func(point string) error
}

// StoreFrom is the configuration's database and key. The embedded default
// (SQLite) migrates on start, as does database.migrate_on_start; a shared
// server's schema is otherwise changed by `migrate` alone.
func StoreFrom(c *configs.Config, log *slog.Logger) Store {
	return Store{Database: c.Database, SQLitePath: c.SQLitePath(), DataKey: c.Security.DataKey, KeyFile: c.KeyFile(),
		Migrate: Engine(c.Database.Driver) == EngineSQLite || c.Database.MigrateOnStart, Log: log}
}

// Open opens the database, migrates it or checks that it is current, binds
// the data key to it and returns the service over it. Close closes the
// database as well.
func Open(ctx context.Context, st Store, opt Options) (*Service, error) {
	db, err := OpenDB(st.Database, st.SQLitePath, st.Log)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	keys, err := prepare(ctx, db, st)
	if err != nil {
		closeDB(db)
		return nil, err
	}
	svc := New(db, keys, st.Log, opt)
	svc.ownsDB = true
	return svc, nil
}

// prepare migrates or checks the schema, then loads the data key and binds it.
func prepare(ctx context.Context, db *gorm.DB, st Store) (*Keyring, error) {
	if st.Migrate {
		if err := MigrateWithFault(ctx, db, st.Fault); err != nil {
			return nil, err
		}
	} else if err := schemaCurrent(ctx, db); err != nil {
		return nil, fmt.Errorf("数据库结构未就绪（请先运行 migrate）：%w", err)
	}
	bound, err := KeyCheckStored(ctx, db)
	if err != nil {
		return nil, err
	}
	key, err := LoadDataKey(st.DataKey, st.KeyFile, !bound)
	if err != nil {
		return nil, err
	}
	keys, err := NewKeyring(key[0], key[1:]...)
	if err != nil {
		return nil, err
	}
	if err := BindKeyring(ctx, db, keys); err != nil {
		return nil, err
	}
	// A chain written before it was keyed is verified and rebuilt once; when
	// it does not verify it is left as it is, for someone to investigate.
	if err := UpgradeAuditChain(ctx, db, keys); err != nil && st.Log != nil {
		st.Log.Error("audit chain not keyed", "err", err)
	}
	// What was stored in plain before issue 15 is sealed before anything is
	// served: the code reads those columns and files as sealed only.
	if err := SealAtRest(ctx, db, keys); err != nil {
		return nil, fmt.Errorf("加密存量学籍号、台账和错误清单失败（重新启动会从中断处继续）：%w", err)
	}
	return keys, nil
}

// Ping answers whether the database is reachable and the schema current
// (GET /readyz).
func (s *Reports) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return err
	}
	return schemaCurrent(ctx, s.db)
}

// schemaCurrent refuses a schema older than this program needs.
func schemaCurrent(ctx context.Context, db *gorm.DB) error {
	want, err := LatestSchemaVersion(EngineOf(db))
	if err != nil {
		return err
	}
	have, err := SchemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if have < want {
		return newErr(CodeUnavailable, "schema_behind", "数据库结构版本 %d 落后于程序需要的 %d，请先运行 migrate", have, want)
	}
	return nil
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}
