package roster

import (
	"encoding/binary"
	"io"
	"math"
	"strconv"

	"github.com/richardlehane/mscfb"
	"github.com/xuri/excelize/v2"
)

// Excel 97–2003 workbooks (.xls, BIFF8), as older templates, WPS and many
// offices still save them (issue 16). The compound file is read with
// mscfb (excelize's own dependency, for encrypted .xlsx); the few BIFF8
// records a roster needs are read here: the sheet list, the shared
// strings, and the cells of one sheet, streamed row by row into the same
// parser as an .xlsx, under the same bounds. Record layouts are those of
// [MS-XLS] 2.4.

// BIFF8 record types.
const (
	recFormula    = 0x0006
	recEOF        = 0x000A
	recFilePass   = 0x002F
	recContinue   = 0x003C
	recWindow1    = 0x003D
	recBoundSheet = 0x0085
	recMulRK      = 0x00BD
	recRString    = 0x00D6
	recMergeCells = 0x00E5
	recSST        = 0x00FC
	recLabelSST   = 0x00FD
	recNumber     = 0x0203
	recLabel      = 0x0204
	recBoolErr    = 0x0205
	recString     = 0x0207
	recRK         = 0x027E
	recBOF        = 0x0809
)

const saveAsXLSXFromXLS = "请在 Excel 或 WPS 中打开后“另存为” Excel 工作簿（*.xlsx），或另存为 Excel 97-2003 工作簿（*.xls）后再上传"

func xlsDamaged() *FileError {
	return fileErr(Unreadable, "not_xlsx", "无法读取这个 .xls 文件，文件可能已损坏：%s", saveAsXLSXFromXLS)
}

// An OLE2 compound file is an .xls workbook, or else an encrypted .xlsx or
// a Word document, which are named as such.
// openXLSSheet opens the sheet named want (else the first; "": the active
// one), or says what the file is if not an .xls.
func openXLSSheet(r io.ReaderAt, size int64, opt Options, want string) (src *xlsRows, fe *FileError) {
	defer func() {
		if recover() != nil {
			src, fe = nil, xlsDamaged()
		}
	}()
	cf, err := mscfb.New(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, xlsDamaged()
	}
	var book *mscfb.File
	names := map[string]bool{}
	for f, err := cf.Next(); err == nil; f, err = cf.Next() {
		names[f.Name] = true
		if f.Name == "Workbook" || (f.Name == "Book" && book == nil) {
			book = f
		}
	}
	switch {
	case names["EncryptionInfo"] || names["EncryptedPackage"]:
		return nil, fileErr(Unreadable, "not_xlsx", "工作簿设置了打开密码：请在 Excel 中取消密码后另存为 .xlsx 再上传（不要设置密码）")
	case names["WordDocument"]:
		return nil, fileErr(Unreadable, "not_xlsx", "这是 Word 文档，不是 Excel 工作簿：请上传花名册的 .xlsx 或 .xls 文件")
	case book == nil:
		return nil, fileErr(Unreadable, "not_xlsx", "文件不是 Excel 工作簿：%s", saveAsXLSX)
	case book.Name == "Book":
		return nil, fileErr(Unreadable, "not_xlsx", "这是 Excel 95 或更早版本的文件：%s", saveAsXLSX)
	}
	b := opt.bounds()
	g, fe := readXLSGlobals(newBIFF(io.NewSectionReader(book, 0, book.Size)), b)
	if fe != nil {
		return nil, fe
	}
	if len(g.sheets) == 0 {
		return nil, fileErr(NotARoster, "empty_sheet", "工作簿里没有工作表")
	}
	sheet := g.sheets[0]
	for _, s := range g.sheets {
		if (want == "" && s.tab == g.active) || (want != "" && s.name == want) {
			sheet = s
		}
	}
	if sheet.offset >= book.Size {
		return nil, xlsDamaged()
	}
	x := &xlsRows{sheet: sheet.name, br: newBIFF(io.NewSectionReader(book, sheet.offset, book.Size-sheet.offset)), sst: g.sst, b: b, used: g.sst.size()}
	if err := x.br.next(); err != nil || x.br.typ != recBOF {
		return nil, xlsDamaged()
	}
	return x, nil
}

// xlsRows streams the cells of one worksheet as rows.
type xlsRows struct {
	sheet string
	br    *biff
	sst   *sharedStrings
	b     bounds
	watch map[int]bool

	line    int       // the last line handed out
	ahead   *sheetRow // the next row, once complete
	cur     *sheetRow // the row whose cells are being read
	curSize int64     // its text and a string header a slot, against b.row
	curText int64
	used    int64     // text held: the shared strings and the rows read so far, against b.text
	formula *xlsCell  // a formula whose string result is in a later record
	queue   []xlsCell // the numbers of a MULRK record not yet handed out
	depth   int       // BOF…EOF nesting (charts inside a sheet)
	done    bool
	merged  []string
}

type xlsCell struct {
	row, col int
	value    string
	number   bool
}

func (x *xlsRows) name() string            { return x.sheet }
func (x *xlsRows) setWatch(w map[int]bool) { x.watch = w }
func (x *xlsRows) merges() []string        { return x.merged }
func (x *xlsRows) close()                  {}

// next hands out rows by line number, as the .xlsx reader does.
func (x *xlsRows) next() (row sheetRow, ok bool, fe *FileError) {
	defer func() {
		if recover() != nil {
			row, ok, fe = sheetRow{}, false, xlsDamaged()
		}
	}()
	if x.ahead == nil && !x.done {
		if x.ahead, fe = x.readRow(); fe != nil {
			return sheetRow{}, false, fe
		}
	}
	if x.ahead == nil {
		return sheetRow{}, false, nil
	}
	x.line++
	if x.ahead.line > x.line {
		return sheetRow{line: x.line}, true, nil
	}
	r := *x.ahead
	x.ahead = nil
	return r, true, nil
}

// readRow reads cells until one of a later row, and returns the row they
// make; nil after the sheet's last.
func (x *xlsRows) readRow() (*sheetRow, *FileError) {
	for {
		c, ok, fe := x.readCell()
		if fe != nil {
			return nil, fe
		}
		if !ok {
			x.done = true
			return x.finishRow()
		}
		line := c.row + 1
		if x.cur != nil && line < x.cur.line {
			return nil, xlsDamaged() // cells out of row order: not as Excel writes them
		}
		var done *sheetRow
		if x.cur != nil && line > x.cur.line {
			if done, fe = x.finishRow(); fe != nil {
				return nil, fe
			}
		}
		if x.cur == nil {
			x.cur, x.curSize, x.curText = &sheetRow{line: line}, 0, 0
		}
		if fe := x.addCell(c); fe != nil {
			return nil, fe
		}
		if done != nil {
			return done, nil
		}
	}
}

func (x *xlsRows) addCell(c xlsCell) *FileError {
	col := c.col + 1
	if int64(len(c.value)) > x.b.cell {
		return cellTooLarge(c.row+1, col, x.b)
	}
	if c.value == "" {
		return nil
	}
	r := x.cur
	x.curText += int64(len(c.value))
	x.curSize += int64(len(c.value)) + slotBytes*int64(max(1, col-len(r.cells)))
	if x.curSize > x.b.row {
		return rowTooLarge(r.line, x.b)
	}
	for len(r.cells) < col {
		r.cells = append(r.cells, "")
	}
	r.cells[c.col] = c.value
	if c.number && x.watch[c.col] {
		r.numeric = append(r.numeric, c.col)
	}
	return nil
}

func (x *xlsRows) finishRow() (*sheetRow, *FileError) {
	r := x.cur
	x.cur = nil
	if r == nil {
		return nil, nil
	}
	if x.used += x.curText; x.used > x.b.text {
		return nil, contentTooLarge(x.b)
	}
	return r, nil
}

// readCell reads records up to the next cell with a value; ok is false at
// the sheet's end.
func (x *xlsRows) readCell() (xlsCell, bool, *FileError) {
	for {
		if len(x.queue) > 0 {
			c := x.queue[0]
			x.queue = x.queue[1:]
			return c, true, nil
		}
		if err := x.br.next(); err != nil {
			return xlsCell{}, false, xlsDamaged()
		}
		d := x.br.data
		switch x.br.typ {
		case recBOF:
			x.depth++
			continue
		case recEOF:
			if x.depth == 0 {
				return xlsCell{}, false, nil
			}
			x.depth--
			continue
		}
		if x.depth > 0 {
			continue
		}
		if x.br.typ == recMergeCells {
			x.noteMerges(d)
			continue
		}
		if x.br.typ == recString && x.formula != nil {
			c := *x.formula
			x.formula = nil
			s, ok := (&cont{br: x.br, seg: d}).plainString()
			if !ok {
				return xlsCell{}, false, xlsDamaged()
			}
			c.value = s
			return c, true, nil
		}
		if len(d) < 6 {
			continue
		}
		c, ok, fe := x.cellRecord(d)
		if fe != nil || ok {
			return c, ok, fe
		}
	}
}

// cellRecord decodes a record of one cell (its row and column first): ok is
// false for a record that is not a cell's value, or whose value comes later
// (a MULRK's cells are queued; a formula's string is in the next record).
func (x *xlsRows) cellRecord(d []byte) (xlsCell, bool, *FileError) {
	c := xlsCell{row: int(binary.LittleEndian.Uint16(d)), col: int(binary.LittleEndian.Uint16(d[2:]))}
	switch x.br.typ {
	case recLabelSST:
		if len(d) < 10 {
			return c, false, xlsDamaged()
		}
		s, ok := x.sst.get(int(binary.LittleEndian.Uint32(d[6:])))
		if !ok {
			return c, false, xlsDamaged()
		}
		c.value = s
	case recLabel, recRString:
		s, ok := (&cont{br: x.br, seg: d[6:]}).plainString()
		if !ok {
			return c, false, xlsDamaged()
		}
		c.value = s
	case recNumber:
		if len(d) < 14 {
			return c, false, xlsDamaged()
		}
		c.value, c.number = formatNumber(math.Float64frombits(binary.LittleEndian.Uint64(d[6:]))), true
	case recRK:
		if len(d) < 10 {
			return c, false, xlsDamaged()
		}
		c.value, c.number = formatNumber(rkValue(binary.LittleEndian.Uint32(d[6:]))), true
	case recMulRK:
		x.mulRK(d)
		return c, false, nil
	case recBoolErr:
		if len(d) < 8 {
			return c, false, xlsDamaged()
		}
		c.value = boolErrText(d[6], d[7] != 0)
	case recFormula:
		if len(d) < 14 {
			return c, false, xlsDamaged()
		}
		v := d[6:14]
		if v[6] != 0xFF || v[7] != 0xFF {
			c.value, c.number = formatNumber(math.Float64frombits(binary.LittleEndian.Uint64(v))), true
			break
		}
		switch v[0] {
		case 0: // a string, in the STRING record that follows
			x.formula = &c
			return c, false, nil
		case 1, 2:
			c.value = boolErrText(v[2], v[0] == 2)
		}
	default:
		return c, false, nil
	}
	return c, true, nil
}

// mulRK queues the numbers of a MULRK record, several cells of one row:
// each is an XF index and an RK number, after the row and first column.
func (x *xlsRows) mulRK(d []byte) {
	row, first := int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:]))
	for i, p := 0, 4; p+6 <= len(d)-2; i, p = i+1, p+6 {
		x.queue = append(x.queue, xlsCell{row: row, col: first + i,
			value: formatNumber(rkValue(binary.LittleEndian.Uint32(d[p+2:]))), number: true})
	}
}

// noteMerges keeps the merged ranges that span cells of row 1.
func (x *xlsRows) noteMerges(d []byte) {
	if len(d) < 2 {
		return
	}
	n := int(binary.LittleEndian.Uint16(d))
	for i := 0; i < n && 2+8*i+8 <= len(d); i++ {
		r := d[2+8*i:]
		r1, r2 := binary.LittleEndian.Uint16(r), binary.LittleEndian.Uint16(r[2:])
		c1, c2 := binary.LittleEndian.Uint16(r[4:]), binary.LittleEndian.Uint16(r[6:])
		if r1 != 0 || (r1 == r2 && c1 == c2) || len(x.merged) >= 20 {
			continue
		}
		from, _ := excelize.CoordinatesToCellName(int(c1)+1, int(r1)+1)
		to, _ := excelize.CoordinatesToCellName(int(c2)+1, int(r2)+1)
		x.merged = append(x.merged, from+":"+to)
	}
}

// rkValue decodes an RK number: a 30-bit integer or the top of a double,
// divided by 100 when its lowest bit says so.
func rkValue(rk uint32) float64 {
	var v float64
	if rk&2 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&^3) << 32)
	}
	if rk&1 != 0 {
		v /= 100
	}
	return v
}

// formatNumber writes a number as an .xlsx stores it: integers in full up
// to Excel's 15 digits, larger ones as 4.3090320150315123E+17 (so an ID
// number typed as a number is refused the same way), others as decimals.
func formatNumber(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return ""
	case math.Abs(f) >= 1e15:
		return strconv.FormatFloat(f, 'E', -1, 64)
	case f == math.Trunc(f):
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// boolErrText is a Boolean as .xlsx raw values are (1 or 0), or an error's
// text.
func boolErrText(v byte, isErr bool) string {
	if !isErr {
		if v != 0 {
			return "1"
		}
		return "0"
	}
	switch v {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	}
	return "#N/A"
}
