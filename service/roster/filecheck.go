package roster

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
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
	// Unreadable: not a workbook, or damaged; save it again as .xlsx.
	Unreadable Kind = iota
	// TooLarge: over the size or row limit, or expanding past the bounds
	// on what is read (a zip bomb, a dense sheet); split the file.
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

// isOLE reports an OLE2 compound file: an Excel 97–2003 workbook, and also
// every password-protected .xlsx, which Excel wraps in one.
func isOLE(head []byte) bool {
	return bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
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
// strings may unpack to: no real workbook has a style sheet or a picture
// that large, so one is taken for a bomb (the readers never open it).
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
		return nil, fileErr(TooLarge, "zip_bomb", "文件包含的部件过多（%d 个），不是正常的%s工作簿", len(zr.File), opt.Document)
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
			return nil, fileErr(TooLarge, "zip_bomb", "文件解压后过大（压缩比异常），已拒绝处理：请上传正常的%s工作簿", opt.Document)
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

// openRows opens the sheet named want (else the first; "": the sheet the
// workbook was saved on) after the checks that need nothing but the file's
// bytes: what the file really is, and the zip directory.
func openRows(r io.ReaderAt, size int64, head []byte, opt Options, want string) (rowSource, *FileError) {
	if isOLE(head) {
		return openXLSSheet(r, size, opt, want)
	}
	if fe := sniff(head); fe != nil {
		return nil, fe
	}
	zr, fe := checkZip(r, size, opt)
	if fe != nil {
		return nil, fe
	}
	return openXLSXSheet(zr, opt, want)
}

// maxParts is far more parts than a workbook of one sheet has (Excel writes
// about ten).
const maxParts = 10000

// ratioFloor is the unpacked size below which the compression ratio is not
// looked at.
const ratioFloor = 64 << 20

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
