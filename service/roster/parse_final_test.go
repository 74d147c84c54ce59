package roster_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"studentaid/model"
	"studentaid/service/roster"
)

// TestParseFinalRowsAreTheRowsThatPassed: the rows of the result, made again
// from their cells once the file is read, are the rows that passed while it
// was read (Options.OnRows sees those), less the duplicates and the rows
// Refuse names; Refuse is asked about the others in file order, at most 500
// at a time, and what it refuses fails with its message and the cells.
func TestParseFinalRowsAreTheRowsThatPassed(t *testing.T) {
	const n = 1200
	var rows []map[string]any
	for i := range n {
		r := with(validRow(),
			roster.ColIDNumber, makeID("430903", fmt.Sprintf("2015%02d%02d", 1+i/28%12, 1+i%28), fmt.Sprintf("%03d", i%1000)),
			roster.ColSex, nil, // from the ID number
			roster.ColClass, fmt.Sprintf(" %d班 ", i%9+1),
			roster.ColRemark, strings.Repeat("备", i%50))
		switch i % 5 {
		case 1:
			// A resident number under another type: accepted with a warning.
			r = with(r, roster.ColIDType, "护照")
		case 2:
			r = with(r, roster.ColHousehold, "非农业户口", roster.ColStatus, "在校",
				roster.ColBankName, nil, roster.ColBankAccount, nil, roster.ColHolder, nil)
		case 3:
			r = with(r, roster.ColName, "张3") // fails while read
		}
		rows = append(rows, r)
	}
	// Lines 6 and 1006 (indexes 4 and 1004) name the same person.
	rows[1004] = with(rows[1004], roster.ColIDNumber, rows[4][roster.ColIDNumber])
	data := book{headers: primaryHeaders, rows: rows}.build(t)

	var streamed []roster.Row
	var asked [][]int
	opt := schoolOpts("1430903001")
	opt.StreamRows = 1
	opt.OnRows = func(rs []roster.Row) { streamed = append(streamed, rs...) }
	opt.Refuse = func(rs []roster.Row) (map[int]string, error) {
		var lines []int
		out := map[int]string{}
		for _, r := range rs {
			lines = append(lines, r.Line)
			if r.Line%7 == 0 {
				out[r.Line] = "该生本学年已在其他学校注册，请办理转学"
			}
		}
		asked = append(asked, lines)
		return out, nil
	}
	res := mustParse(t, data, opt)

	var want []roster.Row
	dup := map[int]bool{6: true, 1006: true}
	var askedWant []int
	for _, r := range streamed {
		if dup[r.Line] {
			continue
		}
		askedWant = append(askedWant, r.Line)
		if r.Line%7 != 0 {
			want = append(want, r)
		}
	}
	if len(want) < 800 || !reflect.DeepEqual(res.Rows, want) {
		t.Fatalf("%d rows; want the %d that passed, the same:\n%+v\n%+v", len(res.Rows), len(want), first(res.Rows), first(want))
	}
	warned := 0
	for _, r := range res.Rows {
		if len(r.Warnings) > 0 && r.Warnings[0].Value == "护照" {
			warned++
		}
	}
	if warned == 0 {
		t.Error("no row kept its warning")
	}
	var askedLines []int
	for _, lines := range asked {
		if len(lines) > 500 {
			t.Errorf("Refuse asked about %d rows at once", len(lines))
		}
		askedLines = append(askedLines, lines...)
	}
	if !reflect.DeepEqual(askedLines, askedWant) {
		t.Errorf("Refuse asked about %d lines, want the %d that passed, in order", len(askedLines), len(askedWant))
	}

	failed := map[int]roster.FailedRow{}
	for i, fr := range res.Failed {
		if i > 0 && res.Failed[i-1].Row >= fr.Row {
			t.Fatalf("failed rows out of order at %d", fr.Row)
		}
		failed[fr.Row] = fr
	}
	if len(failed)+len(res.Rows) != n {
		t.Errorf("%d failed + %d rows, want %d", len(failed), len(res.Rows), n)
	}
	for _, line := range []int{6, 1006, 7, 14, 1001} {
		fr, ok := failed[line]
		if !ok || len(fr.Errors) != 1 || fr.Errors[0].Column != roster.ColIDNumber || fr.Errors[0].Value == "" ||
			!strings.Contains(fr.Errors[0].Value, "****") || len(fr.Cells) < 3 || fr.Cells[0] != "张小明" {
			t.Errorf("line %d: %+v", line, fr)
		}
	}
	if e := failed[7].Errors[0]; e.Message != "该生本学年已在其他学校注册，请办理转学" {
		t.Errorf("refused line 7: %q", e.Message)
	}
	if e := failed[1006].Errors[0]; !strings.HasPrefix(e.Message, "与第6行身份证件号重复") {
		t.Errorf("duplicate line 1006: %q", e.Message)
	}
	// Words normalised as before (they are now the constants, not the cells).
	for _, r := range res.Rows {
		if r.Line%5 == 4 && (r.Household != "城镇" || r.Status != model.StatusEnrolled || r.Sex != "女" && r.Sex != "男") {
			t.Fatalf("line %d: %q %q %q", r.Line, r.Household, r.Status, r.Sex)
		}
	}
}

func first(rows []roster.Row) []roster.Row { return rows[:min(2, len(rows))] }
