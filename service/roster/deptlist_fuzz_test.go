package roster_test

import (
	"bytes"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/roster"
)

// listWorkbook writes a department list as another department's export
// would: a header row and one person a row; float64 values become number
// cells, as Excel stores an ID typed into a General column.
func listWorkbook(tb testing.TB, headers []string, rows [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, h := range headers {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		_ = f.SetCellStr("Sheet1", cell, h)
	}
	for r, row := range rows {
		for i, v := range row {
			cell, _ := excelize.CoordinatesToCellName(i+1, r+2)
			_ = f.SetCellValue("Sheet1", cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzReadDepartmentList feeds the reader of 比对 lists arbitrary bytes: it
// must never panic, must refuse with a *FileError a person can read, and
// must only ever return ID numbers that validate.
//
//	go test -run '^$' -fuzz '^FuzzReadDepartmentList$' -fuzztime 500x ./service/roster/
func FuzzReadDepartmentList(f *testing.F) {
	first := "43092120150301001"
	id := first + string(model.IDCheckDigit(first))
	f.Add(listWorkbook(f, []string{"姓名", "身份证件号"}, [][]any{{"张三", id}, {"李四", "430921201503010019"}, {"王五", ""}}))
	f.Add(listWorkbook(f, []string{"姓名", "身份证号码"}, [][]any{{"数字", 430921201503010000.0}}))
	f.Add(listWorkbook(f, []string{"姓名", "电话"}, [][]any{{"某人", "13800000000"}}))
	f.Add([]byte("姓名,身份证件号\n张三," + id + "\n"))
	f.Add([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	now := time.Date(2025, 9, 15, 2, 0, 0, 0, time.UTC)
	opt := roster.ListOptions{MaxBytes: 1 << 20, MaxRows: 2000, Now: now}
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := roster.ReadDepartmentList(bytes.NewReader(b), int64(len(b)), opt)
		if err != nil {
			var fe *roster.FileError
			if !errors.As(err, &fe) || fe.Message == "" || !utf8.ValidString(fe.Message) {
				t.Fatalf("not a readable file error: %v", err)
			}
			return
		}
		for _, e := range list.People {
			if _, err := model.ParseIDNumber(model.IDTypeResident, e.ID.Value, now); err != nil {
				t.Fatalf("returned an invalid ID: %v", err)
			}
		}
		for _, p := range list.Problems {
			if len(p.Value) >= 18 && model.IDCheckDigit(p.Value[:17]) == p.Value[17] {
				t.Fatalf("a problem row shows a full ID number: %q", p.Value)
			}
		}
		if list.Rows < len(list.People)+len(list.Problems) {
			t.Fatalf("counted %d rows for %d entries and %d problems", list.Rows, len(list.People), len(list.Problems))
		}
	})
}
