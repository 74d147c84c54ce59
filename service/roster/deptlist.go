package roster

import (
	"io"
	"slices"
	"strings"
	"time"
	"unicode"

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

// ReadDepartmentList reads the ID column of a list (.xlsx or .xls) with
// the roster's readers and bounds: the file is checked before anything is
// inflated and read a row at a time. Number cells get the "format as text"
// advice: Excel keeps 15 significant digits, so an 18-digit number stored
// as a number has already lost its last digits. Problems with the file as
// a whole are *FileError; problems in rows are in Problems.
func ReadDepartmentList(file io.ReaderAt, size int64, opt ListOptions) (DepartmentList, error) {
	ropt := Options{MaxBytes: opt.MaxBytes, MaxRows: opt.MaxRows}.withDefaults()
	if size > ropt.MaxBytes {
		return DepartmentList{}, fileErr(TooLarge, "file_too_large", "文件过大（上限 %d MB）：请删除无关的工作表后再上传，或分成几个文件", ropt.MaxBytes>>20)
	}
	head := make([]byte, 512)
	n, err := file.ReadAt(head[:min(int64(len(head)), size)], 0)
	if err != nil && err != io.EOF {
		return DepartmentList{}, err
	}
	// The sheet shown when the list was saved: a department's export is
	// not named like a roster's.
	src, fe := openRows(file, size, head[:n], ropt, "")
	if fe != nil {
		return DepartmentList{}, fe
	}
	defer src.close()
	header, ok, fe := src.next()
	if fe != nil {
		return DepartmentList{}, fe
	}
	if !ok || !hasContent(header.cells) {
		return DepartmentList{}, fileErr(NotARoster, "no_header", "工作表“%s”是空的：第一行应为表头（姓名、身份证件号）", src.name())
	}
	idCol, nameCol := listColumns(header.cells)
	if idCol < 0 {
		return DepartmentList{}, fileErr(NotARoster, "no_id_column", "第一行表头中找不到“身份证件号”列（也可写作 身份证号、证件号码）")
	}
	src.setWatch(map[int]bool{idCol: true})
	return readListRows(src, header.cells[idCol], idCol, nameCol, ropt.MaxRows, opt.Now)
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
func readListRows(src rowSource, idHeader string, idCol, nameCol, maxRows int, now time.Time) (DepartmentList, error) {
	var out DepartmentList
	seen := map[string]bool{}
	for {
		r, ok, fe := src.next()
		if fe != nil {
			return DepartmentList{}, fe
		}
		if !ok {
			return out, nil
		}
		if !hasContent(r.cells) {
			continue
		}
		if out.Rows++; out.Rows > maxRows {
			// A rule error, not too large: the department's export is what
			// it is, and the advice is the same as for a long roster.
			return DepartmentList{}, fileErr(NotARoster, "too_many_rows", "名单超过 %d 行：请分成几个文件上传", maxRows)
		}
		cell := func(c int) string {
			if c < 0 || c >= len(r.cells) {
				return ""
			}
			return strings.TrimSpace(r.cells[c])
		}
		raw := cell(idCol)
		switch {
		case raw == "":
			out.Problems = append(out.Problems, RowError{r.line, idHeader, "", "身份证件号为空"})
			continue
		case slices.Contains(r.numeric, idCol):
			out.Problems = append(out.Problems, RowError{r.line, idHeader, maskListValue(raw),
				"身份证件号存成了数字，Excel 只保留 15 位有效数字，后几位已丢失：请把该列设置为“文本”格式后重新填写"})
			continue
		}
		id, err := model.ParseIDNumber(model.IDTypeResident, raw, now)
		if err != nil {
			out.Problems = append(out.Problems, RowError{r.line, idHeader, maskListValue(raw), err.Error()})
			continue
		}
		if seen[id.Value] {
			continue
		}
		seen[id.Value] = true
		out.People = append(out.People, ListPerson{ID: id, Name: cell(nameCol)})
	}
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
