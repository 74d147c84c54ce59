package roster

import (
	"archive/zip"
	"bytes"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// A department list is another department's export (民政 低保/特困, 乡村振兴
// 脱贫/监测, 残联, deaths) that the matching checks students against: one
// sheet, a header row with 身份证件号 (and 姓名), one person a row.

// ListOptions bound one department list.
type ListOptions struct {
	MaxBytes int64     // size of the upload; default 50 MiB
	MaxRows  int       // data rows; default 200000
	Now      time.Time // today, for checking birth dates in ID numbers
}

// DepartmentList is what a list holds: its people, once each, and the rows
// whose ID number could not be read.
type DepartmentList struct {
	Rows     int // data rows that are not blank
	People   []ListPerson
	Problems []RowError // Value masked: never a whole number
}

// ListPerson is one person on a department list.
type ListPerson struct {
	ID   model.IDNumber
	Name string
}

var (
	listIDHeaders   = []string{"身份证件号", "身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证件号码"}
	listNameHeaders = []string{"姓名"}
)

// ReadDepartmentList checks the file (size, that it is a zip-packed .xlsx,
// that it does not unpack to something huge) before excelize sees it, then
// reads the ID column. Number cells get the "format as text" advice: Excel
// keeps 15 significant digits, so an 18-digit number stored as a number has
// already lost its last digits. Problems with the file as a whole are
// *FileError.
func ReadDepartmentList(file io.ReaderAt, size int64, opt ListOptions) (DepartmentList, error) {
	f, err := openDepartmentList(file, size, opt.MaxBytes)
	if err != nil {
		return DepartmentList{}, err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return DepartmentList{}, fileErr(Unreadable, "not_xlsx", "工作簿中没有工作表")
	}
	sheet := sheets[f.GetActiveSheetIndex()%len(sheets)]
	rows, err := f.GetRows(sheet)
	if err != nil {
		return DepartmentList{}, fileErr(Unreadable, "not_xlsx", "无法读取工作表“%s”：%s", sheet, saveAsXLSX)
	}
	if len(rows) == 0 {
		return DepartmentList{}, fileErr(NotARoster, "no_header", "工作表“%s”是空的：第一行应为表头（姓名、身份证件号）", sheet)
	}
	idCol, nameCol := listColumns(rows[0])
	if idCol < 0 {
		return DepartmentList{}, fileErr(NotARoster, "no_id_column", "第一行表头中找不到“身份证件号”列（也可写作 身份证号、证件号码）")
	}
	maxRows := opt.MaxRows
	if maxRows <= 0 {
		maxRows = 200000
	}
	if len(rows)-1 > maxRows {
		// A rule error, not too large: the department's export is what it
		// is, and the advice is the same as for a long roster.
		return DepartmentList{}, fileErr(NotARoster, "too_many_rows", "名单有 %d 行，超过上限 %d 行：请分成几个文件上传", len(rows)-1, maxRows)
	}
	return readListRows(f, sheet, rows, idCol, nameCol, opt.Now), nil
}

// openDepartmentList refuses what is not a plain .xlsx before excelize
// unpacks it.
func openDepartmentList(file io.ReaderAt, size, maxBytes int64) (*excelize.File, error) {
	if maxBytes <= 0 {
		maxBytes = 50 << 20
	}
	if size > maxBytes {
		return nil, fileErr(TooLarge, "file_too_large", "文件过大（上限 %d MB）：请删除无关的工作表后再上传，或分成几个文件", maxBytes>>20)
	}
	head := make([]byte, 8)
	n, _ := file.ReadAt(head, 0)
	head = head[:n]
	switch {
	case n == 0:
		return nil, fileErr(Unreadable, "not_xlsx", "文件是空的")
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, fileErr(Unreadable, "not_xlsx", "这是旧版 .xls 文件或加密的工作簿：%s（不要设置密码）", saveAsXLSX)
	case !bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return nil, fileErr(Unreadable, "not_xlsx", "文件不是 Excel 工作簿（.xlsx）：%s", saveAsXLSX)
	}
	zr, err := zip.NewReader(file, size)
	if err != nil {
		return nil, fileErr(Unreadable, "not_xlsx", "文件已损坏，不是有效的 .xlsx 工作簿：%s", saveAsXLSX)
	}
	var unpacked uint64
	for _, f := range zr.File {
		unpacked += f.UncompressedSize64
	}
	if len(zr.File) > 10000 || unpacked > 1<<30 || (unpacked > 64<<20 && unpacked > 100*uint64(size)) {
		return nil, fileErr(Unreadable, "not_xlsx", "文件解压后过大（压缩比异常），已拒绝处理：请上传正常的名单工作簿")
	}
	f, err := excelize.OpenReader(io.NewSectionReader(file, 0, size), excelize.Options{UnzipSizeLimit: 1 << 30, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, fileErr(Unreadable, "not_xlsx", "无法读取工作簿，文件可能已损坏：%s", saveAsXLSX)
	}
	return f, nil
}

// listColumns finds the ID and name columns of the header (-1: none).
func listColumns(header []string) (idCol, nameCol int) {
	idCol, nameCol = -1, -1
	for i, h := range header {
		h = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, h)
		switch {
		case idCol < 0 && slices.Contains(listIDHeaders, h):
			idCol = i
		case nameCol < 0 && slices.Contains(listNameHeaders, h):
			nameCol = i
		}
	}
	return idCol, nameCol
}

// readListRows reads the people of a list, each ID number once.
func readListRows(f *excelize.File, sheet string, rows [][]string, idCol, nameCol int, now time.Time) DepartmentList {
	var out DepartmentList
	idHeader := rows[0][idCol]
	seen := map[string]bool{}
	for i, r := range rows[1:] {
		line := i + 2
		cell := func(c int) string {
			if c < 0 || c >= len(r) {
				return ""
			}
			return strings.TrimSpace(r[c])
		}
		raw := cell(idCol)
		if raw == "" {
			if strings.TrimSpace(strings.Join(r, "")) != "" {
				out.Rows++
				out.Problems = append(out.Problems, RowError{line, idHeader, "", "身份证件号为空"})
			}
			continue
		}
		out.Rows++
		axis, _ := excelize.CoordinatesToCellName(idCol+1, line)
		if t, err := f.GetCellType(sheet, axis); err == nil && (t == excelize.CellTypeNumber || t == excelize.CellTypeUnset) {
			out.Problems = append(out.Problems, RowError{line, idHeader, maskListValue(raw),
				"身份证件号存成了数字，Excel 只保留 15 位有效数字，后几位已丢失：请把该列设置为“文本”格式后重新填写"})
			continue
		}
		id, err := model.ParseIDNumber(model.IDTypeResident, raw, now)
		if err != nil {
			out.Problems = append(out.Problems, RowError{line, idHeader, maskListValue(raw), err.Error()})
			continue
		}
		if seen[id.Value] {
			continue
		}
		seen[id.Value] = true
		out.People = append(out.People, ListPerson{ID: id, Name: cell(nameCol)})
	}
	return out
}

// maskListValue shows enough of an unreadable ID cell to find the row, and
// never the whole number.
func maskListValue(v string) string {
	r := []rune(v)
	n := len(r)
	switch {
	case n >= 14:
		return string(r[:n-12]) + "********" + string(r[n-4:])
	case n >= 6:
		return string(r[:2]) + strings.Repeat("*", n-4) + string(r[n-2:])
	}
	return strings.Repeat("*", n)
}
