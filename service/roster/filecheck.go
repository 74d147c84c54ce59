package roster

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// FileError is a problem with the file as a whole: nothing in it is read.
// Kind says which sort of problem, for the service to choose its error code;
// Code is a stable reason for clients, Message what the uploader should do,
// in Chinese.
type FileError struct {
	Kind    Kind
	Code    string
	Message string
}

// Kind sorts file problems by what the uploader has to do about them.
type Kind int

const (
	// Unreadable: not an .xlsx workbook, damaged, or a zip bomb; save it
	// again as .xlsx.
	Unreadable Kind = iota
	// TooLarge: over the size or row limit; split the file.
	TooLarge
	// NotARoster: a workbook, but its sheet or header is not a roster's;
	// use the template.
	NotARoster
)

func (e *FileError) Error() string { return e.Code + ": " + e.Message }

func fileErr(kind Kind, code, format string, args ...any) *FileError {
	return &FileError{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

const saveAsXLSX = "请在 Excel 或 WPS 中打开后“另存为” Excel 工作簿（*.xlsx），再上传"

// sniff names what a file that is not a zip archive really is, from its
// first bytes, so the uploader knows what went wrong with the export.
func sniff(head []byte) *FileError {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return nil
	case len(head) == 0:
		return fileErr(Unreadable, "not_xlsx", "文件是空的")
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		// An OLE2 container: Excel 97–2003 workbooks, and also every
		// password-protected .xlsx, which Excel wraps in one.
		return fileErr(Unreadable, "not_xlsx", "这是旧版 .xls 文件或加密的工作簿，请在 Excel 中另存为 .xlsx（不要设置密码）")
	case bytes.HasPrefix(head, []byte("\x89PNG")), bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}),
		bytes.HasPrefix(head, []byte("GIF8")), bytes.HasPrefix(head, []byte("BM")) && len(head) > 14 && head[6] == 0 && head[7] == 0:
		return fileErr(Unreadable, "not_xlsx", "这是一张图片，不是 Excel 文件：请上传花名册的 .xlsx 工作簿，不要上传截图或照片")
	case bytes.HasPrefix(head, []byte("%PDF")):
		return fileErr(Unreadable, "not_xlsx", "这是 PDF 文件，不是 Excel 文件：请上传花名册的 .xlsx 工作簿")
	case bytes.HasPrefix(head, []byte("Rar!")), bytes.HasPrefix(head, []byte("7z\xBC\xAF")):
		return fileErr(Unreadable, "not_xlsx", "这是压缩包，不是 Excel 文件：请解压后上传其中的 .xlsx 工作簿")
	}
	if looksLikeText(head) {
		lower := bytes.ToLower(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n"))
		if bytes.HasPrefix(lower, []byte("<html")) || bytes.HasPrefix(lower, []byte("<!doctype html")) ||
			bytes.HasPrefix(lower, []byte("<table")) || bytes.Contains(lower, []byte("urn:schemas-microsoft-com:office:excel")) {
			// Many systems "export to Excel" by writing an HTML table or
			// SpreadsheetML with an .xls name.
			return fileErr(Unreadable, "not_xlsx", "这是网页（HTML/XML）格式的表格，只是扩展名为 .xls：%s", saveAsXLSX)
		}
		return fileErr(Unreadable, "not_xlsx", "这是 CSV/文本文件，不是 Excel 工作簿：%s", saveAsXLSX)
	}
	return fileErr(Unreadable, "not_xlsx", "文件不是 Excel 工作簿（.xlsx）：%s", saveAsXLSX)
}

// looksLikeText accepts UTF-8 (with or without BOM), UTF-16 with BOM and
// GBK text: no NUL bytes, and few control characters.
func looksLikeText(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return true
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	control := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' {
			control++
		}
	}
	if control > len(head)/100 {
		return false
	}
	if utf8.Valid(head) || utf8.Valid(head[:max(0, len(head)-3)]) {
		return true
	}
	// GBK: every byte above 0x7F is the lead or trail of a two-byte character.
	for i := 0; i < len(head); i++ {
		if c := head[i]; c >= 0x81 && c <= 0xFE {
			if i+1 < len(head) && (head[i+1] < 0x40 || head[i+1] == 0x7F || head[i+1] == 0xFF) {
				return false
			}
			i++
		} else if c >= 0x80 {
			return false
		}
	}
	return true
}

// largePart is the most a single part other than a worksheet or the shared
// strings may unpack to: those are read whole into memory.
const largePart = 64 << 20

// checkZip reads the central directory only, so a zip bomb is refused before
// anything is inflated. The sizes it adds up are the ones archive/zip later
// enforces while inflating, so a lying directory cannot get past them.
func checkZip(r io.ReaderAt, size int64, opt Options) (*zip.Reader, *FileError) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fileErr(Unreadable, "not_xlsx", "文件已损坏，不是有效的 .xlsx 工作簿：%s", saveAsXLSX)
	}
	if len(zr.File) > maxParts {
		return nil, fileErr(Unreadable, "zip_bomb", "文件包含的部件过多（%d 个），不是正常的花名册工作簿", len(zr.File))
	}
	var total uint64
	ratioLimit := uint64(size) * uint64(opt.MaxUnzipRatio)
	hasWorkbook := false
	for _, f := range zr.File {
		total += f.UncompressedSize64
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		big := f.UncompressedSize64 > largePart && !strings.HasPrefix(name, "xl/worksheets/") && name != "xl/sharedstrings.xml"
		// Small files (the template itself) compress far better than a
		// roster full of different names, and are harmless.
		tooDense := total > ratioFloor && total > ratioLimit
		if total > uint64(opt.MaxUnzipSize) || tooDense || big {
			return nil, fileErr(Unreadable, "zip_bomb", "文件解压后过大（压缩比异常），已拒绝处理：请上传正常的花名册工作簿")
		}
		switch {
		case strings.HasSuffix(name, "workbook.xml"), strings.HasSuffix(name, "workbook.bin"):
			hasWorkbook = true
		}
	}
	if !hasWorkbook {
		for _, f := range zr.File {
			switch name := strings.ToLower(f.Name); {
			case strings.HasPrefix(name, "word/"):
				return nil, fileErr(Unreadable, "not_xlsx", "这是 Word 文档，不是 Excel 工作簿：请上传花名册的 .xlsx 文件")
			case strings.HasPrefix(name, "ppt/"):
				return nil, fileErr(Unreadable, "not_xlsx", "这是 PowerPoint 文件，不是 Excel 工作簿：请上传花名册的 .xlsx 文件")
			case name == "content.xml" || name == "mimetype":
				return nil, fileErr(Unreadable, "not_xlsx", "这是 WPS/OpenOffice（ODS）格式：%s", saveAsXLSX)
			}
		}
		return nil, fileErr(Unreadable, "not_xlsx", "这是压缩包，不是 Excel 工作簿：请解压后上传其中的 .xlsx 文件，或%s", strings.TrimPrefix(saveAsXLSX, "请"))
	}
	return zr, nil
}

// maxParts is far more parts than a workbook of one sheet has (Excel writes
// about ten).
const maxParts = 10000

// ratioFloor is the unpacked size below which the compression ratio is not
// looked at.
const ratioFloor = 64 << 20

// openExcel hands the checked bytes to excelize with the same limits, so
// excelize itself refuses anything our directory check did not see.
func openExcel(r io.ReaderAt, size int64, opt Options) (*excelize.File, *FileError) {
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit:    opt.MaxUnzipSize,
		UnzipXMLSizeLimit: min(opt.MaxUnzipSize, 16<<20),
		RawCellValue:      true,
		TmpDir:            opt.TmpDir,
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, fileErr(Unreadable, "not_xlsx", "无法读取工作簿，文件可能已损坏：%s", saveAsXLSX)
	}
	return f, nil
}

// sheetPart finds the zip entry of a worksheet, following the workbook's
// relationships as excelize does, to look at parts of the sheet that the
// streaming row reader skips.
func sheetPart(zr *zip.Reader, sheet string) *zip.File {
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		files[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, "\\", "/"), "/"))] = f
	}
	workbook := "xl/workbook.xml"
	for _, rel := range readRels(files["_rels/.rels"]) {
		if strings.HasSuffix(rel.Type, "/officeDocument") {
			workbook = resolvePart("", rel.Target)
		}
	}
	var wb struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if !readXML(files[strings.ToLower(workbook)], &wb) {
		return nil
	}
	relID := ""
	for _, s := range wb.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, a := range s.Attrs {
			if a.Name.Local == "id" {
				relID = a.Value
			}
		}
	}
	dir := path.Dir(workbook)
	for _, rel := range readRels(files[strings.ToLower(path.Join(dir, "_rels", path.Base(workbook)+".rels"))]) {
		if rel.ID == relID && relID != "" {
			return files[strings.ToLower(resolvePart(dir, rel.Target))]
		}
	}
	return nil
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

// sheetScan is what the streaming row reader cannot tell: the merged
// ranges, which follow the rows in the sheet XML, and which cells hold
// numbers rather than text.
type sheetScan struct {
	merges  []string        // merged ranges that include a cell of row 1
	numeric map[[2]int]bool // {row, column} of number cells in watched columns
}

// scanSheet reads a worksheet part as bytes rather than XML: a literal '<'
// cannot occur in cell text or attribute values, so every '<' starts a tag,
// and only the few tags we need are looked at. It is a second pass over the
// sheet, but a cheap one next to decoding it.
func scanSheet(f *zip.File, watch map[int]bool) (sheetScan, error) {
	scan := sheetScan{numeric: map[[2]int]bool{}}
	if f == nil {
		return scan, nil
	}
	rc, err := f.Open()
	if err != nil {
		return scan, err
	}
	defer rc.Close()

	buf := make([]byte, 256<<10)
	start, end, eof := 0, 0, false
	fill := func() error {
		end = copy(buf, buf[start:end])
		start = 0
		if end == len(buf) {
			// One tag larger than the buffer: none that we look for.
			end = 0
		}
		n, err := io.ReadFull(rc, buf[end:])
		end += n
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			eof = true
			return nil
		}
		return err
	}
	for {
		data := buf[start:end]
		i := bytes.IndexByte(data, '<')
		if i < 0 {
			start = end
		} else if j := bytes.IndexByte(data[i:], '>'); j < 0 {
			start += i
		} else {
			scan.tag(data[i+1:i+j], watch)
			start += i + j + 1
			continue
		}
		if eof {
			return scan, nil
		}
		if err := fill(); err != nil {
			return scan, err
		}
	}
}

func (s *sheetScan) tag(tag []byte, watch map[int]bool) {
	name, attrs := tag, []byte(nil)
	if k := bytes.IndexAny(tag, " \t\r\n/"); k >= 0 {
		name, attrs = tag[:k], tag[k:]
	}
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	switch string(name) {
	case "c":
		if len(watch) == 0 {
			return
		}
		// A cell without a type, or of type n, holds a number.
		if t := attrValue(attrs, "t"); t != nil && string(t) != "n" {
			return
		}
		if col, row, ok := cellRef(attrValue(attrs, "r")); ok && watch[col] {
			s.numeric[[2]int{row, col}] = true
		}
	case "mergeCell":
		if ref := string(attrValue(attrs, "ref")); touchesRowOne(ref) {
			s.merges = append(s.merges, ref)
		}
	}
}

// cellRef reads "AB12" as column 28 (1-based, as excelize counts), row 12.
func cellRef(ref []byte) (col, row int, ok bool) {
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		col = col*26 + int(ref[i]-'A'+1)
		if col > 1<<14 {
			return 0, 0, false
		}
	}
	if i == 0 || i == len(ref) || i > 3 {
		return 0, 0, false
	}
	for ; i < len(ref); i++ {
		if ref[i] < '0' || ref[i] > '9' || row > 1<<21 {
			return 0, 0, false
		}
		row = row*10 + int(ref[i]-'0')
	}
	return col, row, true
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// attrValue finds name="value" (or single quotes) among a tag's
// attributes; nil when there is none.
func attrValue(attrs []byte, name string) []byte {
	for len(attrs) > 0 {
		i := bytes.Index(attrs, []byte(name))
		if i < 0 {
			return nil
		}
		rest := bytes.TrimLeft(attrs[i+len(name):], " \t\r\n")
		if (i == 0 || isXMLSpace(attrs[i-1])) && len(rest) > 0 && rest[0] == '=' {
			rest = bytes.TrimLeft(rest[1:], " \t\r\n")
			if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
				if j := bytes.IndexByte(rest[1:], rest[0]); j >= 0 {
					return rest[1 : 1+j]
				}
			}
			return nil
		}
		attrs = attrs[i+len(name):]
	}
	return nil
}

// touchesRowOne reports whether a range such as "A1:C1" or "B1:B2" covers a
// cell of the header row and more than one cell.
func touchesRowOne(ref string) bool {
	from, to, ok := strings.Cut(ref, ":")
	if !ok || from == to {
		return false
	}
	_, r1, err1 := excelize.CellNameToCoordinates(strings.ReplaceAll(from, "$", ""))
	_, r2, err2 := excelize.CellNameToCoordinates(strings.ReplaceAll(to, "$", ""))
	return err1 == nil && err2 == nil && min(r1, r2) == 1
}
