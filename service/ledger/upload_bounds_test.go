package ledger_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/service/ledger"
)

// TestUploadsAreBoundedLikeRosters: bank results and the loan desk's files
// are read by the roster's reader within its bounds, and refused with its
// codes and messages (the file named for what it is): a cell, a row, a zip
// bomb.
func TestUploadsAreBoundedLikeRosters(t *testing.T) {
	long := strings.Repeat("长", 3000) // 9,000 bytes: past the 8 KiB of a cell
	results := func(extra func(f *excelize.File)) []byte {
		return workbook(t, [][]string{{"账号", "金额", "状态", "失败原因"}, {"6228480000000000017", "1.00", "失败", "户名不符"}}, extra)
	}
	applications := func(extra func(f *excelize.File)) []byte {
		return workbook(t, [][]string{ledger.LoanHeaders(), {"张三", "430921200701010015", "430921", "张大山", "430921197501010016",
			"父子", "13800000000", "湖南大学", "10532", "本科", "4", "2025", "5500", "1200", "6000", "低保"}}, extra)
	}
	receipts := func(extra func(f *excelize.File)) []byte {
		return workbook(t, [][]string{{"合同编号", "回执日期"}, {"HT-001", "2025-10-15"}}, extra)
	}
	bankFile := func(extra func(f *excelize.File)) []byte {
		return workbook(t, [][]string{{"合同编号", "放款日期", "放款金额"}, {"HT-001", "2025-10-15", "8000"}}, extra)
	}
	cell := func(ref string) func(f *excelize.File) {
		return func(f *excelize.File) { _ = f.SetCellStr("Sheet1", ref, long) }
	}
	farRight := func(f *excelize.File) { _ = f.SetCellStr("Sheet1", "XFD3", "x") }
	bomb := zipOf(t, map[string][]byte{"[Content_Types].xml": nil, "xl/workbook.xml": nil, "xl/worksheets/sheet1.xml": make([]byte, 101<<20)})

	readers := []struct {
		name     string
		document string
		file     func(extra func(f *excelize.File)) []byte
		read     func(data []byte) error
	}{
		{"bank results", "代发结果", results, func(data []byte) error {
			_, _, err := ledger.ReadBankResults(bytes.NewReader(data), int64(len(data)), 10<<20)
			return err
		}},
		{"loan applications", "贷款申请表", applications, func(data []byte) error {
			return ledger.ReadLoanApplications(bytes.NewReader(data), int64(len(data)), 10<<20, 100, func(ledger.LoanApplicationChunk) error { return nil })
		}},
		{"loan receipts", "回执清单", receipts, func(data []byte) error {
			_, _, err := ledger.ReadLoanReceipts(bytes.NewReader(data), int64(len(data)), 10<<20)
			return err
		}},
		{"loan bank file", "银行文件", bankFile, func(data []byte) error {
			_, _, _, err := ledger.ReadLoanBankFile(bytes.NewReader(data), int64(len(data)), 10<<20)
			return err
		}},
	}
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			if err := r.read(r.file(nil)); err != nil {
				t.Fatalf("the file without the extra: %v", err)
			}
			for _, c := range []struct {
				name, reason, says string
				data               []byte
			}{
				{"a long cell under the header", "cell_too_large", "第3行 B 列的内容超过 8 KB，" + r.document + "的单元格不会这么长", r.file(cell("B3"))},
				{"a long cell in the header", "cell_too_large", "第1行 Z 列", r.file(cell("Z1"))},
				{"a cell at XFD", "row_too_large", "第3行", r.file(farRight)},
				{"a zip bomb", "zip_bomb", "请上传正常的" + r.document + "工作簿", bomb},
			} {
				err := r.read(c.data)
				var fe *ledger.FileError
				if !errors.As(err, &fe) || fe.Code != ledger.CodeTooLarge || fe.Reason != c.reason || !strings.Contains(fe.Message, c.says) {
					t.Errorf("%s: %v (%+v), want %s saying %q", c.name, err, fe, c.reason, c.says)
				}
			}
		})
	}
}

// workbook is an .xlsx of text cells in Sheet1, then whatever extra adds.
func workbook(t testing.TB, rows [][]string, extra func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if extra != nil {
		extra(f)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
