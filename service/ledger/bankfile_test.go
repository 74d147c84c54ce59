package ledger_test

import (
	"bytes"
	"crypto/sha256"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/ledger"
)

// twelveLines pays 12 students 100.01, 100.02, … yuan so every part's total
// is distinct.
func twelveLines() ledger.Batch {
	b := sampleBatch()
	b.Lines = nil
	for i := 1; i <= 12; i++ {
		b.Lines = append(b.Lines, ledger.Line{Seq: i, SchoolName: "南县第一中学", Name: "学生" + strconv.Itoa(i),
			IDNumber: "43092120100101" + strconv.Itoa(1000+i), BankAccount: "00" + strconv.Itoa(62210000000000+i),
			Holder: "监护人", HolderName: "家长" + strconv.Itoa(i), Amount: model.Fen(10000 + i)})
	}
	b.Lines[11].IDType = "港澳台居民居住证"
	return b
}

func TestBankPartsSplit(t *testing.T) {
	b := twelveLines()
	parts := ledger.BankParts(b.Lines, 5)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	wantCounts := []int{5, 5, 2}
	wantAmounts := []model.Fen{50015, 50040, 20023}
	for i, p := range parts {
		if p.Part != i+1 || p.Parts != 3 || len(p.Lines) != wantCounts[i] || p.Amount != wantAmounts[i] {
			t.Errorf("part %d = {Part %d/%d, %d lines, %s}, want %d lines %s",
				i+1, p.Part, p.Parts, len(p.Lines), p.Amount.Plain(), wantCounts[i], wantAmounts[i].Plain())
		}
	}
	if parts[1].Lines[0].Seq != 6 {
		t.Errorf("part 2 starts at line %d", parts[1].Lines[0].Seq)
	}
	if n := len(ledger.BankParts(b.Lines, 0)); n != 1 {
		t.Errorf("default max gives %d parts", n)
	}
	if n := len(ledger.BankParts(b.Lines, 12)); n != 1 {
		t.Errorf("exact fit gives %d parts", n)
	}
	if n := len(ledger.BankParts(nil, 5)); n != 0 {
		t.Errorf("no lines gives %d parts", n)
	}
	if got := ledger.BankFileName(b.Number, parts[1]); got != "430921-BOARDING-2025-2026-1-001-代发明细-02-of-03.xlsx" {
		t.Errorf("file name %q", got)
	}
}

func TestWriteBankFile(t *testing.T) {
	b := twelveLines()
	parts := ledger.BankParts(b.Lines, 5)
	files := make([][]byte, len(parts))
	for i, p := range parts {
		var buf bytes.Buffer
		if err := ledger.WriteBankFile(&buf, b, p); err != nil {
			t.Fatalf("part %d: %v", p.Part, err)
		}
		files[i] = buf.Bytes()
	}

	last := openWorkbook(t, files[2])
	if got := last.GetSheetList(); len(got) != 2 || got[0] != "代发明细" || got[1] != "汇总" {
		t.Fatalf("sheets = %v", got)
	}
	rows, err := last.GetRows("代发明细")
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{
		{"序号", "账号", "户名", "金额", "证件类型", "证件号码", "摘要"},
		{"1", "0062210000000011", "家长11", "100.11", "居民身份证", "430921201001011011", "2025-2026学年第一学期义务教育家庭经济困难寄宿生生活补助"},
		{"2", "0062210000000012", "家长12", "100.12", "港澳台居民居住证", "430921201001011012", "2025-2026学年第一学期义务教育家庭经济困难寄宿生生活补助"},
	}
	if len(rows) != len(wantRows) {
		t.Fatalf("part 3 has %d rows: %q", len(rows), rows)
	}
	for i := range wantRows {
		if strings.Join(rows[i], "|") != strings.Join(wantRows[i], "|") {
			t.Errorf("row %d = %q\nwant    %q", i+1, rows[i], wantRows[i])
		}
	}
	for _, cell := range []string{"B2", "C2", "D2", "F2", "G2"} {
		if typ, _ := last.GetCellType("代发明细", cell); typ != excelize.CellTypeInlineString {
			t.Errorf("代发明细!%s type %v, want text", cell, typ)
		}
		if numFmt, _ := numFmtOf(t, last, "代发明细", cell); numFmt != 49 {
			t.Errorf("代发明细!%s number format %d, want text", cell, numFmt)
		}
	}
	for cell, want := range map[string]string{
		"B1": "430921-BOARDING-2025-2026-1-001",
		"B2": "第3部分，共3部分",
		"B3": "2",
		"B4": "200.23",
		"B5": "人民币贰佰元零贰角叁分",
		"B6": "2025-2026学年第一学期义务教育家庭经济困难寄宿生生活补助",
	} {
		if got := cellValue(t, last, "汇总", cell, false); got != want {
			t.Errorf("汇总!%s = %q, want %q", cell, got, want)
		}
	}

	first := openWorkbook(t, files[0])
	if got := cellValue(t, first, "汇总", "B3", false); got != "5" {
		t.Errorf("part 1 count %q", got)
	}
	if got := cellValue(t, first, "汇总", "B4", false); got != "500.15" {
		t.Errorf("part 1 total %q", got)
	}

	var again bytes.Buffer
	if err := ledger.WriteBankFile(&again, b, parts[2]); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(again.Bytes()) != sha256.Sum256(files[2]) {
		t.Error("the same part written twice differs")
	}
}

func TestWriteBankFileRefusesUnpayableLines(t *testing.T) {
	tests := map[string]func(*ledger.Batch, *ledger.BankPart){
		"no account":    func(b *ledger.Batch, p *ledger.BankPart) { p.Lines[0].BankAccount = "" },
		"no holder":     func(b *ledger.Batch, p *ledger.BankPart) { p.Lines[0].HolderName = "" },
		"zero amount":   func(b *ledger.Batch, p *ledger.BankPart) { p.Lines[0].Amount = 0; p.Amount -= 10001 },
		"wrong total":   func(b *ledger.Batch, p *ledger.BankPart) { p.Amount++ },
		"part overflow": func(b *ledger.Batch, p *ledger.BankPart) { p.Part = 4 },
		"no number":     func(b *ledger.Batch, p *ledger.BankPart) { b.Number = "" },
	}
	for name, spoil := range tests {
		t.Run(name, func(t *testing.T) {
			b := twelveLines()
			p := ledger.BankParts(b.Lines, 5)[0]
			p.Lines = append([]ledger.Line(nil), p.Lines...)
			spoil(&b, &p)
			var buf bytes.Buffer
			if err := ledger.WriteBankFile(&buf, b, p); err == nil {
				t.Error("accepted")
			}
			if buf.Len() != 0 {
				t.Error("wrote bytes before refusing")
			}
		})
	}
}
