package roster

import (
	"archive/zip"
	"io"
	"slices"
)

// Workbook is an uploaded .xlsx read a sheet at a time by the roster's
// reader, within the same bounds, for the other uploads that are tables
// (the bank's payment results, the loan desk's files): checked as a roster
// is before anything is inflated (zip_bomb), then each sheet decoded
// straight from its zip entry with every byte counted (cell_too_large,
// row_too_large, content_too_large). Values are the raw values excelize's
// GetRows gave.
type Workbook struct {
	wb      workbook
	b       bounds
	opt     Options
	sst     *sharedStrings // read when the first sheet is opened
	sstRead bool
	opened  map[*zip.File]bool
}

// maxSheets bounds how many sheets an upload may list: each is read in
// full, and many entries naming one large part would inflate it again and
// again.
const maxSheets = 100

// OpenWorkbook checks a file as Parse checks a roster: what it is and its
// zip directory. Only .xlsx is read: an .xls (or an encrypted .xlsx) is
// Unreadable like any file that is not one. The file's size is not checked
// against opt.MaxBytes: callers say that in their own words. Errors are
// *FileError.
func OpenWorkbook(r io.ReaderAt, size int64, opt Options) (*Workbook, error) {
	opt = opt.withDefaults()
	head := make([]byte, 512)
	n, err := r.ReadAt(head[:min(int64(len(head)), size)], 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if isOLE(head[:n]) {
		return nil, fileErr(Unreadable, "not_xlsx", "这是 Excel 97-2003 工作簿或加密的工作簿：%s", saveAsXLSX)
	}
	if fe := sniff(head[:n]); fe != nil {
		return nil, fe
	}
	zr, fe := checkZip(r, size, opt)
	if fe != nil {
		return nil, fe
	}
	wb, ok := readWorkbook(zr)
	if !ok {
		return nil, fileErr(Unreadable, "not_xlsx", "无法读取工作簿，文件可能已损坏：%s", saveAsXLSX)
	}
	if len(wb.sheets) > maxSheets {
		return nil, fileErr(TooLarge, "zip_bomb", "%s有 %d 个工作表，超过 %d 个：请只保留需要上传的工作表", opt.Document, len(wb.sheets), maxSheets)
	}
	return &Workbook{wb: wb, b: opt.bounds(), opt: opt, opened: map[*zip.File]bool{}}, nil
}

// Sheets names the workbook's sheets in their order.
func (w *Workbook) Sheets() []string {
	names := make([]string, len(w.wb.sheets))
	for i, s := range w.wb.sheets {
		names[i] = s.name
	}
	return names
}

// Sheet opens the i-th sheet (in the order of Sheets) for reading. Errors
// are *FileError.
func (w *Workbook) Sheet(i int) (*Sheet, error) {
	if !w.sstRead {
		sst, fe := readSharedStrings(w.wb.sharedStrings, w.b)
		if fe != nil {
			return nil, fe
		}
		w.sst, w.sstRead = sst, true
	}
	// Two sheets naming one part are not a workbook Excel writes: reading
	// the part again would only inflate it twice.
	if part := w.wb.sheets[i].part; w.opened[part] {
		return nil, fileErr(TooLarge, "zip_bomb", "%s中有多个工作表指向同一内容，不是正常的工作簿", w.opt.Document)
	} else {
		w.opened[part] = true
	}
	x, fe := openSheetPart(w.wb.sheets[i], w.sst, w.b)
	if fe != nil {
		return nil, fe
	}
	return &Sheet{x: x, maxRows: w.opt.MaxRows, doc: w.opt.Document}, nil
}

// Sheet is one sheet of a Workbook, read line by line, at most maxRows
// lines with content (the roster's row limit).
type Sheet struct {
	x       *xlsxRows
	rows    int
	maxRows int
	doc     string
}

// SheetRow is one line of a sheet: its cells' raw values (each at its
// column, none after the last with a value) and which of the watched
// columns hold a number cell.
type SheetRow struct {
	Line    int
	Cells   []string
	Numbers []int // 0-based columns, as given to WatchNumbers
}

// WatchNumbers names the columns (0-based) whose number cells Next
// reports, from the next line on.
func (s *Sheet) WatchNumbers(cols ...int) {
	watch := map[int]bool{}
	for _, c := range cols {
		watch[c] = true
	}
	s.x.setWatch(watch)
}

// Next returns the next line, an empty one for a line the sheet skips, as
// Excel numbers them; ok is false after the last. A *FileError ends the
// reading.
func (s *Sheet) Next() (row SheetRow, ok bool, err error) {
	r, ok, fe := s.x.next()
	if fe != nil {
		return SheetRow{}, false, fe
	}
	if ok && hasContent(r.cells) {
		if s.rows++; s.rows > s.maxRows {
			return SheetRow{}, false, fileErr(TooLarge, "too_many_rows", "%s超过 %d 行：请分成几个文件上传", s.doc, s.maxRows)
		}
	}
	return SheetRow{Line: r.line, Cells: r.cells, Numbers: slices.Clip(r.numeric)}, ok, nil
}

// Close lets the sheet's zip entry go.
func (s *Sheet) Close() { s.x.close() }
