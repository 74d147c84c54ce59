package service

import (
	"context"

	"studentaid/model"
	"studentaid/service/ledger"
)

// batchStatusLabels are the batch statuses as the pages show them.
var batchStatusLabels = map[string]string{
	model.BatchGenerated: "已生成，待财政审核", model.BatchApproved: "已审核，待银行结果",
	model.BatchPaid: "已发放", model.BatchPartiallyPaid: "部分发放",
}

// BatchListWorkbook exports the batches GET /batches lists with the same
// filter and order, with a 合计 row. The download is audited.
func (s *Batches) BatchListWorkbook(ctx context.Context, a model.Actor, f BatchFilter) ([]byte, error) {
	q, err := s.batchQuery(ctx, a, f)
	if err != nil {
		return nil, err
	}
	if err := checkExportSize(q, "共 %d 个批次，超过单次导出上限 %d：请按学期或项目筛选后导出"); err != nil {
		return nil, err
	}
	var batches []model.Batch
	if err := q.Order(batchSorts[f.Sort]).Find(&batches).Error; err != nil {
		return nil, err
	}
	out := ledger.List{Title: "发放批次", Sheet: "发放批次", At: s.now(), Columns: []ledger.ListColumn{
		{Header: "批次号", Width: 34}, {Header: "资助项目", Width: 34}, {Header: "学期", Width: 24},
		{Header: "笔数", Width: 9, Count: true}, {Header: "金额（元）", Width: 15, Amount: true}, {Header: "状态", Width: 18},
		{Header: "生成时间", Width: 17}, {Header: "审核人", Width: 14}, {Header: "台账 SHA-256", Width: 66}}}
	lines, sum := 0, model.Fen(0)
	for _, b := range batches {
		program, _ := model.ProgramByCode(b.Program)
		out.Rows = append(out.Rows, []any{b.Number, program.Name, model.Term(b.Term).Label(), b.LineCount, b.TotalFen,
			batchStatusLabels[b.Status], b.CreatedAt.In(model.Shanghai()).Format("2006-01-02 15:04"), b.ApprovedBy, b.LedgerSHA256})
		lines += b.LineCount
		sum += b.TotalFen
	}
	out.Total = []any{"合计", "", "", lines, sum, "", "", "", ""}
	bytes, err := ledger.WriteList(out)
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "batches", "", nil, map[string]any{"rows": len(batches), "program": f.Program, "term": f.Term})
	return bytes, nil
}
