package ledger

import (
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// LoanApplicationRow is one row of the application template, read but not
// yet checked against the rules (the service does that).
type LoanApplicationRow struct {
	Row                                     int
	Name, IDNumber, HomeRegion              string
	CoName, CoIDNumber, CoRelation, CoPhone string
	University, UniversityCode, Level       string
	Years, EntryYear                        int
	TuitionFen, AccommodationFen, LivingFen model.Fen
	Difficulty                              string
}

// loanColumns are the template's columns in order, with an example value;
// the service names a column with the API field it checks.
var loanColumns = []struct{ Header, Field, Example string }{
	{"姓名", "name", "张三"},
	{"身份证号", "id_number", "430921200701010015"},
	{"户籍地区码", "home_region", "430921"},
	{"共同借款人姓名", "co_borrower.name", "张大山"},
	{"共同借款人身份证号", "co_borrower.id_number", "430921197501010016"},
	{"与学生关系", "co_borrower.relation", "父子"},
	{"共同借款人电话", "co_borrower.phone", "13800000000"},
	{"高校名称", "university", "湖南大学"},
	{"高校代码", "university_code", "10532"},
	{"学历层次", "level", "本科"},
	{"学制", "years", "4"},
	{"入学年份", "entry_year", "2025"},
	{"学费(元)", "tuition_fen", "5500"},
	{"住宿费(元)", "accommodation_fen", "1200"},
	{"生活费(元)", "living_fen", "6000"},
	{"困难证明类型", "difficulty", "低保"},
}

// LoanHeaders are the template's column headers in order (generators and
// tests write files with them).
func LoanHeaders() []string {
	out := make([]string, len(loanColumns))
	for i, c := range loanColumns {
		out[i] = c.Header
	}
	return out
}

// LoanColumnOf names the template column of an API field, for row errors.
func LoanColumnOf(field string) string {
	for _, c := range loanColumns {
		if c.Field == field {
			return c.Header
		}
	}
	return field
}

var loanLevels = map[string]string{"专科": model.LoanJuniorCollege, "高职": model.LoanJuniorCollege, "专科/高职": model.LoanJuniorCollege,
	"本科": model.LoanUndergraduate, "研究生": model.LoanGraduate, "硕士": model.LoanGraduate, "博士": model.LoanGraduate}

// WriteLoanTemplate writes the application template: the columns with the
// code columns formatted as text, one example row and a level drop-down.
func WriteLoanTemplate(w io.Writer, schoolYear string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "贷款申请"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	for i, c := range loanColumns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		_ = f.SetColWidth(sheet, col, col, float64(max(12, displayWidth(c.Header)+2)))
		_ = f.SetColStyle(sheet, col, st.plain)
		_ = f.SetCellStr(sheet, col+"1", c.Header)
		_ = f.SetCellStr(sheet, col+"2", c.Example)
	}
	_ = f.SetCellStyle(sheet, "A1", cellName(len(loanColumns), 1), st.header)
	dv := excelize.NewDataValidation(true)
	dv.Sqref = "J2:J10001"
	if err := dv.SetDropList([]string{"专科/高职", "本科", "研究生"}); err != nil {
		return err
	}
	if err := f.AddDataValidation(sheet, dv); err != nil {
		return err
	}
	_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	note, _ := f.NewSheet("填写说明")
	_ = note
	for i, line := range []string{
		schoolYear + "学年生源地信用助学贷款申请表（首贷、续贷均填此表），第一行为表头，可调整列的顺序；示例行请删除。",
		"身份证号、户籍地区码、电话、高校代码请按文本填写；户籍地区码不填时按身份证号前六位确定户籍县。",
		"金额单位为元，最多两位小数；核定金额 = 申请金额按当年额度封顶（学费、住宿费优先，余额用于生活费）。",
		"困难证明类型：电子档案中已有家庭经济困难认定的可不填；否则填写证明类型（如 低保、特困、脱贫家庭）。",
	} {
		_ = f.SetCellStr("填写说明", "A"+strconv.Itoa(i+1), line)
	}
	_ = f.SetColWidth("填写说明", "A", "A", 110)
	return f.Write(w)
}

var loanAliases = func() map[string]string {
	m := map[string]string{"学生姓名": "姓名", "身份证件号": "身份证号", "学生身份证号": "身份证号", "院校名称": "高校名称",
		"院校代码": "高校代码", "学费": "学费(元)", "住宿费": "住宿费(元)", "生活费": "生活费(元)", "关系": "与学生关系"}
	for _, c := range loanColumns {
		m[normaliseHeader(c.Header)] = c.Header
	}
	return m
}()

// LoanApplicationChunk is a run of an application workbook's rows: those
// that read, and the errors of those whose cells cannot be read at all.
type LoanApplicationChunk struct {
	Rows   []LoanApplicationRow
	Errors []RowError
}

// ReadLoanApplications reads an application workbook and hands its rows to
// each in chunks of per rows as they are read, so that the service checks
// and stores a chunk while the next one is read; rows with cells that
// cannot be read at all are RowErrors, the rest go to the service's checks.
// An error from each stops the reading and is returned.
func ReadLoanApplications(r io.ReaderAt, size, maxBytes int64, per int, each func(LoanApplicationChunk) error) error {
	required := []string{"姓名", "身份证号", "共同借款人姓名", "共同借款人身份证号", "高校名称", "高校代码", "学历层次", "学制", "入学年份"}
	var c LoanApplicationChunk
	seen := 0
	_, err := eachSheetRow(r, size, maxBytes, "贷款申请表", loanAliases, required, func(row sheetRow) error {
		if ar, bad := loanApplicationRow(row); len(bad) > 0 {
			c.Errors = append(c.Errors, bad...)
		} else {
			c.Rows = append(c.Rows, ar)
		}
		if seen++; seen%per != 0 {
			return nil
		}
		full := c
		c = LoanApplicationChunk{}
		return each(full)
	})
	if err != nil || len(c.Rows)+len(c.Errors) == 0 {
		return err
	}
	return each(c)
}

func loanApplicationRow(row sheetRow) (LoanApplicationRow, errs) {
	var bad errs
	ar := LoanApplicationRow{Row: row.n, Name: row.get("姓名"), IDNumber: row.get("身份证号"), HomeRegion: row.get("户籍地区码"),
		CoName: row.get("共同借款人姓名"), CoIDNumber: row.get("共同借款人身份证号"), CoRelation: row.get("与学生关系"),
		CoPhone: row.get("共同借款人电话"), University: row.get("高校名称"), UniversityCode: row.get("高校代码"),
		Difficulty: row.get("困难证明类型")}
	level := strings.Join(strings.Fields(row.get("学历层次")), "")
	if ar.Level = loanLevels[level]; ar.Level == "" {
		bad.add(row.n, "学历层次", "学历层次应为 专科/高职、本科 或 研究生，实际为“%s”", level)
	}
	for _, c := range []struct {
		col string
		dst *int
	}{{"学制", &ar.Years}, {"入学年份", &ar.EntryYear}} {
		v, err := strconv.Atoi(strings.TrimSuffix(row.get(c.col), "年"))
		if err != nil {
			bad.add(row.n, c.col, "%s应为整数，实际为“%s”", c.col, row.get(c.col))
		}
		*c.dst = v
	}
	for _, c := range []struct {
		col string
		dst *model.Fen
	}{{"学费(元)", &ar.TuitionFen}, {"住宿费(元)", &ar.AccommodationFen}, {"生活费(元)", &ar.LivingFen}} {
		var msg string
		if *c.dst, msg = sheetYuan(row.get(c.col)); msg != "" {
			bad.add(row.n, c.col, "%s", msg)
		}
	}
	return ar, bad
}
