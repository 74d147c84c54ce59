package roster

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
)

// The roster sheet of an .xlsx is read here straight from its zip entry,
// inflated as it is decoded, with every byte counted against Options'
// bounds (issue 15: excelize copied a 900 MB sheet to disk and grew to
// 1.65 GB decoding it). Nothing of the workbook but its list of sheets,
// the shared strings and the one sheet is read.

// xlsxRows streams the rows of one worksheet.
type xlsxRows struct {
	sheet string
	rc    io.ReadCloser
	in    *countingReader
	dec   *xml.Decoder
	sst   *sharedStrings
	b     bounds
	watch map[int]bool // 0-based columns whose number cells are reported

	used   int64     // text held: the shared strings and the rows read so far, against b.text
	line   int       // the last line handed out
	ahead  *sheetRow // the next row of the sheet, when read early
	done   bool      // the sheet's last token is read
	merged []string  // merged ranges touching row 1
}

type sheetRow struct {
	line    int
	cells   []string
	numeric []int // watched columns holding a number cell
}

// openXLSXSheet finds the sheet named want (else the first; "": the active
// one) and opens it for streaming, after reading the shared strings within
// the bounds.
func openXLSXSheet(zr *zip.Reader, opt Options, want string) (*xlsxRows, *FileError) {
	wb, ok := readWorkbook(zr)
	if !ok {
		return nil, fileErr(Unreadable, "not_xlsx", "无法读取工作簿，文件可能已损坏：%s", saveAsXLSX)
	}
	if len(wb.sheets) == 0 {
		return nil, fileErr(NotARoster, "empty_sheet", "工作簿里没有工作表")
	}
	sheet := wb.sheets[0]
	if want == "" && wb.active < len(wb.sheets) {
		sheet = wb.sheets[wb.active]
	}
	for _, s := range wb.sheets {
		if want != "" && s.name == want {
			sheet = s
		}
	}
	if sheet.part == nil {
		return nil, unreadable(sheet.name)
	}
	b := opt.bounds()
	sst, fe := readSharedStrings(wb.sharedStrings, b)
	if fe != nil {
		return nil, fe
	}
	return openSheetPart(sheet, sst, b)
}

// openSheetPart opens a sheet for streaming, its shared strings read.
func openSheetPart(sheet workbookSheet, sst *sharedStrings, b bounds) (*xlsxRows, *FileError) {
	if sheet.part == nil {
		return nil, unreadable(sheet.name)
	}
	rc, err := sheet.part.Open()
	if err != nil {
		return nil, unreadable(sheet.name)
	}
	in := &countingReader{r: rc, limit: b.rowXML}
	return &xlsxRows{sheet: sheet.name, rc: rc, in: in, dec: xml.NewDecoder(in), sst: sst, b: b, used: sst.size()}, nil
}

func (x *xlsxRows) name() string            { return x.sheet }
func (x *xlsxRows) setWatch(w map[int]bool) { x.watch = w }
func (x *xlsxRows) merges() []string        { return x.merged }
func (x *xlsxRows) close()                  { x.rc.Close() }

// next hands out rows by line number, an empty one for every line the
// sheet skips, as Excel numbers them; ok is false after the last.
func (x *xlsxRows) next() (sheetRow, bool, *FileError) {
	if x.ahead == nil && !x.done {
		r, fe := x.readRow()
		if fe != nil {
			return sheetRow{}, false, fe
		}
		x.ahead = r
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

// maxLine is Excel's last row.
const maxLine = 1 << 20

// readRow reads up to the next row and returns it, or nil at the end of
// the sheet; merged cells met on the way (they follow the rows) are noted.
func (x *xlsxRows) readRow() (*sheetRow, *FileError) {
	for {
		tok, err := x.dec.RawToken()
		if err == io.EOF {
			x.done = true
			return nil, nil
		}
		if err != nil {
			return nil, x.readErr(err, x.line+1)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		x.in.mark = x.dec.InputOffset()
		switch start.Name.Local {
		case "row":
			line, err := strconv.Atoi(attr(start, "r"))
			if err != nil || line <= x.line {
				line = x.line + 1
			}
			if line > maxLine {
				return nil, unreadable(x.sheet)
			}
			return x.readCells(line)
		case "mergeCell":
			if ref := attr(start, "ref"); touchesRowOne(ref) && len(x.merged) < 20 {
				x.merged = append(x.merged, ref)
			}
		}
	}
}

// readCells reads one row's cells, as excelize did: each cell at its
// column (blanks before it), cells without a value left out, values raw.
func (x *xlsxRows) readCells(line int) (*sheetRow, *FileError) {
	row := &sheetRow{line: line}
	var size, text int64 // the row's text and a string header a slot; its text alone
	col := 0
	for {
		tok, err := x.dec.RawToken()
		if err != nil {
			return nil, x.readErr(err, line)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == "row" {
				if x.used += text; x.used > x.b.text {
					return nil, contentTooLarge(x.b)
				}
				return row, nil
			}
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			col++
			if ref := attr(t, "r"); ref != "" {
				c, _, ok := cellRef([]byte(strings.ToUpper(ref)))
				if !ok {
					return nil, unreadable(x.sheet)
				}
				col = c
			}
			typ := attr(t, "t")
			val, formula, fe := x.readValue(typ, line, col)
			if fe != nil {
				return nil, fe
			}
			if val == "" && !formula {
				continue
			}
			text += int64(len(val))
			size += int64(len(val)) + slotBytes*int64(max(1, col-len(row.cells)))
			if size > x.b.row {
				return nil, rowTooLarge(line, x.b)
			}
			for len(row.cells) < col-1 {
				row.cells = append(row.cells, "")
			}
			row.cells = append(row.cells, val)
			if (typ == "" || typ == "n") && x.watch[col-1] {
				row.numeric = append(row.numeric, col-1)
			}
		}
	}
}

// readValue reads a cell's element to its end: the value (<v>, or the
// text runs of an inline string) and whether it has a formula.
func (x *xlsxRows) readValue(typ string, line, col int) (string, bool, *FileError) {
	var text strings.Builder
	formula, inV, inIS := false, false, false
	var runs runText
	for {
		tok, err := x.dec.RawToken()
		if err != nil {
			return "", false, x.readErr(err, line)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				inV = true
			case "f":
				formula = true
			case "is":
				inIS = true
			}
			if inIS {
				runs.start(t.Name.Local)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "c":
				val, fe := x.cellValue(typ, text.String(), runs.text.String(), line, col)
				return val, formula, fe
			case "v":
				inV = false
			}
			if inIS {
				runs.end(t.Name.Local)
			}
		case xml.CharData:
			switch {
			case inV:
				text.Write(t)
			case inIS:
				runs.add(t)
			}
			if int64(text.Len()+runs.text.Len()) > x.b.cell {
				return "", false, cellTooLarge(line, col, x.b)
			}
		}
	}
}

// cellValue is a cell's value as excelize's raw values were: the string a
// shared-string index points to, an inline string's text, or <v> as is.
func (x *xlsxRows) cellValue(typ, v, inline string, line, col int) (string, *FileError) {
	switch typ {
	case "s":
		if v == "" {
			return "", nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		s, ok := x.sst.get(i)
		if err != nil || !ok {
			return "", unreadable(x.sheet)
		}
		if int64(len(s)) > x.b.cell {
			return "", cellTooLarge(line, col, x.b)
		}
		return s, nil
	case "inlineStr":
		return unescapeBSTR(inline), nil
	}
	return v, nil
}

// readErr turns a decoding error into the file problem it is.
func (x *xlsxRows) readErr(err error, line int) *FileError {
	if errors.Is(err, errElementTooLarge) {
		return rowTooLarge(line, x.b)
	}
	return unreadable(x.sheet)
}

// slotBytes is what a cell costs in memory besides its text: a string
// header, so a cell far to the right (XFD1) counts for every blank before it.
const slotBytes = 16

// runText gathers the text of a shared or inline string: its <t>, and the
// <t> of each rich-text run, but not the phonetic guide (<rPh>), as Excel
// shows it.
type runText struct {
	text   strings.Builder
	depth  int // inside rPh
	inText bool
}

func (r *runText) start(name string) {
	switch name {
	case "rPh":
		r.depth++
	case "t":
		r.inText = r.depth == 0
	}
}

func (r *runText) end(name string) {
	switch name {
	case "rPh":
		r.depth--
	case "t":
		r.inText = false
	}
}

func (r *runText) add(b []byte) {
	if r.inText {
		r.text.Write(b)
	}
}

// sharedStrings is the table of a workbook's strings, kept as one string
// and the end offset of each item: a few bytes per item besides the text.
type sharedStrings struct {
	text string
	ends []uint32
}

// size is what the table holds, counted against the text bound.
func (s *sharedStrings) size() int64 {
	if s == nil {
		return 0
	}
	return int64(len(s.text)) + 4*int64(len(s.ends))
}

func (s *sharedStrings) get(i int) (string, bool) {
	if s == nil || i < 0 || i >= len(s.ends) {
		return "", false
	}
	from := uint32(0)
	if i > 0 {
		from = s.ends[i-1]
	}
	return s.text[from:s.ends[i]], true
}

// readSharedStrings reads the table within the bounds: its text and four
// bytes an item count against the text bound, which the rows then share;
// no item's XML may exceed a row's.
func readSharedStrings(f *zip.File, b bounds) (*sharedStrings, *FileError) {
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fileErr(Unreadable, "not_xlsx", "无法读取工作簿中的文本，文件可能已损坏：%s", saveAsXLSX)
	}
	defer rc.Close()
	in := &countingReader{r: rc, limit: b.rowXML}
	dec := xml.NewDecoder(in)
	var all strings.Builder
	var ends []uint32
	var item runText
	inItem := false
	budget := b.text
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return &sharedStrings{text: all.String(), ends: ends}, nil
		}
		if err != nil {
			if errors.Is(err, errElementTooLarge) {
				return nil, sharedStringsTooLarge(b)
			}
			return nil, fileErr(Unreadable, "not_xlsx", "无法读取工作簿中的文本，文件可能已损坏：%s", saveAsXLSX)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "si" {
				in.mark = dec.InputOffset()
				inItem, item = true, runText{}
			} else if inItem {
				item.start(t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Local == "si" {
				s := unescapeBSTR(item.text.String())
				if budget -= int64(len(s)) + 4; budget < 0 || all.Len()+len(s) > 1<<32-1 {
					return nil, sharedStringsTooLarge(b)
				}
				all.WriteString(s)
				ends = append(ends, uint32(all.Len()))
				inItem = false
			} else if inItem {
				item.end(t.Name.Local)
			}
		case xml.CharData:
			if inItem {
				item.add(t)
			}
		}
	}
}

// unescapeBSTR decodes the _xHHHH_ escapes with which Excel stores control
// characters (and _x005F_ for a literal underscore) in strings.
func unescapeBSTR(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(n))
				i += 7
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// countingReader counts the bytes inflated from a part and refuses to go
// further than limit past mark, which the reader moves to the start of
// each row (or shared string): no single element can make the XML decoder
// buffer more than that.
type countingReader struct {
	r     io.Reader
	n     int64
	mark  int64
	limit int64
}

var errElementTooLarge = errors.New("roster: xml element over the bound")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n-c.mark > c.limit {
		return 0, errElementTooLarge
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// workbook is what is needed of workbook.xml and its relationships.
type workbook struct {
	sheets        []workbookSheet
	active        int // the sheet shown when the workbook was saved
	sharedStrings *zip.File
}

type workbookSheet struct {
	name string
	part *zip.File
}

// readWorkbook lists the sheets in their order and finds their parts and
// the shared strings, following the relationships as Excel does.
func readWorkbook(zr *zip.Reader) (workbook, bool) {
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		files[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, "\\", "/"), "/"))] = f
	}
	part := "xl/workbook.xml"
	for _, rel := range readRels(files["_rels/.rels"]) {
		if strings.HasSuffix(rel.Type, "/officeDocument") {
			part = resolvePart("", rel.Target)
		}
	}
	var wb struct {
		Views []struct {
			ActiveTab int `xml:"activeTab,attr"`
		} `xml:"bookViews>workbookView"`
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if !readXML(files[strings.ToLower(part)], &wb) {
		return workbook{}, false
	}
	dir := path.Dir(part)
	targets := map[string]*zip.File{}
	out := workbook{sharedStrings: files["xl/sharedstrings.xml"]}
	if len(wb.Views) > 0 && wb.Views[0].ActiveTab > 0 {
		out.active = wb.Views[0].ActiveTab
	}
	for _, rel := range readRels(files[strings.ToLower(path.Join(dir, "_rels", path.Base(part)+".rels"))]) {
		f := files[strings.ToLower(resolvePart(dir, rel.Target))]
		targets[rel.ID] = f
		if strings.HasSuffix(rel.Type, "/sharedStrings") && f != nil {
			out.sharedStrings = f
		}
	}
	for _, s := range wb.Sheets {
		ws := workbookSheet{name: s.Name}
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && a.Value != "" {
				ws.part = targets[a.Value]
			}
		}
		out.sheets = append(out.sheets, ws)
	}
	return out, true
}

type relationship struct {
	ID     string `xml:"Id,attr"`
	Type   string `xml:"Type,attr"`
	Target string `xml:"Target,attr"`
}

func readRels(f *zip.File) []relationship {
	var rels struct {
		Rels []relationship `xml:"Relationship"`
	}
	readXML(f, &rels)
	return rels.Rels
}

// readXML reads a small package part; the workbook and its relationships are
// a few kilobytes, so anything large is not worth reading.
func readXML(f *zip.File, v any) bool {
	if f == nil || f.UncompressedSize64 > 8<<20 {
		return false
	}
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 8<<20)).Decode(v) == nil
}

func resolvePart(dir, target string) string {
	target = strings.ReplaceAll(target, "\\", "/")
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Join(dir, target), "/")
}
