package service

import (
	"bytes"
	"context"

	"studentaid/model"
	"studentaid/service/ledger"
)

// SummaryReport totals a term's entitlements by county, school, program and
// status, in the actor's area.
func (s *Reports) SummaryReport(ctx context.Context, a model.Actor, term, region string) ([]byte, error) {
	if !a.Is(model.RoleAuditor, model.RoleCountyOfficer, model.RoleFinance) {
		return nil, errRoleForbidden
	}
	t, err := model.ParseTerm(term)
	if err != nil {
		return nil, invalid("学期格式应为 2025-2026-1")
	}
	q := s.reader(ctx).Table("entitlements ent").
		Select(`sc.region_code, r.name AS region_name, sc.code AS school_code, sc.name AS school_name, ent.program, ent.status,
			COUNT(*) AS count, SUM(ent.amount_fen) AS amount`).
		Joins("JOIN schools sc ON sc.id = ent.school_id").
		Joins("JOIN regions r ON r.code = sc.region_code").
		Where("ent.term = ?", string(t))
	q = inScopeRegions(q, a, "sc.region_code")
	// A region outside the caller's area is not found, not an empty report.
	if region != "" && (!regionCodePattern.MatchString(region) ||
		!seesRegion(a, region) && !(a.ScopeKind() != "all" && model.RegionCovers(region, a.RegionCode))) {
		return nil, notFound("区域 " + truncateRunes(region, 12))
	}
	if region != "" {
		q = q.Where("sc.region_code LIKE ?", model.RegionPrefix(region)+"%")
	}
	var rows []ledger.SummaryRow
	if err := q.Group("sc.region_code, r.name, sc.code, sc.name, ent.program, ent.status").
		Order("sc.region_code, sc.code, ent.program, ent.status").Scan(&rows).Error; err != nil {
		return nil, err
	}
	for i := range rows {
		if p, ok := model.ProgramByCode(rows[i].Program); ok {
			rows[i].Program = p.Name
		}
		rows[i].Status = statusLabel[rows[i].Status]
	}
	var buf bytes.Buffer
	if err := ledger.WriteSummary(&buf, t.Label()+"学生资助汇总表", s.now(), rows); err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "summary_report", term, nil, map[string]any{"region": region, "rows": len(rows)})
	return buf.Bytes(), nil
}
