package service

import (
	"context"
	"strconv"
	"strings"

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

// lineStatusWords are the line statuses as the batch page shows them.
var lineStatusWords = map[string]string{model.LinePending: "待发放", model.LinePaid: "已发放", model.LineFailed: "发放失败"}

// LinesWorkbook exports a batch's lines as GET /batches/{id}/lines lists
// them (status, search and order, every page), numbers full or masked as on
// the screen, with a 合计 row. It is the list a person filtered, not the
// frozen ledger. The download is audited (the search itself is not logged:
// it may be a full ID number).
func (s *Batches) LinesWorkbook(ctx context.Context, a model.Actor, id int64, f LineFilter) ([]byte, model.Batch, error) {
	q, order, b, err := s.lineQuery(s.reader(ctx), a, id, f)
	if err != nil {
		return nil, b, err
	}
	if err := checkExportSize(q, "共 %d 笔，超过单次导出上限 %d：请按状态或姓名筛选后导出"); err != nil {
		return nil, b, err
	}
	var lines []model.BatchLine
	if err := q.Order(order).Find(&lines).Error; err != nil {
		return nil, b, err
	}
	views, err := s.lineViews(a, lines)
	if err != nil {
		return nil, b, err
	}
	out := ledger.List{Title: "发放明细 " + b.Number, Sheet: "发放明细", At: s.now(), Columns: []ledger.ListColumn{
		{Header: "序号", Width: 7}, {Header: "学校", Width: 30}, {Header: "年级", Width: 10}, {Header: "姓名", Width: 12, Count: true},
		{Header: "身份证件号", Width: 21}, {Header: "开户银行", Width: 18}, {Header: "银行卡号", Width: 23}, {Header: "户名", Width: 12},
		{Header: "金额（元）", Width: 13, Amount: true}, {Header: "状态", Width: 10}, {Header: "失败原因", Width: 24}}}
	sum := model.Fen(0)
	for _, l := range views {
		out.Rows = append(out.Rows, []any{strconv.Itoa(l.Seq), l.SchoolName, model.GradeText(l.Stage, l.Grade), l.Name, l.IDNumber, l.BankName,
			l.BankAccount, l.HolderName, l.AmountFen, lineStatusWords[l.Status], l.FailReason})
		sum += l.AmountFen
	}
	out.Total = []any{"合计", "", "", len(views), "", "", "", "", sum, "", ""}
	bytes, err := ledger.WriteList(out)
	if err != nil {
		return nil, b, err
	}
	s.auditAlone(ctx, a, "download", "batch_lines", strconv.FormatInt(id, 10), nil, map[string]any{"rows": len(views),
		"number": b.Number, "status": f.Status, "searched": strings.TrimSpace(f.Q) != "", "sort": f.Sort})
	return bytes, b, nil
}
