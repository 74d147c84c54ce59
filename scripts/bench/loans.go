package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"studentaid/model"
	"studentaid/scripts/genloans/gen"
	"studentaid/service"
)

// The loan desk's rows: an application workbook imported (against reading
// it and inserting its rows in one transaction), and the yearly statement
// of a county's loans (against reading the same columns of the same rows).

const loanFileName = "loans.xlsx"

// loanColumns is the width of the import's insert reference: the 16
// template columns, the service's own (status, limits, sealed values) and
// two 64-character values, as the application row has about 45.
const loanColumns = 45

func loanOfficer() model.Actor {
	return model.Actor{Username: countyUser, Role: model.RoleCountyOfficer, RegionCode: county}
}

func taskLoanGen(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	f, err := os.Create(cfg.LoanFile)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	t.Start()
	err = gen.Write(w, gen.Options{Rows: cfg.LoanRows, Region: county, SchoolYear: schoolYear(), Seed: 2026})
	if err == nil {
		err = w.Flush()
	}
	t.Stop()
	r.Rows = cfg.LoanRows
	return err
}

func taskLoanRefRead(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	t.Start()
	n, err := readRoster(cfg.LoanFile, nil)
	t.Stop()
	r.Rows = n
	return err
}

func taskLoanRef(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	// 20 rows an INSERT, as the import writes them.
	return refInsert(ctx, cfg, t, r, cfg.LoanFile, loanColumns, 20)
}

// loanEnv is a fresh database with the county, its users and the loan
// figures, applications open for the bench's school year.
func loanEnv(ctx context.Context, cfg *Config) (*Env, *service.Loans, error) {
	e, _, err := freshEnv(ctx, cfg, 1)
	if err != nil {
		return nil, nil, err
	}
	loans := e.Svc.Loans
	if err := loans.SeedLoanFigures(ctx); err == nil {
		_, err = loans.SetLoanDeadline(ctx, model.Actor{Username: "admin", Role: model.RoleAdmin}, schoolYear(), model.Civil(2100, 1, 1))
	}
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return e, loans, nil
}

func taskLoanImport(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, loans, err := loanEnv(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	f, err := os.Open(cfg.LoanFile)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	t.Start()
	rep, err := loans.ImportLoanApplications(ctx, loanOfficer(), service.LoanImport{File: f, Size: st.Size(), SchoolYear: schoolYear()})
	t.Stop()
	if err != nil {
		return err
	}
	if rep.Created != cfg.LoanRows {
		return fmt.Errorf("imported %d of %d applications (%d errors)", rep.Created, cfg.LoanRows, len(rep.Errors))
	}
	r.Rows = rep.Created
	r.Note = "service.ImportLoanApplications, all_or_nothing"
	return nil
}

var loanCols = []string{"student_id", "school_year", "region_code", "kind", "name", "co_name", "co_id_enc", "co_id_hash",
	"co_id_masked", "co_relation", "co_phone_enc", "co_phone_masked", "university", "university_code", "level", "years",
	"entry_year", "tuition_fen", "accommodation_fen", "living_fen", "limit_fen", "granted_fen", "granted_school_fen",
	"granted_living_fen", "difficulty", "status", "contract_no", "signed_on", "contract_fen", "term_years", "receipt_on",
	"disbursed_on", "disbursed_fen", "created_by", "created_at", "updated_at"}

var loanUniversities = [][2]string{{"10532", "湖南大学"}, {"10533", "中南大学"}, {"10542", "湖南师范大学"}, {"10530", "湘潭大学"},
	{"10537", "湖南农业大学"}, {"14307", "益阳医学高等专科学校"}}

// taskLoanStatementLoad writes disbursed loans directly: borrowers of the
// last four school years, a quarter of them disbursed in the statement's
// year (last year), 3 % overdue and 1 % defaulted.
func taskLoanStatementLoad(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, _, err := loanEnv(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	h, err := loadConn(ctx, e)
	if err != nil {
		return err
	}
	defer h.Close()
	year := time.Now().Year() - 1
	now := time.Now().UTC().Truncate(time.Microsecond)
	per := rowsPerInsert(e)
	st := newBulk(h, "students", studentCols, per)
	ln := newBulk(h, "loan_applications", loanCols, per)
	t.Start()
	for start := 0; start < cfg.LoanStatementRows; start += per {
		var ps []person
		for i := start; i < min(start+per, cfg.LoanStatementRows); i++ {
			p := makePerson(e.Keys, i, year-18, 1+i%9, i/9)
			ps = append(ps, p)
			if err := st.Add(p.id, string(model.IDTypeResident), p.idHash, p.idEnc, p.idMasked, p.name, p.sex, p.birth, "农村",
				county, p.guardian, "", "", "", "", "", p.phoneEnc, p.phoneHash, p.phoneMasked, now, now); err != nil {
				return err
			}
		}
		if err := st.Flush(); err != nil {
			return err
		}
		for _, p := range ps {
			i := int(p.id - 1)
			first := year - i%4 // the school year of the disbursement
			disbursed := model.Civil(first, time.Month(9+i%3), 1+i%28)
			entry := first - i%2
			u := loanUniversities[i%len(loanUniversities)]
			status := model.LoanDisbursed
			switch i % 100 {
			case 7, 37, 67:
				status = model.LoanOverdue
			case 97:
				status = model.LoanDefaulted
			}
			amount := model.Fen(800_000 + (i%12)*100_000)
			sy := fmt.Sprintf("%d-%d", first, first+1)
			if err := ln.Add(p.id, sy, county, model.LoanFirst, p.name, "家长", p.idEnc, p.idHash, p.idMasked, "父子", p.phoneEnc,
				p.phoneMasked, u[1], u[0], model.LoanUndergraduate, 4, entry, 550_000, 120_000, 500_000, 2_000_000, amount,
				min(amount, 670_000), max(0, amount-670_000), "证明：低保", status, "HT"+strconv.Itoa(i), disbursed.AddDate(0, 0, -20),
				amount, 19, disbursed.AddDate(0, 0, -10), disbursed, amount, "bench", now, now); err != nil {
				return err
			}
		}
		if err := ln.Flush(); err != nil {
			return err
		}
	}
	err = h.commit()
	t.Stop()
	if err == nil {
		err = analyze(ctx, e, "students", "loan_applications")
	}
	r.Rows = ln.Rows
	return err
}

// taskLoanStatementRef reads what the statement reads, and nothing else.
func taskLoanStatementRef(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, err := openEnv(ctx, cfg, cfg.target())
	if err != nil {
		return err
	}
	defer e.Close()
	t.Start()
	rows, err := e.sqlDB().QueryContext(ctx, "SELECT id, student_id, university_code, university, entry_year, years, status, disbursed_on, disbursed_fen, prepaid_fen "+
		"FROM loan_applications WHERE region_code = ? AND disbursed_on IS NOT NULL AND disbursed_on < ?", county, model.Civil(time.Now().Year(), 1, 1))
	if err != nil {
		return err
	}
	defer rows.Close()
	var sum int64
	for rows.Next() {
		var id, student, entry, years, fen, prepaid int64
		var code, name, status string
		var on time.Time
		if err := rows.Scan(&id, &student, &code, &name, &entry, &years, &status, &on, &fen, &prepaid); err != nil {
			return err
		}
		sum += fen
		r.Rows++
	}
	t.Stop()
	return rows.Err()
}

func taskLoanStatement(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, err := openEnv(ctx, cfg, cfg.target())
	if err != nil {
		return err
	}
	defer e.Close()
	loans := e.Svc.Loans
	t.Start()
	st, err := loans.LoanStatement(ctx, loanOfficer(), time.Now().Year()-1, county)
	t.Stop()
	if err != nil {
		return err
	}
	r.Rows = cfg.LoanStatementRows
	r.Note = fmt.Sprintf("%d new loans, subsidy %s yuan, %.0f KB", st.NewLoans, st.SubsidyFen.Yuan(), float64(len(st.Data))/1e3)
	return nil
}
