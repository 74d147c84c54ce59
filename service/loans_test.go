package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// loanEnv is the demo regions with the loan figures seeded, and the actors
// of two counties.
type loanEnv struct {
	*servicetest.Env
	loans          *service.Loans
	nanxian, anhua model.Actor
	admin, auditor model.Actor
}

func newLoanEnv(t *testing.T, env *servicetest.Env) loanEnv {
	t.Helper()
	ctx := context.Background()
	if _, err := env.Svc.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	loans := env.Svc.Loans
	if err := loans.SeedLoanFigures(ctx); err != nil {
		t.Fatal(err)
	}
	if err := loans.SeedLoanFigures(ctx); err != nil {
		t.Fatalf("seeding twice: %v", err)
	}
	return loanEnv{Env: env, loans: loans,
		nanxian: model.Actor{Username: "county_nanxian", Role: model.RoleCountyOfficer, RegionCode: "430921"},
		anhua:   model.Actor{Username: "county_anhua", Role: model.RoleCountyOfficer, RegionCode: "430923"},
		admin:   model.Actor{Username: "admin", Role: model.RoleAdmin},
		auditor: model.Actor{Username: "auditor_yiyang", Role: model.RoleAuditor, RegionCode: "430900"}}
}

// residentID makes a valid ID number of a county, birth date and sequence.
func residentID(region, birth string, seq int) string {
	first17 := fmt.Sprintf("%s%s%03d", region, birth, seq)
	return first17 + string(model.IDCheckDigit(first17))
}

func application(year, id, name string) service.LoanApplicationInput {
	return service.LoanApplicationInput{SchoolYear: year, IDNumber: id, Name: name,
		CoBorrower: service.CoBorrower{Name: "王大山", IDNumber: residentID(id[:6], "19750101", 11), Relation: "父子", Phone: "13800000000"},
		University: "湖南大学", UniversityCode: "10532", Level: model.LoanUndergraduate, Years: 4, EntryYear: 2025,
		TuitionFen: 550000, AccommodationFen: 120000, LivingFen: 2_000_000, Difficulty: "低保"}
}

func wantCode(t *testing.T, err error, reason string) {
	t.Helper()
	var se *service.Error
	if !errors.As(err, &se) || se.Reason != reason {
		t.Fatalf("err = %v, want %s", err, reason)
	}
}

func (le loanEnv) deadline(t *testing.T, year string, day time.Time) {
	t.Helper()
	if _, err := le.loans.SetLoanDeadline(context.Background(), le.admin, year, day); err != nil {
		t.Fatal(err)
	}
}

func TestLoanLimitChangedBetweenTwoSchoolYears(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		le.deadline(t, "2024-2025", model.Civil(2025, 12, 31))
		id := residentID("430921", "20060101", 21)
		in := application("2024-2025", id, "王小明")
		in.EntryYear = 2024
		first, err := le.loans.CreateLoanApplication(ctx, le.nanxian, in)
		if err != nil {
			t.Fatal(err)
		}
		in.SchoolYear = "2025-2026"
		second, err := le.loans.CreateLoanApplication(ctx, le.nanxian, in)
		if err != nil {
			t.Fatal(err)
		}
		// 16,000 yuan from 2024-09-01, 20,000 from 2025-09-01; tuition and accommodation first.
		if first.GrantedFen != 1_600_000 || first.GrantedSchoolFen != 670_000 || first.GrantedLivingFen != 930_000 {
			t.Errorf("2024-2025 granted %d (%d + %d)", first.GrantedFen, first.GrantedSchoolFen, first.GrantedLivingFen)
		}
		if second.GrantedFen != 2_000_000 || second.Kind != model.LoanRenewal || first.Kind != model.LoanFirst {
			t.Errorf("2025-2026 granted %d kind %s/%s", second.GrantedFen, first.Kind, second.Kind)
		}
		if first.StudentID != second.StudentID {
			t.Error("the same person got two files")
		}
		lim, err := le.loans.LimitsOn(ctx, model.Civil(2025, 3, 1))
		if err != nil || lim.Figures.LimitUndergraduateFen != 1_600_000 || lim.Rate.RateBP != 300 {
			t.Errorf("limits on 2025-03-01: %+v %v", lim, err)
		}
	})
}

// The cumulative limit is the annual limit in force × the course's 学制, over
// the applications of that course: figures lowered after a year was granted
// cap the next 续贷, then refuse it; a new course (读研) is a new credit with
// its own limit.
func TestLoanRenewalOverTheCumulativeLimit(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		id := residentID("430921", "20040101", 31)
		apply := func(year, level string, years, entry int) (model.LoanApplication, error) {
			le.deadline(t, year, model.Civil(2026, 12, 31))
			in := application(year, id, "李华")
			in.Level, in.Years, in.EntryYear = level, years, entry
			return le.loans.CreateLoanApplication(ctx, le.nanxian, in)
		}
		lower := func(from time.Time, undergraduate model.Fen) {
			f := model.LoanFigures{EffectiveFrom: from, LimitJuniorCollegeFen: undergraduate, LimitUndergraduateFen: undergraduate,
				LimitGraduateFen: 2_500_000, TermExtraYears: 15, MaxTermYears: 22, GraceYears: 5, RiskFundBP: 1500,
				RepaymentMonth: 12, RepaymentDay: 20, Source: "测试：下调额度"}
			if _, err := le.loans.AddLoanFigures(ctx, le.admin, f); err != nil {
				t.Fatal(err)
			}
		}
		// A two-year 本科 course (专升本) from 2025: 20,000 granted in 2025-2026.
		if _, err := apply("2025-2026", model.LoanUndergraduate, 2, 2025); err != nil {
			t.Fatal(err)
		}
		// Figures lowered to 12,000 from 2026-08-01: 12,000 × 2 − 20,000 leaves 4,000.
		lower(model.Civil(2026, 8, 1), 1_200_000)
		app, err := apply("2026-2027", model.LoanUndergraduate, 2, 2025)
		if err != nil || app.GrantedFen != 400_000 {
			t.Fatalf("granted %d, %v; want 400000 (24000 − 20000 yuan)", app.GrantedFen, err)
		}
		// Returned, and taken again under 10,000 from 2026-08-15: nothing is
		// left of the course's credit.
		if _, err := le.loans.ReturnLoan(ctx, le.nanxian, app.ID, "金额有误"); err != nil {
			t.Fatal(err)
		}
		lower(model.Civil(2026, 8, 15), 1_000_000)
		_, err = apply("2026-2027", model.LoanUndergraduate, 2, 2025)
		wantCode(t, err, "cumulative_limit")
		// 读研 from 2027, one year: a new course with its own limit, 25,000 (counted
		// with the 本科 loans it would be 25,000 − 20,000).
		app, err = apply("2027-2028", model.LoanGraduate, 1, 2027)
		if err != nil || app.GrantedFen != 2_500_000 || app.Kind != model.LoanRenewal {
			t.Fatalf("研究生: granted %d (%s), %v; want 2500000, a 续贷", app.GrantedFen, app.Kind, err)
		}
	})
}

func TestLoanSamePersonInTwoCounties(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		id := residentID("430921", "20070101", 41)
		if _, err := le.loans.CreateLoanApplication(ctx, le.nanxian, application("2025-2026", id, "赵雷")); err != nil {
			t.Fatal(err)
		}
		// 安化 may not take someone whose household is in 南县 …
		_, err := le.loans.CreateLoanApplication(ctx, le.anhua, application("2025-2026", id, "赵雷"))
		wantCode(t, err, "not_home_county")
		// … and when the household has moved to 安化, the year already has its loan.
		in := application("2025-2026", id, "赵雷")
		in.HomeRegion = "430923"
		_, err = le.loans.CreateLoanApplication(ctx, le.anhua, in)
		wantCode(t, err, "loan_exists")
		var n int64
		env.DB.Model(&model.Student{}).Count(&n)
		if n != 1 {
			t.Errorf("%d student records, want 1", n)
		}
		// A household region in the file is not overridden by a typed one:
		// 安化 cannot take a 南县 person for next year by typing its own code.
		if err := env.DB.Exec("UPDATE students SET home_region = '430921'").Error; err != nil {
			t.Fatal(err)
		}
		le.deadline(t, "2026-2027", model.Civil(2026, 12, 31))
		in = application("2026-2027", id, "赵雷")
		in.HomeRegion = "430923"
		_, err = le.loans.CreateLoanApplication(ctx, le.anhua, in)
		wantCode(t, err, "home_region_differs")
		// The database refuses a second row for the person and year by itself.
		err = env.DB.Exec("INSERT INTO loan_applications (student_id, school_year, region_code, kind, name, co_name, co_id_enc, co_id_hash, co_id_masked, co_relation, co_phone_enc, co_phone_masked, university, university_code, level, years, entry_year, tuition_fen, accommodation_fen, living_fen, limit_fen, granted_fen, granted_school_fen, granted_living_fen, difficulty, status, created_by, created_at, updated_at) SELECT student_id, school_year, '430923', kind, name, co_name, co_id_enc, co_id_hash, co_id_masked, co_relation, co_phone_enc, co_phone_masked, university, university_code, level, years, entry_year, tuition_fen, accommodation_fen, living_fen, limit_fen, granted_fen, granted_school_fen, granted_living_fen, difficulty, status, created_by, created_at, updated_at FROM loan_applications").Error
		if err == nil {
			t.Fatal("unique key (student_id, school_year) not enforced")
		}
	})
}

func TestLoanTermCappedAtTheMaximum(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		in := application("2025-2026", residentID("430921", "20000101", 51), "孙博")
		in.Level, in.Years = model.LoanGraduate, 8
		app, err := le.loans.CreateLoanApplication(ctx, le.nanxian, in)
		if err != nil {
			t.Fatal(err)
		}
		if app.GrantedFen != 2_500_000 {
			t.Errorf("graduate limit: granted %d", app.GrantedFen)
		}
		if _, err := le.loans.ApproveLoan(ctx, le.nanxian, app.ID); err != nil {
			t.Fatal(err)
		}
		app, err = le.loans.RecordContract(ctx, le.nanxian, app.ID, service.ContractInput{ContractNo: "HT2025-0001", SignedOn: model.Civil(2025, 9, 20)})
		if err != nil {
			t.Fatal(err)
		}
		if app.TermYears != 22 || app.ContractFen != app.GrantedFen {
			t.Errorf("term %d years (want 8 + 15 capped at 22), contract %d", app.TermYears, app.ContractFen)
		}
	})
}

func TestLoanDeadlineAndEvidence(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		le.deadline(t, "2025-2026", model.Civil(2025, 9, 10)) // the clock is at 2025-09-15
		_, err := le.loans.CreateLoanApplication(ctx, le.nanxian, application("2025-2026", residentID("430921", "20070101", 61), "周一"))
		wantCode(t, err, "deadline_passed")
		le.deadline(t, "2025-2026", model.Civil(2025, 10, 31))
		in := application("2025-2026", residentID("430921", "20070101", 61), "周一")
		in.Difficulty = ""
		_, err = le.loans.CreateLoanApplication(ctx, le.nanxian, in)
		wantCode(t, err, "no_difficulty")
		_, err = le.loans.CreateLoanApplication(ctx, le.auditor, application("2025-2026", residentID("430921", "20070101", 61), "周一"))
		wantCode(t, err, "forbidden")
	})
}

// workbook writes one sheet with a header and rows.
func workbook(t *testing.T, header []string, rows ...[]string) *bytes.Reader {
	t.Helper()
	f := excelize.NewFile()
	for i, row := range append([][]string{header}, rows...) {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(buf.Bytes())
}

// contracted makes an application of 南县 and takes it to contracted.
func (le loanEnv) contracted(t *testing.T, seq int, contractNo string) model.LoanApplication {
	t.Helper()
	ctx := context.Background()
	app, err := le.loans.CreateLoanApplication(ctx, le.nanxian, application("2025-2026", residentID("430921", "20070101", seq), "钱"+fmt.Sprint(seq)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := le.loans.ApproveLoan(ctx, le.nanxian, app.ID); err != nil {
		t.Fatal(err)
	}
	app, err = le.loans.RecordContract(ctx, le.nanxian, app.ID, service.ContractInput{ContractNo: contractNo, SignedOn: model.Civil(2025, 9, 15)})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestLoanReceiptForAnUnknownContract(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		app := le.contracted(t, 71, "HT-071")
		f := workbook(t, []string{"合同编号", "回执日期"}, []string{"HT-071", "2025-09-25"}, []string{"HT-404", "2025-09-25"})
		rep, err := le.loans.ImportLoanReceipts(ctx, le.nanxian, f, f.Size())
		wantCode(t, err, "file_rejected")
		if len(rep.Errors) != 1 || rep.Errors[0].Row != 3 || rep.Errors[0].Column != "合同编号" {
			t.Fatalf("errors %+v", rep.Errors)
		}
		var got model.LoanApplication
		env.DB.First(&got, app.ID)
		if got.Status != model.LoanContracted {
			t.Errorf("a rejected list changed %s", got.Status)
		}
		// 安化's officer does not know 南县's contract either.
		f = workbook(t, []string{"合同编号"}, []string{"HT-071"})
		_, err = le.loans.ImportLoanReceipts(ctx, le.anhua, f, f.Size())
		wantCode(t, err, "file_rejected")
		f = workbook(t, []string{"合同编号", "回执日期"}, []string{"HT-071", "2025-09-25"})
		rep, err = le.loans.ImportLoanReceipts(ctx, le.nanxian, f, f.Size())
		if err != nil || rep.Created != 1 {
			t.Fatalf("%+v %v", rep, err)
		}
		f = workbook(t, []string{"合同编号", "回执日期"}, []string{"HT-071", "2025-09-25"})
		if rep, err = le.loans.ImportLoanReceipts(ctx, le.nanxian, f, f.Size()); err != nil || rep.Unchanged != 1 {
			t.Fatalf("again: %+v %v", rep, err)
		}
	})
}

func TestLoanRepaymentFileReplayedTwice(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		app := le.contracted(t, 81, "HT-081")
		if _, err := le.loans.ConfirmReceipt(ctx, le.nanxian, app.ID, model.Civil(2025, 9, 25)); err != nil {
			t.Fatal(err)
		}
		disb := func() *bytes.Reader {
			return workbook(t, []string{"合同编号", "放款日期", "放款金额"}, []string{"HT-081", "2025-10-15", app.ContractFen.Plain()})
		}
		f := disb()
		if rep, err := le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size()); err != nil || rep.Kind != "disbursement" || rep.Created != 1 {
			t.Fatalf("disbursement: %+v %v", rep, err)
		}
		f = disb()
		if rep, err := le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size()); err != nil || rep.Unchanged != 1 || rep.Created != 0 {
			t.Fatalf("disbursement replayed: %+v %v", rep, err)
		}
		env.Clock.Set(time.Date(2030, 1, 10, 2, 0, 0, 0, time.UTC))
		repay := func() *bytes.Reader {
			return workbook(t, []string{"合同编号", "还款年度", "还款状态", "实还金额"}, []string{"HT-081", "2029", "逾期", "0"})
		}
		f = repay()
		rep, err := le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size())
		if err != nil || rep.Kind != "repayment" || rep.Created != 1 {
			t.Fatalf("repayment: %+v %v", rep, err)
		}
		var audit1, events1 int64
		env.DB.Table("audit_entries").Count(&audit1)
		env.DB.Model(&model.LoanEvent{}).Count(&events1)
		var before model.LoanApplication
		env.DB.First(&before, app.ID)
		f = repay()
		rep, err = le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size())
		if err != nil || rep.Unchanged != 1 || rep.Created != 0 {
			t.Fatalf("replayed: %+v %v", rep, err)
		}
		var audit2, events2 int64
		env.DB.Table("audit_entries").Count(&audit2)
		env.DB.Model(&model.LoanEvent{}).Count(&events2)
		var after model.LoanApplication
		env.DB.First(&after, app.ID)
		if audit1 != audit2 || events1 != events2 || after.Status != model.LoanOverdue || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("the replay changed something: audit %d→%d, events %d→%d, status %s", audit1, audit2, events1, events2, after.Status)
		}
		// Overdue cannot be recorded before the due date.
		f = workbook(t, []string{"合同编号", "还款年度", "还款状态"}, []string{"HT-081", "2030", "逾期"})
		_, err = le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size())
		wantCode(t, err, "file_rejected")
	})
}

func TestLoanSubsidyAndStatementOfALoanDisbursedMidYear(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		app := le.contracted(t, 91, "HT-091")
		if _, err := le.loans.ConfirmReceipt(ctx, le.nanxian, app.ID, model.Civil(2025, 9, 25)); err != nil {
			t.Fatal(err)
		}
		f := workbook(t, []string{"合同编号", "放款日期", "放款金额"}, []string{"HT-091", "2025-10-15", app.ContractFen.Plain()})
		if _, err := le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size()); err != nil {
			t.Fatal(err)
		}
		v, err := le.loans.GetLoan(ctx, le.auditor, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		// 20,000 yuan × 3.00 % (LPR 3.60 % − 60 bp) × 78 days / 360 = 130.00 yuan in 2025.
		if len(v.Subsidy) == 0 || v.Subsidy[0].Year != 2025 || v.Subsidy[0].Fen != 13000 {
			t.Fatalf("subsidy %+v", v.Subsidy)
		}
		if len(v.Plan) == 0 || v.Plan[0].DueOn != model.Civil(2029, 12, 20) || !v.Plan[0].InterestOnly {
			t.Errorf("plan %+v", v.Plan)
		}
		_, err = le.loans.LoanStatement(ctx, le.nanxian, 2025, "")
		wantCode(t, err, "year_not_over")
		env.Clock.Set(time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC))
		finance := model.Actor{Username: "finance_nanxian", Role: model.RoleFinance, RegionCode: "430921"}
		st, err := le.loans.LoanStatement(ctx, finance, 2025, "430921")
		if err != nil {
			t.Fatal(err)
		}
		// The risk fund is 15 % of the year's new loans.
		if st.NewLoans != 1 || st.NewFen != 2_000_000 || st.SubsidyFen != 13000 || st.RiskFundFen != 300_000 {
			t.Errorf("statement %+v", st)
		}
		env.Clock.Advance(time.Hour)
		again, err := le.loans.LoanStatement(ctx, le.auditor, 2025, "430921")
		if err != nil || again.SHA256 != st.SHA256 || !bytes.Equal(again.Data, st.Data) {
			t.Errorf("the statement is not frozen: %v", err)
		}
		_, err = le.loans.LoanStatement(ctx, le.anhua, 2025, "430921")
		wantCode(t, err, "not_found")
		x, err := excelize.OpenReader(bytes.NewReader(st.Data))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		rows, _ := x.GetRows("汇总")
		for _, r := range rows {
			for _, c := range r {
				found = found || c == "财政贴息（大写）：人民币壹佰叁拾元整"
			}
		}
		if !found {
			t.Errorf("no 大写 subsidy total in %v", rows)
		}
	})
}

// A 提前还款 is recorded with its day: the plan's instalments due before it
// stay as they were (an unpaid one is still owed in full), later ones are on
// the lower principal; a day before the disbursement or in the future is
// refused.
func TestLoanPrepaymentCountsFromItsDay(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		app := le.contracted(t, 92, "HT-092")
		if _, err := le.loans.ConfirmReceipt(ctx, le.nanxian, app.ID, model.Civil(2025, 9, 25)); err != nil {
			t.Fatal(err)
		}
		f := workbook(t, []string{"合同编号", "放款日期", "放款金额"}, []string{"HT-092", "2025-10-15", app.ContractFen.Plain()})
		if _, err := le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size()); err != nil {
			t.Fatal(err)
		}
		before, err := le.loans.GetLoan(ctx, le.auditor, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = le.loans.RecordPrepayment(ctx, le.nanxian, app.ID, 500_000, model.Civil(2025, 10, 1))
		wantCode(t, err, "invalid_input")
		env.Clock.Set(time.Date(2031, 3, 1, 2, 0, 0, 0, time.UTC))
		_, err = le.loans.RecordPrepayment(ctx, le.nanxian, app.ID, 500_000, model.Civil(2031, 3, 2))
		wantCode(t, err, "invalid_input")
		on := model.Civil(2031, 3, 1)
		if _, err := le.loans.RecordPrepayment(ctx, le.nanxian, app.ID, 500_000, on); err != nil {
			t.Fatal(err)
		}
		after, err := le.loans.GetLoan(ctx, le.auditor, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		var principal model.Fen
		for i, it := range after.Plan {
			if it.DueOn.Before(on) && it != before.Plan[i] {
				t.Errorf("instalment due %s changed by a later prepayment: %+v → %+v", it.DueOn.Format("2006-01-02"), before.Plan[i], it)
			}
			if !it.DueOn.Before(on) && it.Interest >= before.Plan[i].Interest {
				t.Errorf("instalment due %s: interest %d, not below %d", it.DueOn.Format("2006-01-02"), it.Interest, before.Plan[i].Interest)
			}
			principal += it.Principal
		}
		if principal != app.ContractFen-500_000 {
			t.Errorf("principal in the plan %d, want %d", principal, app.ContractFen-500_000)
		}
	})
}

// Prepayments sent at once on one loan take turns: every one recorded is in
// prepaid_fen, and together they never pass what was disbursed.
func TestLoanConcurrentPrepayments(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		app := le.contracted(t, 95, "HT-095")
		if _, err := le.loans.ConfirmReceipt(ctx, le.nanxian, app.ID, model.Civil(2025, 9, 25)); err != nil {
			t.Fatal(err)
		}
		f := workbook(t, []string{"合同编号", "放款日期", "放款金额"}, []string{"HT-095", "2025-10-15", app.ContractFen.Plain()})
		if _, err := le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size()); err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC))
		const n, each = 8, model.Fen(300_000) // 8 × 3,000 yuan against 20,000 disbursed
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = le.loans.RecordPrepayment(ctx, le.nanxian, app.ID, each, model.Civil(2026, 3, 1))
			}()
		}
		wg.Wait()
		var got struct {
			Prepaid model.Fen
			Rows    int64
			Sum     model.Fen
		}
		env.DB.Raw("SELECT prepaid_fen AS prepaid FROM loan_applications WHERE id = ?", app.ID).Scan(&got.Prepaid)
		env.DB.Raw("SELECT COUNT(*) FROM loan_prepayments WHERE application_id = ?", app.ID).Scan(&got.Rows)
		env.DB.Raw("SELECT COALESCE(SUM(amount_fen), 0) FROM loan_prepayments WHERE application_id = ?", app.ID).Scan(&got.Sum)
		if got.Rows != 6 || got.Prepaid != got.Sum || got.Prepaid > app.ContractFen {
			t.Fatalf("%d prepayments recorded summing %d, prepaid_fen %d (disbursed %d); want 6, equal, within", got.Rows, got.Sum, got.Prepaid, app.ContractFen)
		}
	})
}

// 毕业确认 with a day before the course's end (an early graduation or a
// leaving): the subsidy stops on 31 August of that year and the plan starts
// then; without a day, or with a later one, the course's end stands.
func TestLoanEarlyGraduationEndsTheSubsidy(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		app := le.contracted(t, 93, "HT-093")
		if _, err := le.loans.ConfirmReceipt(ctx, le.nanxian, app.ID, model.Civil(2025, 9, 25)); err != nil {
			t.Fatal(err)
		}
		f := workbook(t, []string{"合同编号", "放款日期", "放款金额"}, []string{"HT-093", "2025-10-15", app.ContractFen.Plain()})
		if _, err := le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size()); err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(time.Date(2027, 7, 1, 2, 0, 0, 0, time.UTC))
		_, err := le.loans.ConfirmGraduation(ctx, le.nanxian, app.ID, model.Civil(2027, 7, 2))
		wantCode(t, err, "invalid_input")
		// Left after two years of a four-year course (entry 2025).
		got, err := le.loans.ConfirmGraduation(ctx, le.nanxian, app.ID, model.Civil(2027, 6, 30))
		if err != nil || got.GraduatedOn == nil || got.Status != model.LoanGraduated {
			t.Fatalf("%+v %v", got, err)
		}
		v, err := le.loans.GetLoan(ctx, le.auditor, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !v.StudyEnd.Equal(model.Civil(2027, 9, 1)) {
			t.Errorf("study ends %s, want 2027-09-01", v.StudyEnd.Format("2006-01-02"))
		}
		if last := v.Subsidy[len(v.Subsidy)-1]; last.Year != 2027 {
			t.Errorf("subsidy years %+v, the last should be 2027", v.Subsidy)
		}
		if len(v.Plan) == 0 || v.Plan[0].DueOn != model.Civil(2027, 12, 20) {
			t.Errorf("the plan starts %+v, want 2027-12-20", v.Plan[0])
		}
	})
}

// A contract may record 等额本息: the plan's payments after the grace period
// are then level; the person's later contracts follow the first one's plan,
// and a plan that is neither is refused.
func TestLoanContractRecordsEqualInstalments(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		id := residentID("430921", "20070101", 94)
		app, err := le.loans.CreateLoanApplication(ctx, le.nanxian, application("2025-2026", id, "钱九四"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := le.loans.ApproveLoan(ctx, le.nanxian, app.ID); err != nil {
			t.Fatal(err)
		}
		in := service.ContractInput{ContractNo: "HT-094", SignedOn: model.Civil(2025, 9, 15), RepaymentPlan: "balloon"}
		_, err = le.loans.RecordContract(ctx, le.nanxian, app.ID, in)
		wantCode(t, err, "invalid_input")
		in.RepaymentPlan = model.LoanEqualInstalments
		if app, err = le.loans.RecordContract(ctx, le.nanxian, app.ID, in); err != nil || app.RepaymentPlan != model.LoanEqualInstalments {
			t.Fatalf("%+v %v", app, err)
		}
		if _, err := le.loans.ConfirmReceipt(ctx, le.nanxian, app.ID, model.Civil(2025, 9, 25)); err != nil {
			t.Fatal(err)
		}
		f := workbook(t, []string{"合同编号", "放款日期", "放款金额"}, []string{"HT-094", "2025-10-15", app.ContractFen.Plain()})
		if _, err := le.loans.ApplyLoanBankFile(ctx, le.nanxian, f, f.Size()); err != nil {
			t.Fatal(err)
		}
		v, err := le.loans.GetLoan(ctx, le.auditor, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		var first model.Fen
		for _, it := range v.Plan {
			if it.InterestOnly || it == v.Plan[len(v.Plan)-1] {
				continue
			}
			if first == 0 {
				first = it.Principal + it.Interest
			}
			if d := it.Principal + it.Interest - first; d < -200 || d > 200 {
				t.Errorf("payment due %s is %d, the first %d: not level", it.DueOn.Format("2006-01-02"), it.Principal+it.Interest, first)
			}
		}
		// The 续贷 of next year follows the first contract's plan.
		le.deadline(t, "2026-2027", model.Civil(2026, 12, 31))
		next, err := le.loans.CreateLoanApplication(ctx, le.nanxian, application("2026-2027", id, "钱九四"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := le.loans.ApproveLoan(ctx, le.nanxian, next.ID); err != nil {
			t.Fatal(err)
		}
		_, err = le.loans.RecordContract(ctx, le.nanxian, next.ID, service.ContractInput{ContractNo: "HT-094-2", SignedOn: model.Civil(2026, 9, 15),
			RepaymentPlan: model.LoanEqualPrincipal})
		wantCode(t, err, "repayment_plan_differs")
		next, err = le.loans.RecordContract(ctx, le.nanxian, next.ID, service.ContractInput{ContractNo: "HT-094-2", SignedOn: model.Civil(2026, 9, 15)})
		if err != nil || next.RepaymentPlan != model.LoanEqualInstalments {
			t.Fatalf("the 续贷 contract: %+v %v", next, err)
		}
	})
}

func TestLoanImportSamePersonTwiceAndAReturnedApplicationTakenAgain(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		header := []string{"姓名", "身份证号", "共同借款人姓名", "共同借款人身份证号", "与学生关系", "共同借款人电话", "高校名称", "高校代码",
			"学历层次", "学制", "入学年份", "学费(元)", "住宿费(元)", "生活费(元)", "困难证明类型"}
		row := func(id, name string) []string {
			return []string{name, id, "吴大山", residentID("430921", "19750101", 99), "父子", "13700000000", "湘潭大学", "10530",
				"本科", "4", "2025", "5000", "1000", "25000", "低保"}
		}
		id := residentID("430921", "20070101", 101)
		f := workbook(t, header, row(id, "吴用"), row(id, "吴用"))
		rep, err := le.loans.ImportLoanApplications(ctx, le.nanxian, service.LoanImport{File: f, Size: f.Size(), SchoolYear: "2025-2026"})
		wantCode(t, err, "file_rejected")
		if len(rep.Errors) != 1 || rep.Errors[0].Row != 3 {
			t.Fatalf("errors %+v", rep.Errors)
		}
		f = workbook(t, header, row(id, "吴用"))
		rep, err = le.loans.ImportLoanApplications(ctx, le.nanxian, service.LoanImport{File: f, Size: f.Size(), SchoolYear: "2025-2026"})
		if err != nil || rep.Created != 1 {
			t.Fatalf("%+v %v", rep, err)
		}
		// Living costs take what tuition and accommodation leave of 20,000 yuan.
		var app model.LoanApplication
		env.DB.Where("school_year = ?", "2025-2026").First(&app)
		if app.GrantedFen != 2_000_000 || app.GrantedLivingFen != 1_400_000 {
			t.Errorf("granted %d (living %d)", app.GrantedFen, app.GrantedLivingFen)
		}
		if _, err := le.loans.ReturnLoan(ctx, le.nanxian, app.ID, "困难证明不全"); err != nil {
			t.Fatal(err)
		}
		in := application("2025-2026", id, "吴用")
		again, err := le.loans.CreateLoanApplication(ctx, le.nanxian, in)
		if err != nil || again.ID != app.ID || again.Status != model.LoanReceived {
			t.Fatalf("a returned application is taken again in its place: %+v %v", again, err)
		}
		v, err := le.loans.GetLoan(ctx, le.nanxian, app.ID)
		if err != nil || len(v.Events) != 3 || v.Events[1].ToStatus != model.LoanReturned || v.Events[1].Note != "困难证明不全" {
			t.Errorf("history %+v %v", v.Events, err)
		}
	})
}
