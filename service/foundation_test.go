package service_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studentaid/configs"
	"studentaid/service"
	"studentaid/service/servicetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	for _, d := range servicetest.Drivers(t) {
		t.Run(d, func(t *testing.T) {
			db := servicetest.OpenDB(t, d)
			ctx := context.Background()
			if err := service.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			// An interrupted run that recorded nothing re-applies every step.
			if err := db.Exec("DELETE FROM schema_migrations").Error; err != nil {
				t.Fatal(err)
			}
			if err := service.Migrate(ctx, db); err != nil {
				t.Fatalf("re-running applied steps: %v", err)
			}
			v, err := service.SchemaVersion(ctx, db)
			want, _ := service.LatestSchemaVersion(service.EngineOf(db))
			if err != nil || v != want {
				t.Fatalf("version %d, want %d (%v)", v, want, err)
			}
		})
	}
}

func TestSchemaHasRealConstraints(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		// A school in a region that does not exist is refused by the database itself.
		err := env.DB.Exec("INSERT INTO schools (code, name, region_code, type, created_at, updated_at) VALUES ('1234567890','x','999999','primary',?,?)",
			servicetest.Start, servicetest.Start).Error
		if err == nil {
			t.Fatal("foreign key not enforced")
		}
		err = env.DB.Exec("INSERT INTO regions (code, name, created_at) VALUES ('430921', NULL, ?)", servicetest.Start).Error
		if err == nil {
			t.Fatal("NOT NULL not enforced")
		}
	})
}

func TestDataKeyMismatchIsRefused(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		other := make([]byte, 32)
		_, _ = rand.Read(other)
		k, err := service.NewKeyring(other)
		if err != nil {
			t.Fatal(err)
		}
		err = service.BindKeyring(context.Background(), env.DB, k)
		if err == nil || !strings.Contains(err.Error(), "数据密钥与数据库不匹配") {
			t.Fatalf("err = %v", err)
		}
		if err := service.BindKeyring(context.Background(), env.DB, env.Keys); err != nil {
			t.Fatalf("the right key: %v", err)
		}
	})
}

func TestKeyringSealsAndLooksUp(t *testing.T) {
	key := make([]byte, 32)
	k, _ := service.NewKeyring(key)
	sealed := k.Seal("43090320150101123X")
	if strings.Contains(sealed, "4309032015") {
		t.Fatal("plaintext visible")
	}
	if k.Seal("43090320150101123X") == sealed {
		t.Fatal("sealing is deterministic: the nonce is not random")
	}
	if got, err := k.Open(sealed); err != nil || got != "43090320150101123X" {
		t.Fatalf("open: %q %v", got, err)
	}
	if k.Lookup("id", "a") != k.Lookup("id", "a") || k.Lookup("id", "a") == k.Lookup("bank", "a") {
		t.Fatal("lookup hashes not stable or not separated by kind")
	}
	other := make([]byte, 32)
	other[0] = 1
	k2, _ := service.NewKeyring(other)
	if _, err := k2.Open(sealed); err == nil {
		t.Fatal("opened with the wrong key")
	}
}

func TestKeyFileCreatedPrivateOnlyWhenAllowed(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "k", "studentaid.key")
	if _, err := service.LoadDataKey("", file, false); err == nil {
		t.Fatal("created a key for a database that already has data")
	}
	key, err := service.LoadDataKey("", file, true)
	if err != nil || len(key) != 1 || len(key[0]) != 32 {
		t.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", st.Mode(), err)
	}
	again, err := service.LoadDataKey("", file, true)
	if err != nil || len(again) != 1 || string(again[0]) != string(key[0]) {
		t.Fatal("key changed on second load")
	}
	if _, err := service.LoadDataKey("bm90IGEga2V5", file, true); err == nil {
		t.Fatal("accepted a short inline key")
	}
}

func TestConfigEnvironmentOverrides(t *testing.T) {
	env := map[string]string{
		"STUDENTAID_LISTEN":                    "127.0.0.1:18080",
		"STUDENTAID_DATA_DIR":                  "/tmp/x",
		"STUDENTAID_DATABASE_DRIVER":           "mysql",
		"STUDENTAID_DATABASE_DSN":              "u:p@tcp(db:3306)/aid?parseTime=true",
		"STUDENTAID_ADMIN_PASSWORD":            "first-admin-pw",
		"STUDENTAID_DATA_KEY":                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"STUDENTAID_NOTICE_WORKING_DAYS":       "0",
		"STUDENTAID_NOTICE_TRIAL":              "true",
		"STUDENTAID_MEMORY_LIMIT":              "300MiB",
		"STUDENTAID_DATABASE_REPLICA_MAX_LAG":  "3s",
		"STUDENTAID_DATABASE_MIGRATE_ON_START": "true",
	}
	c, err := configs.Load("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:18080" || c.DataDir != "/tmp/x" || c.Database.Driver != "mysql" ||
		c.Database.DSN != env["STUDENTAID_DATABASE_DSN"] || c.Auth.AdminPassword != "first-admin-pw" ||
		c.Security.DataKey != env["STUDENTAID_DATA_KEY"] || c.Notice.WorkingDays != 0 || c.Database.ReplicaMaxLag != 3*time.Second ||
		!c.Database.MigrateOnStart {
		t.Fatalf("overrides not applied: %+v", c)
	}
	if n, err := c.MemoryLimitBytes(); err != nil || n != 300<<20 {
		t.Fatalf("memory_limit: %d %v", n, err)
	}
	_, err = configs.Load("", func(k string) (string, bool) {
		if k == "STUDENTAID_DATABASE_DRIVER" {
			return "oracle", true
		}
		return "", false
	})
	if err == nil || !strings.Contains(err.Error(), "database.driver") {
		t.Fatalf("bad driver: %v", err)
	}
	_, err = configs.Load("", func(k string) (string, bool) {
		if k == "STUDENTAID_DATABASE_REPLICA_MAX_LAG" {
			return "0s", true
		}
		return "", false
	})
	if err == nil || !strings.Contains(err.Error(), "database.replica_max_lag") {
		t.Fatalf("replica_max_lag 0s accepted: %v", err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "c.yaml")
	os.WriteFile(f, []byte("listen: \":9999\"\nnot_a_key: 1\n"), 0o600)
	if _, err := configs.Load(f, func(string) (string, bool) { return "", false }); err == nil {
		t.Fatal("unknown key accepted")
	}
	os.WriteFile(f, []byte("listen: \":9999\"\n"), 0o600)
	c, err = configs.Load(f, func(string) (string, bool) { return "", false })
	if err != nil || c.Listen != ":9999" || c.Notice.WorkingDays != 5 {
		t.Fatalf("file: %+v %v", c, err)
	}
}
