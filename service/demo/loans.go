package demo

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service"
)

// A loan of the demo: who applies at which county, and where the county
// leaves the application.
var demoLoans = []struct {
	county, name, co, relation, university, code, status string
	seq                                                  int
}{
	{"county_nanxian", "刘思远", "刘建国", "父子", "湖南大学", "10532", model.LoanReceived, 1},
	{"county_nanxian", "陈雨欣", "陈海军", "父女", "中南大学", "10533", model.LoanApproved, 2},
	{"county_nanxian", "王子豪", "王桂兰", "母子", "湖南师范大学", "10542", model.LoanReturned, 3},
	{"county_nanxian", "李佳怡", "李志刚", "父女", "湘潭大学", "10530", model.LoanContracted, 4},
	{"county_nanxian", "张浩然", "张秀英", "母子", "长沙理工大学", "10536", model.LoanReceiptConfirmed, 5},
	{"county_nanxian", "周梦琪", "周卫东", "父女", "湖南农业大学", "10537", model.LoanDisbursed, 6},
	{"county_anhua", "谌志强", "谌德华", "父子", "吉首大学", "10531", model.LoanReceived, 7},
	{"county_anhua", "龚晓燕", "龚春梅", "母女", "湖南科技大学", "10534", model.LoanContracted, 8},
}

var loanRegion = map[string]string{"county_nanxian": "430921", "county_anhua": "430923"}

// residentID is a valid ID number of a county, birth date and sequence.
func residentID(region, birth string, seq int) string {
	first17 := fmt.Sprintf("%s%s%03d", region, birth, seq)
	return first17 + string(model.IDCheckDigit(first17))
}

// loans takes 生源地信用助学贷款 applications of the current school year at
// 南县 and 安化县 and leaves them in each state up to disbursed. svc is on
// the real clock; when the year's deadline has passed, the applications are
// taken on the school year's 10 September instead.
func (d *player) loans(ctx context.Context, svc *service.Service) error {
	if err := svc.Loans.SeedLoanFigures(ctx); err != nil {
		return err
	}
	now := svc.Now()
	year := model.TermOf(now).SchoolYear()
	limits, err := svc.Loans.LimitsOn(ctx, now)
	if err != nil {
		return err
	}
	if model.Civil(now.In(model.Shanghai()).Date()).After(limits.Deadline) {
		first, _ := strconv.Atoi(year[:4])
		past := svc.WithClock(newClock(model.Civil(first, 9, 10).Add(9 * time.Hour)).now)
		defer past.Close()
		svc = past
	}
	loans := svc.Loans
	entry, _ := strconv.Atoi(year[:4])
	for _, l := range demoLoans {
		a := d.who[l.county]
		region := loanRegion[l.county]
		in := service.LoanApplicationInput{SchoolYear: year, IDNumber: residentID(region, "20070815", 900+l.seq), Name: l.name,
			CoBorrower: service.CoBorrower{Name: l.co, IDNumber: residentID(region, "19760301", 900+l.seq), Relation: l.relation,
				Phone: fmt.Sprintf("138%08d", 7310000+l.seq)},
			University: l.university, UniversityCode: l.code, Level: model.LoanUndergraduate, Years: 4, EntryYear: entry,
			TuitionFen: 550000, AccommodationFen: 120000, LivingFen: 1_000_000, Difficulty: "低保"}
		app, err := loans.CreateLoanApplication(ctx, a, in)
		if err != nil {
			return fmt.Errorf("%s takes %s's loan application: %w", l.county, l.name, err)
		}
		if err := d.moveLoan(ctx, svc, a, app, l.status); err != nil {
			return fmt.Errorf("%s's loan to %s: %w", l.name, l.status, err)
		}
	}
	return nil
}

// moveLoan takes a received application on to its demo state.
func (d *player) moveLoan(ctx context.Context, svc *service.Service, a model.Actor, app model.LoanApplication, to string) error {
	loans, today := svc.Loans, model.Civil(svc.Now().In(model.Shanghai()).Date())
	var err error
	switch to {
	case model.LoanReceived:
		return nil
	case model.LoanReturned:
		_, err = loans.ReturnLoan(ctx, a, app.ID, "共同借款人身份证复印件不清晰，请补交清晰复印件后重新申请")
		return err
	}
	if app, err = loans.ApproveLoan(ctx, a, app.ID); err != nil || to == model.LoanApproved {
		return err
	}
	contractNo := fmt.Sprintf("HT%s%04d", app.SchoolYear[:4], app.ID)
	if app, err = loans.RecordContract(ctx, a, app.ID, service.ContractInput{ContractNo: contractNo, SignedOn: today}); err != nil || to == model.LoanContracted {
		return err
	}
	if app, err = loans.ConfirmReceipt(ctx, a, app.ID, today); err != nil || to == model.LoanReceiptConfirmed {
		return err
	}
	// The bank's disbursement file: one row for the contract.
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range [][]string{{"合同编号", "放款日期", "放款金额"}, {contractNo, today.Format("2006-01-02"), app.ContractFen.Plain()}} {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				return err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	r := bytes.NewReader(buf.Bytes())
	rep, err := loans.ApplyLoanBankFile(ctx, a, r, r.Size())
	if err == nil && rep.Created != 1 {
		err = fmt.Errorf("the disbursement file made %+v", rep)
	}
	return err
}
