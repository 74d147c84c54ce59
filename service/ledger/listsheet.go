package ledger

import (
	"bytes"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// ListColumn is one column of an exported list: its header, width and
// whether it holds amounts (fen, written as 元 numbers with #,##0.00) or
// counts; every other cell is text, so an ID or a name typed as "=…" stays
// text.
type ListColumn struct {
	Header string
	Width  float64
	Amount bool
	Count  bool
}

// List is a page's list as a workbook: a title row, the headers, the rows
// and, when Total is set, a 合计 row under them.
type List struct {
	Title   string
	Sheet   string
	Columns []ListColumn
	Rows    [][]any // string, int, int64 or model.Fen per the column
	Total   []any   // nil: no 合计 row
	At      time.Time
}

// WriteList writes the list as .xlsx: header frozen, auto-filter on, widths
// set, the same bytes for the same list and time.
func WriteList(l List) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", l.Sheet); err != nil {
		return nil, err
	}
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(l.Sheet)
	if err != nil {
		return nil, err
	}
	for i, c := range l.Columns {
		if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.label, Value: l.Title}}); err != nil {
		return nil, err
	}
	head := make([]any, len(l.Columns))
	for i, c := range l.Columns {
		head[i] = excelize.Cell{StyleID: st.header, Value: c.Header}
	}
	if err := sw.SetRow("A2", head); err != nil {
		return nil, err
	}
	row := 3
	write := func(vals []any, text, count, amount int) error {
		cells, err := listCells(l.Columns, vals, text, count, amount)
		if err != nil {
			return err
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, cells)
	}
	for _, r := range l.Rows {
		if err := write(r, st.text, st.integer, st.amount); err != nil {
			return nil, err
		}
	}
	if l.Total != nil {
		if err := write(l.Total, st.totalText, st.totalInteger, st.totalAmount); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	if len(l.Columns) > 0 && len(l.Rows) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(l.Columns), 2+len(l.Rows))
		if err := f.AutoFilter(l.Sheet, "A2:"+last, nil); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := writeDeterministic(f, &buf, l.At, l.Title, l.Sheet); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// listCells styles one row: amounts in yuan from fen, counts as numbers,
// everything else as text (so an ID or account number keeps every digit).
func listCells(cols []ListColumn, vals []any, text, count, amount int) ([]any, error) {
	cells := make([]any, len(cols))
	for i, c := range cols {
		var v any = ""
		if i < len(vals) && vals[i] != nil {
			v = vals[i]
		}
		switch {
		case c.Amount:
			if fen, ok := v.(model.Fen); ok {
				cell, err := amountCell(amount, fen)
				if err != nil {
					return nil, err
				}
				cells[i] = cell
				continue
			}
		case c.Count:
			if _, ok := v.(string); !ok {
				cells[i] = excelize.Cell{StyleID: count, Value: v}
				continue
			}
		}
		cells[i] = excelize.Cell{StyleID: text, Value: fmt.Sprint(v)}
	}
	return cells, nil
}
