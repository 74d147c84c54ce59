package roster

import (
	"bytes"
	"testing"
)

// TestTemplateXLSIsCurrent: the embedded .xls template reads as a roster
// header for every kind of upload, and its instructions are today's
// columns and rules; after a change to columns.go, run
// scripts/xls-fixtures.sh.
func TestTemplateXLSIsCurrent(t *testing.T) {
	school := School{ID: 1, Code: "1430903001", Name: "赫山区第一小学", Type: SchoolVocational}
	for _, opt := range []Options{
		{SchoolYear: "2025-2026", DefaultSchool: &school},
		{SchoolYear: "2030-2031", LookupSchool: func(string) (School, bool) { return school, true }},
	} {
		_, err := Parse(bytes.NewReader(templateXLS), int64(len(templateXLS)), opt)
		if fe, ok := err.(*FileError); !ok || fe.Code != "empty_sheet" {
			t.Fatalf("the template: %v (want only a header)", err)
		}
	}
	src, fe := openXLSSheet(bytes.NewReader(templateXLS), int64(len(templateXLS)), Options{}.withDefaults(), SheetInstructions)
	if fe != nil || src.name() != SheetInstructions {
		t.Fatalf("填写说明: %v", fe)
	}
	var rows [][]string
	for {
		r, ok, fe := src.next()
		if fe != nil {
			t.Fatal(fe)
		}
		if !ok {
			break
		}
		rows = append(rows, r.cells)
	}
	if len(rows) < len(columns)+1 {
		t.Fatalf("填写说明 has %d rows", len(rows))
	}
	for i, c := range columns {
		got := rows[i+1]
		if len(got) < 3 || got[0] != c.Header || got[1] != c.Requirement || got[2] != c.Rule {
			t.Errorf("填写说明 row %d: %q, want %q %q %q", i+2, got, c.Header, c.Requirement, c.Rule)
		}
	}
}
