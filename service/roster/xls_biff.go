package roster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"unicode/utf16"
)

// The BIFF8 records under the .xls reader (xls_rows.go): the record stream,
// the workbook globals (sheet list, shared strings) and the strings that run
// on across CONTINUE records ([MS-XLS]).

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
