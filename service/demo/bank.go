package demo

import (
	"bytes"
	"context"
	"fmt"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service"
)

// bankResults has finance upload the bank's answer for 南县's approved
// batches of a program: every line paid, but the first fails with reason
// when reason is not empty (its aid goes back to the queue with it).
func (d *player) bankResults(program, reason string) func(context.Context) error {
	return func(ctx context.Context) error {
		fin := d.who["finance_nanxian"]
		bs, err := d.batchesOf(ctx, program, model.BatchApproved)
		if err != nil {
			return err
		}
		for _, b := range bs {
			var rows [][]any
			for page := 1; ; page++ {
				l, err := d.svc.Batches.ListBatchLines(ctx, fin, b.ID, "", service.Page{Page: page, PageSize: 200})
				if err != nil {
					return err
				}
				for _, line := range l.Items {
					status, why := "成功", ""
					if reason != "" && len(rows) == 0 {
						status, why = "失败", reason
					}
					rows = append(rows, []any{line.Seq, line.BankAccount, line.HolderName, line.AmountFen.Plain(), status, why})
				}
				if int64(page*200) >= l.Total {
					break
				}
			}
			file, err := resultSheet(rows)
			if err != nil {
				return err
			}
			if _, err := d.svc.Batches.ApplyBankResults(ctx, fin, b.ID, b.Number+"-结果.xlsx", bytes.NewReader(file), int64(len(file))); err != nil {
				return fmt.Errorf("bank results of %s: %w", b.Number, err)
			}
		}
		return nil
	}
}

// resultSheet is a bank's 代发结果 workbook.
func resultSheet(rows [][]any) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	if err := f.SetSheetRow(sheet, "A1", &[]any{"序号", "账号", "户名", "金额", "状态", "失败原因"}); err != nil {
		return nil, err
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	_, err := f.WriteTo(&buf)
	return buf.Bytes(), err
}
