package roster_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/roster"
)

// testNow is "today" for every roster test: the start of the 2025-2026 year.
var testNow = time.Date(2025, 9, 1, 9, 0, 0, 0, model.Shanghai())

var testSchools = map[string]roster.School{
	"1430903001": {ID: 1, Code: "1430903001", Name: "赫山区第一小学", Type: roster.SchoolPrimary},
	"1430903002": {ID: 2, Code: "1430903002", Name: "赫山区第一中学", Type: roster.SchoolJunior},
	"1430903003": {ID: 3, Code: "1430903003", Name: "益阳市第一高级中学", Type: roster.SchoolSenior},
	"1430903004": {ID: 4, Code: "1430903004", Name: "益阳职业技术学校", Type: roster.SchoolVocational},
	"1430903005": {ID: 5, Code: "1430903005", Name: "桃江县九年一贯制学校", Type: roster.SchoolNineYear},
	"1430903006": {ID: 6, Code: "1430903006", Name: "安化县完全中学", Type: roster.SchoolCompleteSecondary},
	"1430903009": {ID: 9, Code: "1430903009", Name: "类型未设置的学校", Type: ""},
}

func schoolOpts(code string) roster.Options {
	s := testSchools[code]
	return roster.Options{SchoolYear: "2025-2026", Now: testNow, DefaultSchool: &s}
}

func countyOpts() roster.Options {
	return roster.Options{SchoolYear: "2025-2026", Now: testNow, LookupSchool: func(code string) (roster.School, bool) {
		s, ok := testSchools[code]
		return s, ok
	}}
}

// makeID builds a valid resident ID number from its parts.
func makeID(region, birth, seq string) string {
	first17 := region + birth + seq
	return first17 + string(model.IDCheckDigit(first17))
}

// book is a roster workbook built in a test: headers, then rows of values by
// header (a missing key is an empty cell). A value may be a string, or a
// float64 to store a number cell the way Excel does for typed digits.
type book struct {
	sheet   string
	headers []string
	rows    []map[string]any
	// prefix rows go above the header (title rows, blank rows).
	prefix  [][]string
	merges  [][2]string
	extra   func(f *excelize.File) // anything else, after the data
	rawRows [][]any                // rows written as given, after rows
}

func (b book) build(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := b.sheet
	if sheet == "" {
		sheet = "Sheet1"
	} else if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	line := 1
	for _, p := range b.prefix {
		setRow(t, f, sheet, line, toAny(p))
		line++
	}
	if len(b.headers) > 0 {
		setRow(t, f, sheet, line, toAny(b.headers))
		line++
	}
	for _, r := range b.rows {
		vals := make([]any, len(b.headers))
		for i, h := range b.headers {
			vals[i] = r[h]
		}
		setRow(t, f, sheet, line, vals)
		line++
	}
	for _, r := range b.rawRows {
		setRow(t, f, sheet, line, r)
		line++
	}
	for _, m := range b.merges {
		if err := f.MergeCell(sheet, m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	if b.extra != nil {
		b.extra(f)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func setRow(t testing.TB, f *excelize.File, sheet string, line int, vals []any) {
	t.Helper()
	for i, v := range vals {
		if v == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, line)
		var err error
		switch v := v.(type) {
		case string:
			if v == "" {
				continue
			}
			// SetCellStr, not SetCellValue: a text cell, as in the template.
			err = f.SetCellStr(sheet, cell, v)
		default:
			err = f.SetCellValue(sheet, cell, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// primaryHeaders are the columns a primary school fills in.
var primaryHeaders = []string{
	roster.ColName, roster.ColIDType, roster.ColIDNumber, roster.ColSex, roster.ColGrade, roster.ColClass,
	roster.ColBoarding, roster.ColHousehold, roster.ColHomeRegion, roster.ColStatus, roster.ColLevel,
	roster.ColCategories, roster.ColGuardian, roster.ColBankName, roster.ColBankAccount, roster.ColHolder,
	roster.ColPhone, roster.ColRemark,
}

// allHeaders is every column, for county uploads and vocational schools.
func allHeaders() []string {
	var hs []string
	for _, c := range roster.Columns() {
		hs = append(hs, c.Header)
	}
	return hs
}

// validRow is a correct primary-school row; tests change one thing in it.
func validRow() map[string]any {
	return map[string]any{
		roster.ColName:        "张小明",
		roster.ColIDNumber:    makeID("430903", "20150315", "123"),
		roster.ColSex:         "男",
		roster.ColGrade:       "四年级",
		roster.ColClass:       "2班",
		roster.ColBoarding:    "是",
		roster.ColHousehold:   "农村",
		roster.ColHomeRegion:  "430903",
		roster.ColLevel:       "困难",
		roster.ColCategories:  "农村低保",
		roster.ColGuardian:    "张大山",
		roster.ColBankName:    "中国农业银行益阳分行",
		roster.ColBankAccount: "6228480012345678901",
		roster.ColHolder:      "监护人",
		roster.ColPhone:       "13807371234",
	}
}

// with returns a copy of a row with some cells replaced (nil clears one).
func with(r map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(r))
	for k, v := range r {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

func parse(t testing.TB, data []byte, opt roster.Options) (*roster.Result, error) {
	t.Helper()
	return roster.Parse(bytes.NewReader(data), int64(len(data)), opt)
}

func mustParse(t testing.TB, data []byte, opt roster.Options) *roster.Result {
	t.Helper()
	res, err := parse(t, data, opt)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

func fileError(t testing.TB, err error) *roster.FileError {
	t.Helper()
	var fe *roster.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *roster.FileError", err, err)
	}
	return fe
}

func dumpErrors(errs []roster.RowError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  row %d %s [%s]: %s", e.Row, e.Column, e.Value, e.Message)
	}
	return b.String()
}
