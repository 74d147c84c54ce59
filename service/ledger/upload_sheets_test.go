package ledger_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/service/ledger"
)

// A bank result file listing many sheets, or several sheets naming one part
// (each read in full, so one large part inflated again and again), is
// refused as a zip bomb before the sheets are read.
func TestBankResultsWithManyOrRepeatedSheets(t *testing.T) {
	rows := [][]string{{"账号", "金额", "状态", "失败原因"}, {"6228480000000000017", "1.00", "失败", "户名不符"}}
	many := workbook(t, rows, func(f *excelize.File) {
		for i := range 101 {
			if _, err := f.NewSheet(fmt.Sprintf("S%d", i)); err != nil {
				t.Fatal(err)
			}
		}
	})
	// A sheet with no header (so that every sheet is looked through) listed
	// twice, under two names.
	repeated := rewriteZip(t, workbook(t, [][]string{{"说明"}, {"无表头"}}, nil), "xl/workbook.xml", func(x string) string {
		i := strings.Index(x, "<sheet ")
		j := strings.Index(x[i:], ">") + i + 1
		if x[j-2] != '/' {
			j = strings.Index(x[i:], "</sheet>") + i + len("</sheet>")
		}
		again := strings.Replace(strings.Replace(x[i:j], `name="Sheet1"`, `name="Again"`, 1), `sheetId="1"`, `sheetId="2"`, 1)
		return x[:j] + again + x[j:]
	})
	for name, data := range map[string][]byte{"101 sheets": many, "one part twice": repeated} {
		_, _, err := ledger.ReadBankResults(bytes.NewReader(data), int64(len(data)), 10<<20)
		var fe *ledger.FileError
		if !errors.As(err, &fe) || fe.Code != ledger.CodeTooLarge || fe.Reason != "zip_bomb" || !strings.Contains(fe.Message, "工作表") {
			t.Errorf("%s: %v (%+v), want zip_bomb naming 工作表", name, err, fe)
		}
	}
}

// rewriteZip is data with one part's text changed.
func rewriteZip(t testing.TB, data []byte, part string, change func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == part {
			b = []byte(change(string(b)))
		}
		files[f.Name] = b
	}
	return zipOf(t, files)
}
