package service_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	mysqldriver "github.com/go-sql-driver/mysql"

	"studentaid/configs"
	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// Reports and lists read through the replica route while writes and
// transactions stay on the primary. The "replica" here is a second, empty
// database, so a read that went there is seen to miss the primary's rows.
func TestReadReplicaRoute(t *testing.T) {
	if os.Getenv("MYSQL_TEST_DSN") == "" {
		servicetest.Drivers(t) // fails when MySQL is required
		t.Skip("needs MySQL")
	}
	env := servicetest.NewEnv(t, "mysql")
	var dbName string
	env.DB.Raw("SELECT DATABASE()").Scan(&dbName)
	var replicaName string
	servicetest.OpenDB(t, "mysql").Raw("SELECT DATABASE()").Scan(&replicaName)
	mc, _ := mysqldriver.ParseDSN(os.Getenv("MYSQL_TEST_DSN"))
	mc.DBName = replicaName
	replica := mc.FormatDSN()
	mc.DBName = dbName
	db, err := service.OpenDB(configs.Database{Driver: "mysql", DSN: mc.FormatDSN(), Replicas: []string{replica}, MaxOpenConns: 4},
		"", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	opt := env.Opt
	opt.ReadReplicas = true
	svc := service.New(db, env.Keys, slog.New(slog.NewTextHandler(io.Discard, nil)), opt)
	defer svc.Close()
	ctx := context.Background()
	if _, err := svc.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := svc.Audit.ListAudit(ctx, model.SystemActor("t"), service.AuditFilter{})
	if err != nil || l.Total != 0 {
		t.Fatalf("the audit list did not go to the replica: %d entries, %v", l.Total, err)
	}
	schools, err := svc.Schools.ListSchools(ctx, model.SystemActor("t"), service.SchoolFilter{})
	if err != nil || schools.Total != 7 {
		t.Fatalf("a primary read: %d schools, %v", schools.Total, err)
	}
	if check, err := svc.Audit.VerifyAudit(ctx, model.SystemActor("t")); err != nil || !check.OK || check.Entries == 0 {
		t.Fatalf("verify reads the primary: %+v %v", check, err)
	}
}
