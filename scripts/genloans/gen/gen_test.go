package gen_test

import (
	"bytes"
	"context"
	"testing"

	"studentaid/model"
	"studentaid/scripts/genloans/gen"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// Every generated application passes the loan desk's rules: the bench's
// import measures taking applications, not refusing them.
func TestGeneratedApplicationsImport(t *testing.T) {
	env := servicetest.NewEnv(t, "sqlite")
	ctx := context.Background()
	if _, err := env.Svc.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	loans := env.Svc.Loans
	if err := loans.SeedLoanFigures(ctx); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gen.Write(&buf, gen.Options{Rows: 300, Region: "430921", SchoolYear: "2025-2026", Seed: 7}); err != nil {
		t.Fatal(err)
	}
	again := bytes.Buffer{}
	_ = gen.Write(&again, gen.Options{Rows: 300, Region: "430921", SchoolYear: "2025-2026", Seed: 7})
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("the same seed wrote different files")
	}
	officer := model.Actor{Username: "county_nanxian", Role: model.RoleCountyOfficer, RegionCode: "430921"}
	rep, err := loans.ImportLoanApplications(ctx, officer, service.LoanImport{File: bytes.NewReader(buf.Bytes()),
		Size: int64(buf.Len()), SchoolYear: "2025-2026"})
	if err != nil || rep.Created != 300 {
		t.Fatalf("imported %d of 300: %v %+v", rep.Created, err, rep.Errors)
	}
}
