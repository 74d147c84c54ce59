package service

import (
	"context"
	"errors"
	"io"
	"slices"
	"strconv"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// LoanImport is an uploaded application workbook with the roster's options.
type LoanImport struct {
	File       io.ReaderAt
	Size       int64
	SchoolYear string
	Mode       string // all_or_nothing (default) or valid_rows
	DryRun     bool
}

// LoanFileReport is what an upload of the loan desk did, row by row.
type LoanFileReport struct {
	Kind      string // applications, receipts, disbursement, repayment
	Rows      int
	Created   int // applications taken; receipts, disbursements or statuses recorded
	Unchanged int
	Rejected  int
	DryRun    bool
	Errors    []ledger.RowError
}

// errDryRun rolls back a dry run after everything was checked.
var errDryRun = errors.New("dry run")

func loanFileErr(err error) error { return ledgerFileErr(err, "loan_file_") }

// rejectAnyRow counts the rows in error; with any, the whole list is
// refused: nothing counts as created or unchanged and the report is the
// refusal's details.
func rejectAnyRow(rep *LoanFileReport) error {
	if rep.Rejected = countRows(rep.Errors); rep.Rejected > 0 {
		rep.Created, rep.Unchanged = 0, 0
		return rejectReport(*rep)
	}
	return nil
}

// rejectReport answers an upload with bad rows: 422 with every row error,
// nothing changed (hard rule 5).
func rejectReport(rep LoanFileReport) error {
	e := ruleErr("file_rejected", "文件中有 %d 处错误，未导入任何数据；请按错误说明修改后重新上传", len(rep.Errors))
	e.Details = rep
	return e
}

// rowErr turns a rule's refusal of a row into a row error in the template's words.
func rowErr(row int, err error) (ledger.RowError, bool) {
	var fe *loanInputError
	if errors.As(err, &fe) {
		return ledger.RowError{Row: row, Column: ledger.LoanColumnOf(fe.Field), Message: fe.Message}, true
	}
	var se *Error
	if errors.As(err, &se) {
		return ledger.RowError{Row: row, Message: se.Message}, true
	}
	return ledger.RowError{}, false
}

// ImportLoanApplications takes a workbook of applications: every row goes
// through the rules of a single application; with all_or_nothing a bad row
// imports nothing, with valid_rows the good rows are taken.
func (s *Loans) ImportLoanApplications(ctx context.Context, a model.Actor, up LoanImport) (LoanFileReport, error) {
	rep := LoanFileReport{Kind: "applications", DryRun: up.DryRun}
	if !a.Is(model.RoleCountyOfficer) {
		return rep, errRoleForbidden
	}
	if model.ParseSchoolYear(up.SchoolYear) != nil {
		return rep, invalid("须指定学年 school_year（如 2025-2026）")
	}
	if up.Mode == "" {
		up.Mode = "all_or_nothing"
	}
	if up.Mode != "all_or_nothing" && up.Mode != "valid_rows" {
		return rep, invalid("mode 须为 all_or_nothing 或 valid_rows")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// A retried transaction reads the file and starts its report again.
		rep.Rows, rep.Errors, rep.Created = 0, nil, 0
		src := s.readLoanChunks(up.File, up.Size)
		defer src.stop()
		in := s.newIntake(tx, a)
		for {
			c, ok, err := src.next()
			if err != nil {
				rep.Rows, rep.Errors = 0, nil
				return loanFileErr(err)
			}
			if !ok {
				break
			}
			rep.Rows += len(c.Rows) + countRows(c.Errors)
			rep.Errors = append(rep.Errors, c.Errors...)
			if err := s.takeLoanRows(in, up.SchoolYear, c.Rows, &rep); err != nil {
				return err
			}
		}
		rep.Rejected = countRows(rep.Errors)
		if rep.Rejected > 0 && up.Mode == "all_or_nothing" {
			rep.Created = 0
			return rejectReport(rep)
		}
		if up.DryRun {
			return errDryRun
		}
		return s.audit(tx, a, "import", "loan_application", up.SchoolYear, nil,
			map[string]any{"rows": rep.Rows, "created": rep.Created, "rejected": rep.Rejected})
	})
	slices.SortStableFunc(rep.Errors, func(x, y ledger.RowError) int { return x.Row - y.Row })
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return rep, err
}

// takeLoanRows checks a chunk's rows and takes those that pass the rules;
// the others' errors go to the report by their line.
func (s *Loans) takeLoanRows(in *loanIntake, year string, rows []ledger.LoanApplicationRow, rep *LoanFileReport) error {
	var checked []validApplication
	var lines []int
	for _, r := range rows {
		v, err := s.checkApplication(LoanApplicationInput{SchoolYear: year, IDNumber: r.IDNumber, Name: r.Name, HomeRegion: r.HomeRegion,
			CoBorrower: CoBorrower{Name: r.CoName, IDNumber: r.CoIDNumber, Relation: r.CoRelation, Phone: r.CoPhone}, University: r.University,
			UniversityCode: r.UniversityCode, Level: r.Level, Years: r.Years, EntryYear: r.EntryYear,
			TuitionFen: r.TuitionFen, AccommodationFen: r.AccommodationFen, LivingFen: r.LivingFen, Difficulty: r.Difficulty})
		if re, ok := rowErr(r.Row, err); ok {
			rep.Errors = append(rep.Errors, re)
			continue
		}
		checked, lines = append(checked, v), append(lines, r.Row)
	}
	created, err := in.takeAll(checked, func(i int, err error) error {
		re, ok := rowErr(lines[i], err)
		if !ok {
			return err
		}
		rep.Errors = append(rep.Errors, re)
		return nil
	})
	rep.Created += created
	return err
}

// countRows is the number of distinct rows with errors.
func countRows(es []ledger.RowError) int {
	seen := map[int]bool{}
	for _, e := range es {
		seen[e.Row] = true
	}
	return len(seen)
}

// ImportLoanReceipts confirms the universities' receipts (回执) listed by
// contract number: contracted → receipt_confirmed. A contract unknown in the
// officer's county, or not waiting for its receipt, is a row error and the
// list changes nothing; a receipt already confirmed is unchanged.
func (s *Loans) ImportLoanReceipts(ctx context.Context, a model.Actor, file io.ReaderAt, size int64) (LoanFileReport, error) {
	rep := LoanFileReport{Kind: "receipts"}
	if !a.Is(model.RoleCountyOfficer) {
		return rep, errRoleForbidden
	}
	rows, bad, err := ledger.ReadLoanReceipts(file, size, s.opt.RosterMaxBytes)
	if err != nil {
		return rep, loanFileErr(err)
	}
	rep.Rows, rep.Errors = len(rows)+countRows(bad), bad
	today := model.Civil(s.now().In(model.Shanghai()).Date())
	err = s.tx(ctx, func(tx *gorm.DB) error {
		rep.Errors, rep.Created, rep.Unchanged = append([]ledger.RowError(nil), bad...), 0, 0 // a retry starts again
		for _, r := range rows {
			app, err := s.contractApp(tx, a, r.ContractNo, "", model.LoanContracted, model.LoanReceiptConfirmed)
			if err == nil && app.Status == model.LoanReceiptConfirmed {
				rep.Unchanged++
				continue
			}
			if err == nil {
				on := today
				if !r.On.IsZero() {
					on = r.On
				}
				err = s.moveLoan(tx, a, &app, model.LoanReceiptConfirmed, "回执清单", func(l *model.LoanApplication) { l.ReceiptOn = &on })
			}
			if re, ok := rowErr(r.Row, err); ok {
				re.Column = "合同编号"
				rep.Errors = append(rep.Errors, re)
				continue
			}
			if err != nil {
				return err
			}
			rep.Created++
		}
		return rejectAnyRow(&rep)
	})
	return rep, err
}

// contractApp finds the application of the officer's county with the
// contract number (and school year, when given) in one of the statuses.
func (s *Loans) contractApp(tx *gorm.DB, a model.Actor, contractNo, year string, statuses ...string) (model.LoanApplication, error) {
	var apps []model.LoanApplication
	q := tx.Where("contract_no = ? AND region_code = ?", contractNo, a.RegionCode)
	if year != "" {
		q = q.Where("school_year = ?", year)
	}
	if err := q.Order("school_year DESC").Find(&apps).Error; err != nil {
		return model.LoanApplication{}, err
	}
	if len(apps) == 0 {
		return model.LoanApplication{}, newErr(CodeNotFound, "unknown_contract", "合同编号 %s 不存在或不属于本县（区）", contractNo)
	}
	for _, app := range apps {
		if slices.Contains(statuses, app.Status) {
			return app, nil
		}
	}
	return apps[0], newErr(CodeConflict, "wrong_status", "合同 %s 当前状态为“%s”", contractNo, model.LoanStatusLabel(apps[0].Status))
}

// moveLoan changes one loaded application's status inside tx, with its
// event and audit entry.
func (s *Loans) moveLoan(tx *gorm.DB, a model.Actor, app *model.LoanApplication, to, note string, change func(*model.LoanApplication)) error {
	before, from := auditLoan(*app), app.Status
	if change != nil {
		change(app)
	}
	app.Status, app.UpdatedAt = to, s.now()
	if err := tx.Save(app).Error; err != nil {
		return translate(err, "合同编号")
	}
	if err := s.loanEvent(tx, a, app.ID, from, to, note); err != nil {
		return err
	}
	return s.audit(tx, a, to, "loan_application", strconv.FormatInt(app.ID, 10), before, auditLoan(*app))
}
