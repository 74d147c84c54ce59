package demo

import (
	"context"
	"fmt"

	"studentaid/jobs"
	"studentaid/model"
	"studentaid/service"
)

// player plays the demo term through the service as its users would.
type player struct {
	svc   *service.Service // on the demo's clock
	jobs  *jobs.Scheduler
	who   map[string]model.Actor
	term  model.Term
	clock *clock
}

// list names a school's list of a program in the demo term.
func (d *player) list(officer, program string) service.ListRef {
	return service.ListRef{Program: program, Term: string(d.term), SchoolID: d.who[officer].SchoolID}
}

// Where each list of the term ends, so that every state shows:
//
//	南洲 boarding            paid; one line failed at the bank, re-queued; one recovered
//	南洲 nonboarding         approved today, waiting for the next batch
//	茅草街 boarding          submitted, notice over, with an objection
//	茅草街 nonboarding       returned with a reason
//	一中 senior_grant        paid, then 补发 after 南县 raised its standard, paid
//	职专 vocational_grant    batched, the batch waiting for finance
//	东坪, 梅城 nonboarding   draft
//	梅城 boarding            submitted, on notice
//	安化职专 vocational      approved today
var submitted = []struct{ officer, program string }{
	{"school_nanzhou", "boarding"}, {"school_nanzhou", "nonboarding"},
	{"school_maocaojie", "boarding"}, {"school_maocaojie", "nonboarding"},
	{"school_yizhong", "senior_grant"}, {"school_zhizhuan", "vocational_grant"},
	{"school_meicheng", "boarding"}, {"school_anhuazhizhuan", "vocational_grant"},
}

// playTerm dates each step by the term's calendar: rosters in the fourth
// week, lists and notices a month in, approval after the notice, batches
// ten weeks in, then the bank, the raised standard and the scan.
func (d *player) playTerm(ctx context.Context) error {
	steps := []struct {
		day int
		do  func(context.Context) error
	}{
		{20, d.uploadRosters},
		{30, d.calculateAll},
		{31, d.submitAndNotice},
		{34, d.objection},
		{50, d.countyReview}, // past the notice, even over the National Day holiday
		{68, d.batches("batch_boarding", "batch_senior_grant", "batch_vocational_grant")},
		{70, d.approveBatches("boarding", "senior_grant")},
		{75, d.bankResults("boarding", "账户已销户")},
		{75, d.bankResults("senior_grant", "")},
		{80, d.raiseSeniorStandard},
		{85, d.batches("batch_senior_grant")},
		{86, d.approveBatches("senior_grant")},
		{90, d.bankResults("senior_grant", "")},
		{92, d.recovery},
		{100, d.scan},
	}
	for _, st := range steps {
		d.clock.day(d.term.Start(), st.day)
		if err := st.do(ctx); err != nil {
			return err
		}
	}
	return nil
}

// today is what the county does on the day the demo is loaded (svc is on
// the real clock): approvals the next batch run will pick up, a bank-account
// change on an approved, unpaid student that waits for a second officer, a
// transfer request waiting on the pupil's school, and 生源地信用助学贷款
// applications in each state.
func (d *player) today(ctx context.Context, svc *service.Service) error {
	for _, l := range []struct{ county, officer, program string }{
		{"county_nanxian", "school_nanzhou", "nonboarding"},
		{"county_anhua", "school_anhuazhizhuan", "vocational_grant"},
	} {
		if _, err := svc.Entitlements.ApproveEntitlements(ctx, d.who[l.county],
			service.ApproveRequest{ListRef: d.list(l.officer, l.program)}); err != nil {
			return fmt.Errorf("%s approves %s %s: %w", l.county, l.officer, l.program, err)
		}
	}
	if err := d.accountChange(ctx, svc); err != nil {
		return err
	}
	if err := d.transferRequest(ctx, svc); err != nil {
		return err
	}
	return d.loans(ctx, svc)
}

// transferRequest: 茅草街 asks for a pupil still at 南洲 this year (the
// family has moved), and the request waits on 南洲's officer.
func (d *player) transferRequest(ctx context.Context, svc *service.Service) error {
	var st model.Student
	if err := svc.DB().WithContext(ctx).Table("students s").Select("s.*").
		Joins("JOIN enrolments e ON e.student_id = s.id").Joins("JOIN schools sc ON sc.id = e.school_id").
		Where("sc.code = ? AND e.school_year = ? AND e.status = ?", "2143092101", d.term.SchoolYear(), model.StatusEnrolled).
		Order("s.id DESC").First(&st).Error; err != nil {
		return fmt.Errorf("a pupil of 南洲 to transfer: %w", err)
	}
	id, err := svc.Keys().Open(st.IDEnc)
	if err != nil {
		return err
	}
	_, err = svc.Students.RequestTransfer(ctx, d.who["school_maocaojie"], service.TransferRequest{IDNumber: id,
		SchoolYear: d.term.SchoolYear(), Note: "家长已在茅草街镇务工定居，申请转入本校"})
	if err != nil {
		return fmt.Errorf("school_maocaojie asks for a transfer: %w", err)
	}
	return nil
}

// accountChange: 南洲's officer types a new bank account for a student
// approved today, unpaid, so the change waits for a second officer.
func (d *player) accountChange(ctx context.Context, svc *service.Service) error {
	e, err := d.first(ctx, "school_nanzhou", "nonboarding", model.EntApproved)
	if err != nil {
		return err
	}
	bank, acct := "中国农业银行", "6228480012345678901"
	f, err := svc.Students.PatchStudent(ctx, d.who["school_nanzhou"], e.StudentID,
		service.StudentPatch{BankName: &bank, BankAccount: &acct, SchoolYear: d.term.SchoolYear()})
	if err == nil && f.AccountChange == nil {
		err = fmt.Errorf("the new account of student %d did not wait for a second officer", e.StudentID)
	}
	if err != nil {
		return fmt.Errorf("school_nanzhou changes an account: %w", err)
	}
	return nil
}

func (d *player) calculateAll(ctx context.Context) error {
	for _, r := range rosters(d.term.SchoolYear()) {
		for _, p := range programsOf(r.officer) {
			ref := d.list(r.officer, p)
			_, err := d.svc.Entitlements.CalculateEntitlements(ctx, d.who[r.officer],
				service.CalcRequest{Program: p, Term: ref.Term, SchoolID: ref.SchoolID})
			if err != nil {
				return fmt.Errorf("%s calculates %s: %w", r.officer, p, err)
			}
		}
	}
	return nil
}

// submitAndNotice submits the lists and downloads their 公示 sheets, which
// starts each notice period.
func (d *player) submitAndNotice(ctx context.Context) error {
	for _, l := range submitted {
		a, ref := d.who[l.officer], d.list(l.officer, l.program)
		if _, err := d.svc.Entitlements.SubmitList(ctx, a, ref); err != nil {
			return fmt.Errorf("%s submits %s: %w", l.officer, l.program, err)
		}
		if _, err := d.svc.Entitlements.Notice(ctx, a, ref); err != nil {
			return fmt.Errorf("%s notice %s: %w", l.officer, l.program, err)
		}
	}
	return nil
}

// first is the first entitlement of a list in a status.
func (d *player) first(ctx context.Context, officer, program, status string) (service.EntitlementRow, error) {
	ref := d.list(officer, program)
	l, err := d.svc.Entitlements.ListEntitlements(ctx, d.who[officer], service.EntitlementFilter{Program: program,
		Term: ref.Term, SchoolID: ref.SchoolID, Status: status, Page: service.Page{PageSize: 1}})
	if err == nil && len(l.Items) == 0 {
		err = fmt.Errorf("%s %s has no %s entitlement", officer, program, status)
	}
	if err != nil {
		return service.EntitlementRow{}, err
	}
	return l.Items[0], nil
}

func (d *player) objection(ctx context.Context) error {
	e, err := d.first(ctx, "school_maocaojie", "boarding", model.EntSubmitted)
	if err != nil {
		return err
	}
	_, err = d.svc.Entitlements.RecordObjection(ctx, d.who["school_maocaojie"], service.ObjectionInput{
		ListRef: d.list("school_maocaojie", "boarding"), StudentID: e.StudentID,
		Content: "村民来电反映该生家庭去年在县城购房，经济状况已好转，请核实后再审核"})
	return err
}

// countyReview approves three of 南县's lists and sends one back.
func (d *player) countyReview(ctx context.Context) error {
	county := d.who["county_nanxian"]
	for _, l := range []struct{ officer, program string }{
		{"school_nanzhou", "boarding"}, {"school_yizhong", "senior_grant"}, {"school_zhizhuan", "vocational_grant"},
	} {
		if _, err := d.svc.Entitlements.ApproveEntitlements(ctx, county, service.ApproveRequest{ListRef: d.list(l.officer, l.program)}); err != nil {
			return fmt.Errorf("approve %s %s: %w", l.officer, l.program, err)
		}
	}
	ref := d.list("school_maocaojie", "nonboarding")
	l, err := d.svc.Entitlements.ListEntitlements(ctx, county, service.EntitlementFilter{Program: ref.Program, Term: ref.Term,
		SchoolID: ref.SchoolID, Status: model.EntSubmitted, Page: service.Page{PageSize: 200}})
	if err != nil {
		return err
	}
	var ids []int64
	for _, e := range l.Items {
		ids = append(ids, e.ID)
	}
	_, err = d.svc.Entitlements.ReturnEntitlements(ctx, county, ids,
		"名单中的低保、特困供养学生未附民政部门认定材料，请补齐后重新提交")
	return err
}

// batches runs batch jobs by hand as finance does.
func (d *player) batches(names ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, name := range names {
			r, err := d.jobs.RunNow(ctx, d.who["finance_nanxian"], name, false)
			if err == nil && r.Status != service.RunSucceeded {
				err = fmt.Errorf("%s %s", r.Status, r.Error)
			}
			if err != nil {
				return fmt.Errorf("job %s: %w", name, err)
			}
		}
		return nil
	}
}

// batchesOf are 南县's batches of a program in the term in a status.
func (d *player) batchesOf(ctx context.Context, program, status string) ([]model.Batch, error) {
	l, err := d.svc.Batches.ListBatches(ctx, d.who["finance_nanxian"], service.BatchFilter{Program: program,
		Term: string(d.term), Status: status, Page: service.Page{PageSize: 200}})
	return l.Items, err
}

func (d *player) approveBatches(programs ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, p := range programs {
			bs, err := d.batchesOf(ctx, p, model.BatchGenerated)
			if err != nil {
				return err
			}
			for _, b := range bs {
				if _, err := d.svc.Batches.ApproveBatch(ctx, d.who["finance_nanxian"], b.ID); err != nil {
					return fmt.Errorf("approve batch %s: %w", b.Number, err)
				}
			}
		}
		return nil
	}
}

// raiseSeniorStandard: 南县 pays 200 yuan a year more than the national
// 普通高中国家助学金 from the term's start, decided after the term was paid,
// so the paid students get a 补发 the county approves.
func (d *player) raiseSeniorStandard(ctx context.Context) error {
	county := d.who["county_nanxian"]
	for level, yuan := range map[string]int64{"": 2500, "special": 3500, "hard": 2500, "general": 1500} {
		_, err := d.svc.Standards.CreateStandard(ctx, county, model.Standard{Program: "senior_grant", Stage: "senior", Level: level,
			RegionCode: county.RegionCode, AnnualFen: model.Fen(yuan * 100), EffectiveFrom: d.term.Start(),
			Source: "南县人民政府县级提标（演示）"})
		if err != nil {
			return fmt.Errorf("standard %q: %w", level, err)
		}
	}
	ref := d.list("school_yizhong", "senior_grant")
	if _, err := d.svc.Entitlements.CalculateEntitlements(ctx, d.who["school_yizhong"],
		service.CalcRequest{Program: ref.Program, Term: ref.Term, SchoolID: ref.SchoolID}); err != nil {
		return err
	}
	drafts, err := d.svc.Entitlements.ListAdjustments(ctx, county, service.AdjustmentFilter{Program: ref.Program, Term: ref.Term,
		Status: model.AdjDraft, Page: service.Page{PageSize: 200}})
	if err != nil {
		return err
	}
	var ids []int64
	for _, a := range drafts.Items {
		ids = append(ids, a.ID)
	}
	if len(ids) == 0 {
		return fmt.Errorf("the raised standard made no 补发")
	}
	_, err = d.svc.Entitlements.ApproveAdjustments(ctx, county, ids, "")
	return err
}

func (d *player) recovery(ctx context.Context) error {
	e, err := d.first(ctx, "school_nanzhou", "boarding", model.EntPaid)
	if err != nil {
		return err
	}
	_, err = d.svc.Entitlements.RecoverEntitlements(ctx, d.who["county_nanxian"], []int64{e.ID},
		"复核发现该生家庭经济困难认定所依据的低保证明已过期，不符合本学期资助条件")
	return err
}

// scan is the nightly anomaly scan, run once at the end of the term.
func (d *player) scan(ctx context.Context) error {
	r, err := d.jobs.RunNow(ctx, model.SystemActor("demo"), "anomaly_scan", false)
	if err == nil && r.Status != service.RunSucceeded {
		err = fmt.Errorf("anomaly scan %s %s", r.Status, r.Error)
	}
	return err
}
