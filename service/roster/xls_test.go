package roster_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"studentaid/service/roster"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/xls/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestXLSReadsLikeXLSX: the same roster saved by LibreOffice as .xls and
// as .xlsx gives the same rows and the same errors — formulas by their
// results, the number-typed ID refused as in an .xlsx — through one parser.
func TestXLSReadsLikeXLSX(t *testing.T) {
	xls := mustParse(t, readFixture(t, "roster.xls"), schoolOpts("1430903001"))
	xlsx := mustParse(t, readFixture(t, "roster-libreoffice.xlsx"), schoolOpts("1430903001"))
	if xls.Sheet != "花名册" || xls.Total != xlsFixtureRows || len(xls.Rows) != xlsFixtureRows-1 {
		t.Fatalf(".xls: sheet %q, %d rows, %d valid:%s", xls.Sheet, xls.Total, len(xls.Rows), dumpErrors(xls.Errors))
	}
	// The number-typed ID is refused; the sex formula over it fails too.
	if len(xls.Errors) != 2 || xls.Errors[0].Row != xlsFixtureNumericLine || !strings.Contains(xls.Errors[0].Message, "文本") {
		t.Fatalf(".xls errors:%s", dumpErrors(xls.Errors))
	}
	// Values shown with errors may differ in a number's spelling
	// (LibreOffice writes 4.3092120150301E+017 into .xlsx).
	where := func(errs []roster.RowError) (out []roster.RowError) {
		for _, e := range errs {
			out = append(out, roster.RowError{Row: e.Row, Column: e.Column, Message: e.Message})
		}
		return out
	}
	if !reflect.DeepEqual(xls.Headers, xlsx.Headers) || !reflect.DeepEqual(where(xls.Errors), where(xlsx.Errors)) || !reflect.DeepEqual(xls.Rows, xlsx.Rows) {
		for i := range xls.Rows {
			if !reflect.DeepEqual(xls.Rows[i], xlsx.Rows[i]) {
				t.Fatalf("row %d differs:\n%#v\n%#v", i, xls.Rows[i], xlsx.Rows[i])
			}
		}
		t.Fatalf(".xls and .xlsx differ:%s\n%s", dumpErrors(xls.Errors), dumpErrors(xlsx.Errors))
	}
	r := xls.Rows[0]
	if r.Name != "学生甲子" || r.IDNumber.Value != xlsFixtureID(2) || r.Sex == "" || r.Class != "1" || r.BankAccount != "6217001234500000002" {
		t.Fatalf("first row: %+v", r)
	}
}

func TestXLSMergedHeader(t *testing.T) {
	_, err := parse(t, readFixture(t, "merged.xls"), schoolOpts("1430903001"))
	if fe := fileError(t, err); fe.Code != "merged_header" || !strings.Contains(fe.Message, "N1:O1") {
		t.Fatalf("got %+v", fe)
	}
}

// TestXLSBounds: an .xls is held to the same bounds as an .xlsx.
func TestXLSBounds(t *testing.T) {
	data := readFixture(t, "roster.xls")
	for _, c := range []struct {
		opt  func(*roster.Options)
		code string
	}{
		{func(o *roster.Options) { o.MaxCellBytes = 20 }, "cell_too_large"},
		{func(o *roster.Options) { o.MaxRowBytes = 200 }, "row_too_large"},
		{func(o *roster.Options) { o.MaxTextBytes = 20 << 10 }, "content_too_large"},
		{func(o *roster.Options) { o.MaxRows = 10 }, "too_many_rows"},
	} {
		opt := schoolOpts("1430903001")
		c.opt(&opt)
		_, err := parse(t, data, opt)
		if fe := fileError(t, err); fe.Code != c.code || fe.Kind != roster.TooLarge {
			t.Errorf("%s: got %+v", c.code, fe)
		}
	}
}

// TestXLSDamaged: every cut of a real .xls is refused as a damaged file,
// never a panic or a half-read roster.
func TestXLSDamaged(t *testing.T) {
	data := readFixture(t, "roster.xls")
	for _, n := range []int{600, 4096, 9000, len(data) / 2, len(data) - 700} {
		_, err := parse(t, data[:n], schoolOpts("1430903001"))
		if fe := fileError(t, err); fe.Kind != roster.Unreadable {
			t.Errorf("cut at %d: %+v", n, fe)
		}
	}
	// Bytes flipped inside the workbook stream.
	for _, at := range []int{2000, 5000, 20000, 60000} {
		bad := append([]byte(nil), data...)
		for i := at; i < at+64 && i < len(bad); i++ {
			bad[i] ^= 0xA5
		}
		if _, err := parse(t, bad, schoolOpts("1430903001")); err == nil {
			continue // a flip inside text can leave a readable file
		} else if fileError(t, err) == nil {
			t.Errorf("flip at %d: %v", at, err)
		}
	}
}
