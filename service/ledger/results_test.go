package ledger_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/ledger"
)

// resultFile builds a bank result workbook; rows start at A1 and values
// keep their Go type, so float64 makes a number cell and string a text cell.
func resultFile(t testing.TB, sheet string, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			t.Fatal(err)
		}
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var err error
			if n, ok := v.(rawNumber); ok {
				err = f.SetCellFloat(sheet, cell, n.value, n.decimals, 64)
			} else {
				err = f.SetCellValue(sheet, cell, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawNumber is a number cell written with exactly this many decimals, the
// way software that does not round to 15 digits stores a computed amount.
type rawNumber struct {
	value    float64
	decimals int
}

func readResults(t testing.TB, data []byte) ([]ledger.Result, []ledger.RowError, error) {
	t.Helper()
	return ledger.ReadBankResults(bytes.NewReader(data), int64(len(data)), 10<<20)
}

// goodResultRows is what a bank sends back: a title row, headers in its own
// order and wording, number-typed amounts, and a closing 合计 row.
func goodResultRows() [][]any {
	return [][]any{
		{"南县农村商业银行代发结果"},
		{"序号", "收款人姓名", "交易状态", "金额（元）", " 账 号 ", "失败原因", "证件号码", "备注"},
		{1, "张三", "交易成功", 750.0, "0012345678901234", "", "43092120100101123X"},
		{2, "李大山", "失败", "750.00", "6228 4800 0000 0000 017", "账户已销户"},
		{3, "阿依古丽·买买提", "退票", 625.5, "6210980000000000009", "户名不符"},
		{4, "王五", "已成功", 1250.0, "６２１７０００００００００００１"},
		{},
		{"合计", "", "", 3375.5},
	}
}

func TestReadBankResultsGoodFile(t *testing.T) {
	results, rowErrs, err := readResults(t, resultFile(t, "结果", goodResultRows()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rowErrs) != 0 {
		t.Fatalf("row errors: %v", rowErrs)
	}
	want := []ledger.Result{
		{Row: 3, Seq: 1, Account: "0012345678901234", Amount: 75000, Success: true, HolderName: "张三", IDNumber: "43092120100101123X"},
		{Row: 4, Seq: 2, Account: "6228480000000000017", Amount: 75000, Success: false, Reason: "账户已销户", HolderName: "李大山"},
		{Row: 5, Seq: 3, Account: "6210980000000000009", Amount: 62550, Success: false, Reason: "户名不符", HolderName: "阿依古丽·买买提"},
		{Row: 6, Seq: 4, Account: "6217000000000001", Amount: 125000, Success: true, HolderName: "王五"},
	}
	if len(results) != len(want) {
		t.Fatalf("got %d results: %+v", len(results), results)
	}
	for i := range want {
		if results[i] != want[i] {
			t.Errorf("result %d = %+v\nwant       %+v", i, results[i], want[i])
		}
	}
}

func TestReadBankResultsRowProblems(t *testing.T) {
	rows := [][]any{
		{"账号", "金额", "状态", "失败原因"},
		{"6228480000000000017", "750.00", "处理中"},                    // unknown status
		{"6228480000000000025", "1.234", "成功"},                      // three decimals in text
		{"6228480000000000033", "七百五十", "成功"},                       // not a number
		{"", "750.00", "成功"},                                        // no account
		{"62284800000X", "750.00", "失败", "卡号错误"},                    // letters in account
		{6228480000000000041.0, 750.0, "成功"},                        // account as a number: digits lost
		{"6228480000000000058", 0.0, "失败"},                          // zero amount
		{"6228480000000000066", rawNumber{625.5 - 1e-13, 13}, "成功"}, // float noise of 625.50
		{"6228480000000000074", 625.499, "成功"},                      // a real third decimal
		{"6228480000000000082", "¥1,250.00", "交易成功"},                // currency sign and separators
	}
	results, rowErrs, err := readResults(t, resultFile(t, "Sheet1", rows))
	if err != nil {
		t.Fatal(err)
	}
	wantErrs := map[int]string{2: "状态", 3: "金额", 4: "金额", 5: "账号", 6: "账号", 7: "账号", 8: "金额", 10: "金额"}
	got := map[int]string{}
	for _, e := range rowErrs {
		got[e.Row] = e.Column
		if e.Message == "" || !strings.Contains(e.Error(), "第"+strconv.Itoa(e.Row)+"行") {
			t.Errorf("row error without a usable message: %+v", e)
		}
	}
	for row, col := range wantErrs {
		if got[row] != col {
			t.Errorf("row %d: error in %q, want %q (all: %+v)", row, got[row], col, rowErrs)
		}
	}
	if len(rowErrs) != len(wantErrs) {
		t.Errorf("%d row errors, want %d: %+v", len(rowErrs), len(wantErrs), rowErrs)
	}
	if len(results) != 2 || results[0].Row != 9 || results[0].Amount != 62550 || results[1].Amount != 125000 {
		t.Errorf("results = %+v", results)
	}
	for _, e := range rowErrs {
		if e.Row == 2 && !strings.Contains(e.Message, "处理中") {
			t.Errorf("unknown status message does not quote the value: %q", e.Message)
		}
	}
}

func TestReadBankResultsNumberCellAmounts(t *testing.T) {
	// A number cell's raw value, whole or with one decimal, is exact fen.
	rows := [][]any{{"账号", "金额", "状态"}}
	amounts := []float64{1250, 1250.5, 0.01, 99999.99, 3300}
	for i, a := range amounts {
		rows = append(rows, []any{"62284800000000000" + strconv.Itoa(10+i), a, "成功"})
	}
	results, rowErrs, err := readResults(t, resultFile(t, "Sheet1", rows))
	if err != nil || len(rowErrs) != 0 {
		t.Fatalf("err %v, row errors %v", err, rowErrs)
	}
	want := []model.Fen{125000, 125050, 1, 9999999, 330000}
	for i, r := range results {
		if r.Amount != want[i] {
			t.Errorf("row %d amount %d, want %d", r.Row, r.Amount, want[i])
		}
	}
}

func TestReadBankResultsFileProblems(t *testing.T) {
	noHeader := resultFile(t, "Sheet1", [][]any{{"账号", "金额", "失败原因"}, {"6228480000000000017", "1.00", ""}})
	dupHeader := resultFile(t, "Sheet1", [][]any{{"账号", "银行卡号", "金额", "状态"}})
	var ourBankFile bytes.Buffer
	b := twelveLines()
	if err := ledger.WriteBankFile(&ourBankFile, b, ledger.BankParts(b.Lines, 5)[0]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		maxBytes int64
		code     string
	}{
		{"missing 状态 header", noHeader, 10 << 20, ledger.CodeNoHeader},
		{"two account columns", dupHeader, 10 << 20, ledger.CodeNoHeader},
		{"our own payment file, not a result", ourBankFile.Bytes(), 10 << 20, ledger.CodeNoHeader},
		{"not a zip", []byte("序号,账号,金额,状态\n1,622848,1.00,成功\n"), 10 << 20, ledger.CodeInvalidFile},
		{"empty", nil, 10 << 20, ledger.CodeInvalidFile},
		{"zip without a workbook", zipOf(t, map[string][]byte{"hello.txt": []byte("hi")}), 10 << 20, ledger.CodeInvalidFile},
		{"over maxBytes", noHeader, 100, ledger.CodeTooLarge},
		{"zip bomb", zipOf(t, map[string][]byte{"xl/worksheets/sheet1.xml": make([]byte, 101<<20)}), 1 << 20, ledger.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, rowErrs, err := ledger.ReadBankResults(bytes.NewReader(tt.data), int64(len(tt.data)), tt.maxBytes)
			var fe *ledger.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (results %v, row errors %v), want a *FileError", err, results, rowErrs)
			}
			if fe.Code != tt.code || fe.Message == "" {
				t.Errorf("FileError = %+v, want code %s", fe, tt.code)
			}
		})
	}
}

func zipOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFuzzSeedsAreCurrent rewrites the fuzz seeds when UPDATE_FUZZ_SEEDS=1
// and otherwise checks that they are there.
func TestFuzzSeedsAreCurrent(t *testing.T) {
	seeds := map[string][]byte{
		"good_result":  resultFile(t, "结果", goodResultRows()),
		"row_problems": resultFile(t, "Sheet1", [][]any{{"账号", "金额", "状态"}, {"6228", "1.234", "处理中"}, {"6228480000000000017", 12.5, "成功"}}),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadBankResults")
	for name, data := range seeds {
		path := filepath.Join(dir, name)
		if os.Getenv("UPDATE_FUZZ_SEEDS") != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			corpus := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
			if err := os.WriteFile(path, []byte(corpus), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("fuzz seed %s missing; run with UPDATE_FUZZ_SEEDS=1", path)
		}
	}
}

func FuzzReadBankResults(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		results, rowErrs, err := ledger.ReadBankResults(bytes.NewReader(data), int64(len(data)), 1<<20)
		if err != nil {
			var fe *ledger.FileError
			if !errors.As(err, &fe) || fe.Code == "" || fe.Message == "" {
				t.Fatalf("error %v is not a usable *FileError", err)
			}
			if results != nil || rowErrs != nil {
				t.Fatal("results alongside a file error")
			}
			return
		}
		for _, r := range results {
			if r.Amount <= 0 || r.Row < 2 || len(r.Account) < 12 || strings.Trim(r.Account, "0123456789") != "" {
				t.Fatalf("implausible result %+v", r)
			}
		}
		for _, e := range rowErrs {
			if e.Row < 2 || e.Column == "" || e.Message == "" {
				t.Fatalf("implausible row error %+v", e)
			}
		}
	})
}
