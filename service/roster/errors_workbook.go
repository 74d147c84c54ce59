package roster

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// ColErrors is the column added to the error workbook.
const ColErrors = "错误说明"

// WriteErrorWorkbook writes the rejected rows as they were uploaded, with
// the bad cells filled light red and every message of a row in 错误说明. The
// sheet is named 花名册 and keeps the uploaded headers, so once the errors
// are fixed the same file can be uploaded again (错误说明 is then ignored).
// Past 16 MiB excelize spills the sheet to a file in tmpDir (the data
// directory; "" is the system's).
func WriteErrorWorkbook(w io.Writer, headers []string, failed []FailedRow, tmpDir string) error {
	f := excelize.NewFile(excelize.Options{TmpDir: tmpDir})
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetRoster); err != nil {
		return err
	}
	cols := errorColumnsOf(headers, failed)
	st, err := newErrorStyles(f)
	if err != nil {
		return err
	}
	sw, err := startErrorSheet(f, st, cols.headers)
	if err != nil {
		return err
	}
	for n, fr := range failed {
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, cols.row(fr, st)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// errorColumns are the upload's columns as the error workbook writes them.
type errorColumns struct {
	headers  []string
	keep     []int          // the upload's column of each written one
	position map[string]int // where each known column's errors are marked
}

func errorColumnsOf(headers []string, failed []FailedRow) errorColumns {
	width := len(headers)
	for _, fr := range failed {
		width = max(width, len(fr.Cells))
	}
	// A corrected error workbook uploaded again still has the old 错误说明
	// column: leave it out rather than write the messages twice.
	keep := make([]int, 0, width)
	for i := range width {
		if i >= len(headers) || strings.TrimFunc(headers[i], isBlank) != ColErrors {
			keep = append(keep, i)
		}
	}
	c := errorColumns{headers: pick(headers, keep), keep: keep, position: map[string]int{}}
	// The upload's own headers, read the way Parse reads them.
	for i, h := range c.headers {
		if name, ok := canonicalHeader(h); ok {
			if _, seen := c.position[name]; !seen {
				c.position[name] = i
			}
		}
	}
	return c
}

// row is a failed row as uploaded, its bad cells marked and its messages in
// the last column.
func (c errorColumns) row(fr FailedRow, st errorStyles) []any {
	width := len(c.keep)
	bad := map[int]bool{}
	msgs := make([]string, 0, len(fr.Errors))
	for _, e := range fr.Errors {
		if i, ok := c.position[e.Column]; ok {
			bad[i] = true
		}
		msgs = append(msgs, e.Column+"："+e.Message)
	}
	cells := pick(fr.Cells, c.keep)
	row := make([]any, width+1)
	for i := range width {
		style := st.text
		if bad[i] {
			style = st.bad
		}
		// A string value is written as an inline string, never as a
		// formula, so "=HYPERLINK(…)" in a cell stays inert text.
		row[i] = excelize.Cell{StyleID: style, Value: cells[i]}
	}
	row[width] = excelize.Cell{StyleID: st.message, Value: fmt.Sprintf("第%d行：%s", fr.Row, strings.Join(msgs, "；"))}
	return row
}

// startErrorSheet sets the columns (all text, so that re-typing a corrected
// ID or account number in Excel keeps all its digits), freezes the header
// and writes it with 错误说明 last.
func startErrorSheet(f *excelize.File, st errorStyles, headers []string) (*excelize.StreamWriter, error) {
	width := len(headers)
	sw, err := f.NewStreamWriter(SheetRoster)
	if err != nil {
		return nil, err
	}
	if err := sw.SetColStyle(1, width+1, st.text); err != nil {
		return nil, err
	}
	for i, h := range headers {
		w := 14.0
		if name, ok := canonicalHeader(h); ok {
			w = columnWidth(name)
		}
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	if err := sw.SetColWidth(width+1, width+1, 60); err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	head := make([]any, width+1)
	for i, h := range headers {
		head[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	head[width] = excelize.Cell{StyleID: st.headerErrors, Value: ColErrors}
	return sw, sw.SetRow("A1", head)
}

// pick returns the values at the given indexes, "" past the end of values.
func pick(values []string, indexes []int) []string {
	out := make([]string, len(indexes))
	for j, i := range indexes {
		if i < len(values) {
			out[j] = values[i]
		}
	}
	return out
}

type errorStyles struct {
	header, headerErrors, text, bad, message int
}

func newErrorStyles(f *excelize.File) (errorStyles, error) {
	var st errorStyles
	text := 49 // "@"
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&st.header, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, NumFmt: text}},
		{&st.headerErrors, excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, NumFmt: text}},
		{&st.text, excelize.Style{NumFmt: text}},
		{&st.bad, excelize.Style{NumFmt: text, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, Font: &excelize.Font{Color: "9C0006"}}},
		{&st.message, excelize.Style{NumFmt: text, Font: &excelize.Font{Color: "C00000"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
	} {
		id, err := f.NewStyle(&s.style)
		if err != nil {
			return st, err
		}
		*s.id = id
	}
	return st, nil
}
