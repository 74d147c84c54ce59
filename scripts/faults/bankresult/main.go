// Command bankresult writes a bank result sheet (序号, 账号, 户名, 金额, 状态,
// 失败原因) for the fault scripts, from the JSON lines of GET
// /batches/{id}/lines as finance sees them (full account numbers):
//
//	bankresult -in lines.json -out results.xlsx [-fail N]
//
// The first N lines are reported failed (账户已销户), the rest paid.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"
)

type line struct {
	Seq         int    `json:"seq"`
	BankAccount string `json:"bank_account"`
	HolderName  string `json:"holder_name"`
	AmountFen   int64  `json:"amount_fen"`
}

func main() {
	in := flag.String("in", "", "JSON array of batch lines")
	out := flag.String("out", "results.xlsx", "result workbook to write")
	fail := flag.Int("fail", 0, "how many lines (from the first) the bank reports failed")
	flag.Parse()
	if err := run(*in, *out, *fail); err != nil {
		fmt.Fprintln(os.Stderr, "bankresult:", err)
		os.Exit(1)
	}
}

func run(in, out string, fail int) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var lines []line
	if err := json.Unmarshal(b, &lines); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	if err := f.SetColStyle(sheet, "A:F", text); err != nil {
		return err
	}
	if err := f.SetSheetRow(sheet, "A1", &[]any{"序号", "账号", "户名", "金额", "状态", "失败原因"}); err != nil {
		return err
	}
	for i, l := range lines {
		status, reason := "成功", ""
		if i < fail {
			status, reason = "失败", "账户已销户"
		}
		amount := fmt.Sprintf("%d.%02d", l.AmountFen/100, l.AmountFen%100)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &[]any{fmt.Sprint(l.Seq), l.BankAccount, l.HolderName, amount, status, reason}); err != nil {
			return err
		}
	}
	return f.SaveAs(out)
}
