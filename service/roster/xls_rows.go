package roster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

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

// biff reads records: a type, a length and at most 8,224 bytes of data.
type biff struct {
	r    *bufio.Reader
	typ  uint16
	data []byte
	buf  [8224]byte
}

func newBIFF(r io.Reader) *biff { return &biff{r: bufio.NewReaderSize(r, 64<<10)} }

func (b *biff) next() error {
	var h [4]byte
	if _, err := io.ReadFull(b.r, h[:]); err != nil {
		return err
	}
	b.typ = binary.LittleEndian.Uint16(h[:])
	n := int(binary.LittleEndian.Uint16(h[2:]))
	if n > len(b.buf) {
		return errors.New("xls: record too long")
	}
	b.data = b.buf[:n]
	_, err := io.ReadFull(b.r, b.data)
	return err
}

// peek is the type of the next record, without reading it.
func (b *biff) peek() uint16 {
	h, err := b.r.Peek(2)
	if err != nil {
		return 0
	}
	return binary.LittleEndian.Uint16(h)
}

type xlsSheet struct {
	name   string
	offset int64
	tab    int // its place among all sheets, charts included
}

type xlsGlobals struct {
	sheets []xlsSheet // worksheets
	active int        // the tab shown when the workbook was saved
	tabs   int
	sst    *sharedStrings
}

// readXLSGlobals reads the workbook globals up to their EOF: the
// worksheets (not charts or macro sheets) and the shared strings.
func readXLSGlobals(br *biff, b bounds) (xlsGlobals, *FileError) {
	var g xlsGlobals
	if err := br.next(); err != nil || br.typ != recBOF || len(br.data) < 4 {
		return g, xlsDamaged()
	}
	if v := binary.LittleEndian.Uint16(br.data); v != 0x0600 {
		return g, fileErr(Unreadable, "not_xlsx", "这是 Excel 95 或更早版本的文件：%s", saveAsXLSX)
	}
	for {
		if err := br.next(); err != nil {
			return g, xlsDamaged()
		}
		switch br.typ {
		case recEOF:
			return g, nil
		case recFilePass:
			return g, fileErr(Unreadable, "not_xlsx", "工作簿设置了密码：请在 Excel 或 WPS 中取消密码后另存为 .xlsx 再上传")
		case recWindow1:
			if len(br.data) >= 12 {
				g.active = int(binary.LittleEndian.Uint16(br.data[10:]))
			}
		case recBoundSheet:
			if len(br.data) < 8 {
				return g, xlsDamaged()
			}
			g.tabs++
			if br.data[5] != 0 { // a chart, a macro sheet
				continue
			}
			c := &cont{br: br, seg: br.data[6:]}
			name, ok := c.shortString()
			if !ok {
				return g, xlsDamaged()
			}
			g.sheets = append(g.sheets, xlsSheet{name: name, offset: int64(binary.LittleEndian.Uint32(br.data)), tab: g.tabs - 1})
		case recSST:
			sst, fe := readXLSSharedStrings(br, b)
			if fe != nil {
				return g, fe
			}
			g.sst = sst
		}
	}
}

// readXLSSharedStrings reads the SST record and its CONTINUE records,
// counting the text as the .xlsx reader does.
func readXLSSharedStrings(br *biff, b bounds) (*sharedStrings, *FileError) {
	if len(br.data) < 8 {
		return nil, xlsDamaged()
	}
	n := int(binary.LittleEndian.Uint32(br.data[4:]))
	c := &cont{br: br, seg: br.data[8:]}
	var all strings.Builder
	ends := make([]uint32, 0, min(n, 1<<16))
	budget := b.text
	for range n {
		s, ok := c.richString()
		if !ok {
			return nil, xlsDamaged()
		}
		if budget -= int64(len(s)) + 4; budget < 0 || all.Len()+len(s) > math.MaxUint32 {
			return nil, sharedStringsTooLarge(b)
		}
		all.WriteString(s)
		ends = append(ends, uint32(all.Len()))
	}
	return &sharedStrings{text: all.String(), ends: ends}, nil
}

// cont reads strings from a record and the CONTINUE records after it: a
// string's characters may go on in the next record, which then starts
// with a byte saying whether they are one or two bytes each.
type cont struct {
	br  *biff
	seg []byte
}

// more moves to the next CONTINUE record, if the next record is one.
func (c *cont) more() bool {
	if c.br.peek() != recContinue || c.br.next() != nil {
		return false
	}
	c.seg = c.br.data
	return true
}

// take returns n bytes, across records (lengths and runs carry no flag).
func (c *cont) take(n int) ([]byte, bool) {
	if len(c.seg) >= n {
		b := c.seg[:n]
		c.seg = c.seg[n:]
		return b, true
	}
	var out []byte
	for n > 0 {
		if len(c.seg) == 0 && !c.more() {
			return nil, false
		}
		k := min(n, len(c.seg))
		out = append(out, c.seg[:k]...)
		c.seg, n = c.seg[k:], n-k
	}
	return out, true
}

func (c *cont) skip(n int) bool {
	for n > 0 {
		if len(c.seg) == 0 && !c.more() {
			return false
		}
		k := min(n, len(c.seg))
		c.seg, n = c.seg[k:], n-k
	}
	return true
}

// chars reads n characters, two bytes each when wide, switching width
// where a CONTINUE record says so.
func (c *cont) chars(n int, wide bool) (string, bool) {
	units := make([]uint16, 0, n)
	for len(units) < n {
		if len(c.seg) == 0 {
			if !c.more() || len(c.seg) == 0 {
				return "", false
			}
			wide, c.seg = c.seg[0]&1 != 0, c.seg[1:]
			continue
		}
		if wide {
			if len(c.seg) < 2 {
				return "", false
			}
			units = append(units, binary.LittleEndian.Uint16(c.seg))
			c.seg = c.seg[2:]
		} else {
			units = append(units, uint16(c.seg[0]))
			c.seg = c.seg[1:]
		}
	}
	return string(utf16.Decode(units)), true
}

// shortString is a ShortXLUnicodeString: a one-byte count, a flags byte.
func (c *cont) shortString() (string, bool) {
	h, ok := c.take(2)
	if !ok {
		return "", false
	}
	return c.chars(int(h[0]), h[1]&1 != 0)
}

// plainString is an XLUnicodeString: a two-byte count, a flags byte.
func (c *cont) plainString() (string, bool) {
	h, ok := c.take(3)
	if !ok {
		return "", false
	}
	return c.chars(int(binary.LittleEndian.Uint16(h)), h[2]&1 != 0)
}

// richString is an XLUnicodeRichExtendedString, as in the SST: formatting
// runs and phonetic data follow the characters and are skipped.
func (c *cont) richString() (string, bool) {
	h, ok := c.take(3)
	if !ok {
		return "", false
	}
	n, flags := int(binary.LittleEndian.Uint16(h)), h[2]
	runs, ext := 0, 0
	if flags&0x08 != 0 {
		r, ok := c.take(2)
		if !ok {
			return "", false
		}
		runs = int(binary.LittleEndian.Uint16(r))
	}
	if flags&0x04 != 0 {
		e, ok := c.take(4)
		if !ok {
			return "", false
		}
		ext = int(binary.LittleEndian.Uint32(e))
		if ext < 0 || ext > 1<<24 {
			return "", false
		}
	}
	s, ok := c.chars(n, flags&0x01 != 0)
	if !ok || !c.skip(4*runs) || !c.skip(ext) {
		return "", false
	}
	return s, true
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
			continue
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
				continue
			case 1, 2:
				c.value = boolErrText(v[2], v[0] == 2)
			}
		default:
			continue
		}
		return c, true, nil
	}
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
