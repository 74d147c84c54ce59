package service

import (
	"context"

	"studentaid/model"
	"studentaid/service/ledger"
)

// entitlementStatusLabels are the statuses as the list page shows them.
var entitlementStatusLabels = map[string]string{
	model.EntDraft: "草稿", model.EntSubmitted: "已提交", model.EntReturned: "已退回", model.EntApproved: "已审核",
	model.EntBatched: "已纳入批次", model.EntPaid: "已发放", model.EntRevoked: "已撤销",
}

// EntitlementWorkbook exports the list GET /entitlements would show with
// the same filter, search and order, every page, with a 合计 row; ID
// numbers stay masked. The download is audited.
func (s *Entitlements) EntitlementWorkbook(ctx context.Context, a model.Actor, f EntitlementFilter) ([]byte, error) {
	q, err := s.entitlementQuery(ctx, a, f)
	if err != nil {
		return nil, err
	}
	if err := checkExportSize(q, "共 %d 条，超过单次导出上限 %d 条：请按学校、项目或学期筛选后导出"); err != nil {
		return nil, err
	}
	var rows []EntitlementRow
	if err := entitlementRows(q, f).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := ledger.List{Title: "资助名单", Sheet: "资助名单", At: s.now(), Columns: []ledger.ListColumn{
		{Header: "序号", Width: 7, Count: true}, {Header: "姓名", Width: 12}, {Header: "身份证件号", Width: 22},
		{Header: "学校", Width: 28}, {Header: "年级", Width: 11}, {Header: "班级", Width: 10}, {Header: "资助项目", Width: 34},
		{Header: "学期", Width: 24}, {Header: "档次", Width: 10}, {Header: "金额（元）", Width: 13, Amount: true},
		{Header: "状态", Width: 11}, {Header: "原因与提示", Width: 40}}}
	var sum model.Fen
	for i, r := range rows {
		program, _ := model.ProgramByCode(r.Program)
		level := model.LevelLabel(r.Level)
		if level == "" {
			level = "—"
		}
		note := r.Reason
		if r.Warning != "" {
			note += "；" + r.Warning
		}
		out.Rows = append(out.Rows, []any{i + 1, r.Name, r.IDMasked, r.SchoolName, model.GradeText(r.Stage, r.Grade), r.Class,
			program.Name, model.Term(r.Term).Label(), level, r.AmountFen, entitlementStatusLabels[r.Status], note})
		sum += r.AmountFen
	}
	out.Total = []any{"合计", "", "", "", "", "", "", "", "", sum, "", ""}
	b, err := ledger.WriteList(out)
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "entitlements", "", nil, map[string]any{"rows": len(rows), "program": f.Program,
		"term": f.Term, "school_id": f.SchoolID, "total_fen": sum})
	return b, nil
}
