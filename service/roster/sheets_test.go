package roster_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/service/roster"
)

// A table read through OpenWorkbook (bank results, loan files) stops at the
// row limit with too_many_rows, as a roster does, instead of holding every
// line of a tiny file that repeats one cell a million times.
func TestWorkbookSheetStopsAtTheRowLimit(t *testing.T) {
	f := excelize.NewFile()
	for i := 1; i <= 7; i++ {
		if err := f.SetCellStr("Sheet1", fmt.Sprintf("A%d", i), "1"); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	wb, err := roster.OpenWorkbook(bytes.NewReader(buf.Bytes()), int64(buf.Len()), roster.Options{MaxRows: 5, Document: "代发结果"})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := wb.Sheet(0)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	lines := 0
	for {
		_, ok, err := sh.Next()
		var fe *roster.FileError
		if errors.As(err, &fe) {
			if fe.Code != "too_many_rows" || lines != 5 {
				t.Fatalf("after %d lines: %+v", lines, fe)
			}
			return
		}
		if err != nil || !ok {
			t.Fatalf("after %d lines: ok %v, err %v; want too_many_rows after 5", lines, ok, err)
		}
		lines++
	}
}
