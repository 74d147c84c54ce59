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
	var out []LoanYear
	err := s.reader(ctx).Table("loan_applications").
		Select("school_year, COUNT(*) AS applications, "+
			"SUM(CASE WHEN disbursed_on IS NOT NULL THEN 1 ELSE 0 END) AS disbursed, "+
			"COALESCE(SUM(disbursed_fen), 0) AS disbursed_fen, "+
			"SUM(CASE WHEN status IN ('overdue', 'defaulted') THEN 1 ELSE 0 END) AS overdue").
		Where("region_code LIKE ?", model.RegionPrefix(region)+"%").
		Group("school_year").Order("school_year").Scan(&out).Error
	for i := range out {
		if out[i].Disbursed > 0 {
			out[i].OverdueBP = (out[i].Overdue*10000 + out[i].Disbursed/2) / out[i].Disbursed
		}
	}
	return out, err
}
