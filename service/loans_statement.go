package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sort"
	"strconv"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// loanStatementReader is who may read a county's statement.
func loanStatementScope(a model.Actor, region string) (string, error) {
	if !a.Is(model.RoleCountyOfficer, model.RoleFinance, model.RoleAuditor) {
		return "", errRoleForbidden
	}
	if region == "" {
		region = a.RegionCode
	}
	if !model.IsCountyCode(region) {
		return "", invalid("须指定县（区）的区域代码 region_code")
	}
	if !seesRegion(a, region) {
		return "", notFound("贷款统计表")
	}
	return region, nil
}

// LoanStatement returns a county's statement of a finished calendar year:
// the stored one, or made and frozen now (hard rule 2: the same bytes on
// every download, whoever asks first).
func (s *Loans) LoanStatement(ctx context.Context, a model.Actor, year int, region string) (model.LoanStatement, error) {
	var st model.LoanStatement
	region, err := loanStatementScope(a, region)
	if err != nil {
		return st, err
	}
	if year < 2000 || year >= s.now().In(model.Shanghai()).Year() {
		return st, ruleErr("year_not_over", "只能生成已结束年度的统计表（year 须早于今年）")
	}
	found, err := s.storedStatement(s.db.WithContext(ctx), region, year, &st)
	if err != nil || found {
		return st, err
	}
	return s.makeStatement(ctx, a, region, year)
}

func (s *Loans) storedStatement(db *gorm.DB, region string, year int, st *model.LoanStatement) (bool, error) {
	res := db.Where("region_code = ? AND year = ?", region, year).Limit(1).Find(st)
	return res.RowsAffected > 0, res.Error
}

// makeStatement computes and stores the statement. Two instances making the
// same one at once both compute it; the unique key keeps the first, and the
// second serves what the first stored.
func (s *Loans) makeStatement(ctx context.Context, a model.Actor, region string, year int) (model.LoanStatement, error) {
	var st model.LoanStatement
	db := s.db.WithContext(ctx)
	var r model.Region
	if err := db.First(&r, "code = ?", region).Error; err != nil {
		return st, translate(err, "区域")
	}
	sum, err := s.statementFigures(db, region, year)
	if err != nil {
		return st, err
	}
	sum.RegionCode, sum.RegionName, sum.GeneratedAt = region, r.Name, s.now()
	var buf bytes.Buffer
	if err := ledger.WriteLoanStatement(&buf, sum); err != nil {
		return st, err
	}
	h := sha256.Sum256(buf.Bytes())
	st = model.LoanStatement{RegionCode: region, Year: year, NewLoans: sum.NewLoans, NewFen: sum.NewFen, SubsidyFen: sum.SubsidyFen,
		RiskFundFen: sum.RiskFundFen, SHA256: hex.EncodeToString(h[:]), Data: buf.Bytes(), CreatedBy: actorName(a), CreatedAt: sum.GeneratedAt}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		st.ID = 0 // a retried transaction inserts afresh
		if err := tx.Create(&st).Error; err != nil {
			return err
		}
		view := map[string]any{"region_code": region, "year": year, "new_loans": st.NewLoans, "new_fen": st.NewFen,
			"subsidy_fen": st.SubsidyFen, "risk_fund_fen": st.RiskFundFen, "sha256": st.SHA256}
		return s.audit(tx, a, "create", "loan_statement", strconv.FormatInt(st.ID, 10), nil, view)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) || (err != nil && alreadyDone(err)) {
		_, err = s.storedStatement(db, region, year, &st)
	}
	return st, err
}

// statementColumns are what the statement reads of each disbursed loan.
type statementLoan struct {
	ID, StudentID  int64
	UniversityCode string
	University     string
	EntryYear      int
	Years          int
	Status         string
	DisbursedOn    time.Time
	DisbursedFen   model.Fen
	PrepaidFen     model.Fen
	GraduatedOn    *time.Time
}

// statementFigures reads the county's loans disbursed up to the end of the
// year in chunks: new loans of the year, the state's subsidy for the year's
// days of study, the risk fund owed on the new loans, and the principal of
// overdue and defaulted borrowers.
func (s *Loans) statementFigures(db *gorm.DB, region string, year int) (ledger.LoanStatement, error) {
	out := ledger.LoanStatement{Year: year}
	calc, err := s.loanCalculator(db, db.Table("loan_applications").Select("id").Where("region_code = ?", region))
	if err != nil {
		return out, err
	}
	yearStart, yearEnd := model.Civil(year, time.January, 1), model.Civil(year+1, time.January, 1)
	figs := calc.figuresOn(yearStart)
	unis := map[string]*ledger.LoanUniversityTotal{}
	overdue, defaulted := map[int64]bool{}, map[int64]bool{}
	// One streamed query, scanned by hand: a county's 500,000 loans are read
	// once, without gorm's per-row reflection.
	rows, err := db.Raw("SELECT id, student_id, university_code, university, entry_year, years, status, disbursed_on, disbursed_fen, prepaid_fen, graduated_on "+
		"FROM loan_applications WHERE region_code = ? AND disbursed_on IS NOT NULL AND disbursed_on < ?", region, yearEnd).Rows()
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var l statementLoan
		if err := rows.Scan(&l.ID, &l.StudentID, &l.UniversityCode, &l.University, &l.EntryYear, &l.Years, &l.Status,
			&l.DisbursedOn, &l.DisbursedFen, &l.PrepaidFen, &l.GraduatedOn); err != nil {
			return out, err
		}
		u := unis[l.UniversityCode]
		if u == nil {
			u = &ledger.LoanUniversityTotal{Code: l.UniversityCode, Name: l.University}
			unis[l.UniversityCode] = u
		}
		if !l.DisbursedOn.Before(yearStart) {
			out.NewLoans++
			out.NewFen += l.DisbursedFen
			u.NewLoans++
			u.NewFen += l.DisbursedFen
		}
		if sub := model.YearSubsidy(l.DisbursedFen, l.DisbursedOn, model.StudyEndOf(l.EntryYear, l.Years, l.GraduatedOn), year, calc.rates, calc.prepaid[l.ID]); sub > 0 {
			out.SubsidyLoans++
			out.SubsidyFen += sub
			u.SubsidyFen += sub
		}
		switch l.Status {
		case model.LoanOverdue:
			out.OverdueFen += l.DisbursedFen - l.PrepaidFen
			if !overdue[l.StudentID] {
				overdue[l.StudentID] = true
				u.Overdue++
			}
		case model.LoanDefaulted:
			out.DefaultedFen += l.DisbursedFen - l.PrepaidFen
			if !defaulted[l.StudentID] {
				defaulted[l.StudentID] = true
				u.Defaulted++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	out.Overdue, out.Defaulted = len(overdue), len(defaulted)
	out.RiskFundBP = figs.RiskFundBP
	out.RiskFundFen = model.Fen((int64(out.NewFen)*int64(figs.RiskFundBP) + 5000) / 10000)
	for _, u := range unis {
		out.Universities = append(out.Universities, *u)
	}
	sort.Slice(out.Universities, func(i, j int) bool { return out.Universities[i].Code < out.Universities[j].Code })
	return out, nil
}

// MakeLoanStatements is the yearly job: last year's statement for every
// county with loans, made once (a second run finds them stored).
func (s *Loans) MakeLoanStatements(ctx context.Context, a model.Actor, dryRun bool) (map[string]any, error) {
	year := s.now().In(model.Shanghai()).Year() - 1
	var regions []string
	if err := s.db.WithContext(ctx).Model(&model.LoanApplication{}).Distinct("region_code").
		Where("disbursed_on IS NOT NULL").Order("region_code").Pluck("region_code", &regions).Error; err != nil {
		return nil, err
	}
	made := map[string]any{"year": year, "counties": regions}
	if dryRun {
		return made, nil
	}
	sums := map[string]string{}
	for _, r := range regions {
		var st model.LoanStatement
		found, err := s.storedStatement(s.db.WithContext(ctx), r, year, &st)
		if err == nil && !found {
			st, err = s.makeStatement(ctx, a, r, year)
		}
		if err != nil {
			return made, err
		}
		sums[r] = st.SHA256
	}
	made["statements"] = sums
	return made, nil
}
