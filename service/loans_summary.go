package service

import (
	"context"

	"studentaid/model"
)

// LoanYear is one school year's loans of an area, for the charts of new
// loans and of the overdue rate by year.
type LoanYear struct {
	SchoolYear   string
	Applications int64
	Disbursed    int64
	DisbursedFen model.Fen
	Overdue      int64 // overdue or defaulted now
	OverdueBP    int64 // Overdue / Disbursed in basis points
	ByStatus     map[string]int64
}

// loanYearStatus is one school year's applications in one status.
type loanYearStatus struct {
	SchoolYear   string
	Status       string
	Applications int64
	Disbursed    int64
	DisbursedFen model.Fen
}

// LoanYears totals the caller's area by school year. Only figures: county
// officers, auditors and finance (who pays the subsidy and the risk fund).
func (s *Loans) LoanYears(ctx context.Context, a model.Actor, region string) ([]LoanYear, error) {
	if !a.Is(model.RoleCountyOfficer, model.RoleAuditor, model.RoleFinance) {
		return nil, errRoleForbidden
	}
	if region == "" {
		region = a.RegionCode
	}
	if !regionCodePattern.MatchString(region) || !seesRegion(a, region) {
		return nil, notFound("区域")
	}
	var parts []loanYearStatus
	err := s.reader(ctx).Table("loan_applications").
		Select("school_year, status, COUNT(*) AS applications, "+
			"SUM(CASE WHEN disbursed_on IS NOT NULL THEN 1 ELSE 0 END) AS disbursed, "+
			"COALESCE(SUM(disbursed_fen), 0) AS disbursed_fen").
		Where("region_code LIKE ?", model.RegionPrefix(region)+"%").
		Group("school_year, status").Order("school_year, status").Scan(&parts).Error
	var out []LoanYear
	for _, p := range parts {
		if len(out) == 0 || out[len(out)-1].SchoolYear != p.SchoolYear {
			out = append(out, LoanYear{SchoolYear: p.SchoolYear, ByStatus: map[string]int64{}})
		}
		y := &out[len(out)-1]
		y.Applications += p.Applications
		y.Disbursed += p.Disbursed
		y.DisbursedFen += p.DisbursedFen
		y.ByStatus[p.Status] = p.Applications
		if p.Status == model.LoanOverdue || p.Status == model.LoanDefaulted {
			y.Overdue += p.Applications
		}
	}
	for i := range out {
		if out[i].Disbursed > 0 {
			out[i].OverdueBP = (out[i].Overdue*10000 + out[i].Disbursed/2) / out[i].Disbursed
		}
	}
	return out, err
}
