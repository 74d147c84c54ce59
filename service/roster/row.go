package roster

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"studentaid/model"
)

// exampleName marks the template's example row, which must never be
// imported as a student.
const exampleName = "示例学生"

// rowCheck gathers the errors of one row.
type rowCheck struct {
	p       *parser
	line    int
	cells   []string
	numeric []int // columns whose cell is a number
	errs    []RowError
	warns   []RowError
}

func (c *rowCheck) get(col string) string {
	i, ok := c.p.index[col]
	if !ok || i >= len(c.cells) {
		return ""
	}
	return cleanCell(c.cells[i])
}

// Advice for numbers Excel has already cut to 15 digits: only retyping into
// a text column brings the digits back.
const (
	excelIDAdvice      = "Excel 把身份证件号存成了数字（如 4.30903E+17），后几位已丢失：请把该列设置为“文本”格式后重新填写"
	excelAccountAdvice = "Excel 把银行卡号存成了数字（如 6.22848E+18），后几位已丢失：请把该列设置为“文本”格式后重新填写"
)

// lostDigits reports a number cell with more digits than Excel keeps.
func (c *rowCheck) lostDigits(col, value string) bool {
	i, ok := c.p.index[col]
	if !ok || !slices.Contains(c.numeric, i) {
		return false
	}
	return len(value) > 15 && allDigits(value)
}

func (c *rowCheck) failf(col, format string, args ...any) {
	c.fail(col, fmt.Sprintf(format, args...))
}

func (c *rowCheck) fail(col, msg string) {
	c.errs = append(c.errs, RowError{Row: c.line, Column: col, Value: c.p.maskedCell(col, c.cells), Message: msg})
}

// warn notes a correction made to an accepted cell.
func (c *rowCheck) warn(col, msg string) {
	c.warns = append(c.warns, RowError{Row: c.line, Column: col, Value: c.p.maskedCell(col, c.cells), Message: msg})
}

// failErr reports a model error (an *IDError carries a Chinese reason).
func (c *rowCheck) failErr(col string, err error) {
	var idErr *model.IDError
	if errors.As(err, &idErr) {
		c.fail(col, idErr.Reason)
		return
	}
	c.fail(col, err.Error())
}

func (p *parser) validateRow(r sheetRow) (Row, []RowError) {
	line, cells := r.line, r.cells
	c := &rowCheck{p: p, line: line, cells: cells, numeric: r.numeric}
	row := Row{Line: line}

	school, schoolOK := c.school()
	row.School = school

	row.Name = c.name(ColName, true)
	if row.Name == exampleName {
		c.fail(ColName, "这是模板里的示例行，请删除后再上传")
	}

	idType, err := model.ParseIDType(c.get(ColIDType))
	if err != nil {
		c.failErr(ColIDType, err)
	} else if raw := c.get(ColIDNumber); raw == "" {
		c.fail(ColIDNumber, "身份证件号不能为空")
	} else if c.lostDigits(ColIDNumber, raw) {
		c.fail(ColIDNumber, excelIDAdvice)
	} else if rid, ok := model.AsResidentID(idType, raw, p.opt.Now); ok {
		row.IDNumber = rid
		c.warn(ColIDType, "证件号码是居民身份证号码，证件类型已按居民身份证登记（同一号码只能是同一个人）")
	} else if row.IDNumber, err = model.ParseIDNumber(idType, raw, p.opt.Now); err != nil {
		c.failErr(ColIDNumber, err)
	}

	row.Sex = c.sex(row.IDNumber)

	if g := c.get(ColGrade); g == "" {
		c.fail(ColGrade, "年级不能为空")
	} else if kind, n, ok := parseGradeText(g); !ok {
		c.fail(ColGrade, "年级无法识别：应填 一年级…九年级、高一…高三 或 中职一年级…中职三年级")
	} else if schoolOK {
		if row.Grade, row.Stage, ok = fitGrade(school.Type, kind, n); !ok {
			c.failf(ColGrade, "年级与学校类型不符：%s", gradeHint[school.Type])
		}
	}
	vocational := row.Stage == StageVocational
	compulsory := row.Stage == StagePrimary || row.Stage == StageJunior

	row.StudentNo = compactCode(c.get(ColStudentNo))
	switch {
	case row.StudentNo == "" && vocational:
		c.fail(ColStudentNo, "中职学生必须填写学籍号（享受国家助学金须为全日制正式学籍）")
	case row.StudentNo != "" && !validStudentNo(row.StudentNo):
		c.fail(ColStudentNo, "学籍号应为 G+18位身份证号，或 J/L+18位")
	case strings.HasPrefix(row.StudentNo, "G") && row.IDNumber.Value != "" && row.StudentNo[1:] != row.IDNumber.Value:
		// The national student number of a resident is G + their ID number:
		// another person's number here would tie this file to them.
		c.fail(ColStudentNo, "学籍号 G 后的18位应与本行身份证件号一致")
	}

	row.Class = c.text(ColClass)
	row.Major = c.text(ColMajor)
	if row.Major == "" && vocational {
		c.fail(ColMajor, "中职学生必须填写专业")
	}
	if agri, ok := c.yesNo(ColAgriMajor, vocational, "中职学生必须填写是否涉农专业"); ok {
		row.AgriMajor = *agri
	}
	row.Boarding, _ = c.yesNo(ColBoarding, compulsory, "小学、初中学生必须填写是否寄宿")

	row.Household = c.household()
	row.HomeRegion = c.homeRegion()
	row.Status = c.status()
	row.Level = c.level()
	row.Categories = c.categories()
	row.Guardian = c.name(ColGuardian, false)
	c.bank(&row)

	if raw := c.get(ColPhone); raw != "" {
		if phone, err := model.ParsePhone(raw); err != nil {
			c.failErr(ColPhone, err)
		} else {
			row.Phone = phone
		}
	}
	row.Remark = c.text(ColRemark)
	row.Warnings = c.warns
	return row, c.errs
}

// school is the uploader's own school, or the school the row names when a
// county uploads for several.
func (c *rowCheck) school() (School, bool) {
	code := compactCode(c.get(ColSchoolCode))
	if def := c.p.opt.DefaultSchool; def != nil {
		if code != "" && code != def.Code {
			c.failf(ColSchoolCode, "学校标识码与本校（%s %s）不一致：学校账号只能上传本校学生", def.Code, def.Name)
			return *def, false
		}
		return *def, true
	}
	switch {
	case code == "":
		c.fail(ColSchoolCode, "学校标识码不能为空：县级上传时每行都要写明学校")
		return School{}, false
	case len(code) != 10 || !allDigits(code):
		c.fail(ColSchoolCode, "学校标识码应为10位数字")
		return School{}, false
	}
	found, cached := c.p.schools[code]
	if !cached {
		found.school, found.ok = c.p.opt.LookupSchool(code)
		c.p.schools[code] = found
	}
	switch {
	case !found.ok:
		c.fail(ColSchoolCode, "学校标识码不存在或不在您的管辖范围")
		return School{}, false
	case !validSchoolType(found.school.Type):
		c.fail(ColSchoolCode, "该校的学校类型未设置，无法判断年级和学段：请联系管理员")
		return found.school, false
	}
	return found.school, true
}

// name checks a person's name with PersonName.
func (c *rowCheck) name(col string, required bool) string {
	s := c.get(col)
	if s == "" {
		if required {
			c.failf(col, "%s不能为空", col)
		}
		return ""
	}
	s, problem := PersonName(col, s)
	if problem != "" {
		c.fail(col, problem)
	}
	return s
}

func (c *rowCheck) sex(id model.IDNumber) string {
	s := c.get(ColSex)
	// The words are the constants, not the cell's text, so that a Row
	// holds no text of the cells it came from (ownText).
	switch s {
	case "":
	case "男", "男性":
		s = "男"
	case "女", "女性":
		s = "女"
	default:
		c.fail(ColSex, "性别应为 男 或 女")
		return ""
	}
	male, ok := id.Male()
	if !ok {
		return s
	}
	fromID := "女"
	if male {
		fromID = "男"
	}
	if s != "" && s != fromID {
		// GB 11643: the 17th digit is odd for men and even for women.
		c.failf(ColSex, "性别与身份证件号不符：身份证号第17位表示%s", fromID)
	}
	return fromID
}

// text is a free-text column, checked by FreeText.
func (c *rowCheck) text(col string) string {
	s, problem := FreeText(col, c.get(col))
	if problem != "" {
		c.fail(col, problem)
	}
	return s
}

// yesNo reads 是/否; ok is false when the cell is empty or wrong.
func (c *rowCheck) yesNo(col string, required bool, missing string) (*bool, bool) {
	var v bool
	switch c.get(col) {
	case "是":
		v = true
	case "否":
		v = false
	case "":
		if required {
			c.fail(col, missing)
		}
		return nil, false
	default:
		c.failf(col, "%s应填 是 或 否", col)
		return nil, false
	}
	return &v, true
}

func (c *rowCheck) household() string {
	switch c.get(ColHousehold) {
	case "":
		return ""
	case "农村", "农业", "农业户口", "农村户口":
		return "农村"
	case "城镇", "非农业", "非农业户口", "城镇户口", "城市":
		return "城镇"
	}
	c.fail(ColHousehold, "户口性质应为 农村 或 城镇")
	return ""
}

func (c *rowCheck) homeRegion() string {
	s := compactCode(c.get(ColHomeRegion))
	if s != "" && (len(s) != 6 || !allDigits(s) || !model.KnownProvince(s)) {
		c.fail(ColHomeRegion, "户籍地区码应为6位行政区划代码，如 430923")
		return ""
	}
	return s
}

func (c *rowCheck) status() string {
	s := c.get(ColStatus)
	switch {
	case s == "":
		return model.StatusEnrolled
	case s == "在校" || s == "在籍":
		return model.StatusEnrolled
	}
	if i := slices.Index(statuses, s); i >= 0 {
		return statuses[i] // the constant, as in sex
	}
	c.failf(ColStatus, "学籍状态应为 %s 之一", strings.Join(statuses, "、"))
	return ""
}

func (c *rowCheck) level() string {
	s := c.get(ColLevel)
	if code, ok := levelCodes[s]; ok {
		return code
	}
	switch s {
	case "", "无", "否", "不困难", "非困难", "未认定":
		return ""
	}
	c.fail(ColLevel, "家庭经济困难等级应为 特别困难、困难、一般困难，未认定的留空")
	return ""
}

// categories splits 困难类型 on the separators POLICY.md allows and returns
// them in the canonical order, without repeats.
func (c *rowCheck) categories() []string {
	s := c.get(ColCategories)
	if s == "" {
		return nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、;；,，\n/", r) })
	have := map[string]bool{}
	var bad []string
	for _, part := range parts {
		var b strings.Builder
		for _, r := range part {
			if !isBlank(r) {
				b.WriteRune(foldWidth(r))
			}
		}
		name := b.String()
		if alias, ok := categoryAliases[name]; ok {
			name = alias
		}
		switch {
		case name == "":
		case slices.Contains(categories, name):
			have[name] = true
		default:
			bad = append(bad, "“"+name+"”")
		}
	}
	if len(bad) > 0 {
		c.failf(ColCategories, "困难类型%s不在规定范围内：应为 %s，多个用顿号分隔", strings.Join(bad, "、"), strings.Join(categories, "、"))
		return nil
	}
	var out []string
	for _, cat := range categories {
		if have[cat] {
			out = append(out, cat)
		}
	}
	return out
}

// bank checks the account the aid is paid to: optional until a program pays,
// but a half-filled account is a mistake.
func (c *rowCheck) bank(row *Row) {
	row.BankName = c.text(ColBankName)
	raw := c.get(ColBankAccount)
	holder := c.get(ColHolder)
	if row.BankName == "" && raw == "" && holder == "" {
		return
	}
	if raw == "" {
		c.fail(ColBankAccount, "填写了银行信息时必须填写银行卡号")
	} else if c.lostDigits(ColBankAccount, raw) {
		c.fail(ColBankAccount, excelAccountAdvice)
	} else if acct, err := model.ParseBankAccount(raw); err != nil {
		c.failErr(ColBankAccount, err)
	} else {
		row.BankAccount = acct
	}
	switch holder {
	case "":
		c.fail(ColHolder, "填写了银行信息时必须填写持卡人（本人 或 监护人）")
	case model.HolderSelf, "学生", "学生本人":
		row.Holder = model.HolderSelf
	case model.HolderGuardian, "家长":
		row.Holder = model.HolderGuardian
		if row.Guardian == "" {
			c.fail(ColGuardian, "持卡人为监护人时必须填写监护人姓名")
		}
	default:
		c.fail(ColHolder, "持卡人应为 本人 或 监护人")
	}
}

func validStudentNo(s string) bool {
	if len(s) != 19 {
		return false
	}
	switch s[0] {
	case 'G':
		last := s[18]
		return allDigits(s[1:18]) && (last == 'X' || last >= '0' && last <= '9')
	case 'J', 'L':
		for i := 1; i < len(s); i++ {
			if ch := s[i]; !(ch >= '0' && ch <= '9' || ch >= 'A' && ch <= 'Z') {
				return false
			}
		}
		return true
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// maskedCell is the uploaded value of a column for an error report, with
// personal numbers masked: error lists are shown on screen and exported.
func (p *parser) maskedCell(col string, cells []string) string {
	i, ok := p.index[col]
	if !ok || i >= len(cells) {
		return ""
	}
	v := strings.TrimFunc(cells[i], isBlank)
	if !columnMasked(col) || v == "" {
		return v
	}
	return maskValue(col, v)
}

func maskValue(col, v string) string {
	s := compactCode(v)
	if looksLikeENotation(s) {
		// The digits are already lost; showing the form helps recognise it.
		return s
	}
	r := []rune(s)
	n := len(r)
	stars := func(k int) string { return strings.Repeat("*", max(k, 0)) }
	switch col {
	case ColBankAccount:
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		if len(digits) >= 12 {
			return model.MaskBankAccount(digits)
		}
	case ColPhone:
		if n >= 11 {
			return string(r[:3]) + stars(n-7) + string(r[n-4:])
		}
	default:
		if n >= 14 {
			return string(r[:n-12]) + stars(8) + string(r[n-4:])
		}
	}
	if n >= 6 {
		return string(r[:2]) + stars(n-4) + string(r[n-2:])
	}
	return stars(n)
}

// looksLikeENotation is how Excel shows a long number it stores as a float.
func looksLikeENotation(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToUpper(s), "E")
	if !ok || !strings.ContainsAny(s, ".+") {
		return false
	}
	mant = strings.Replace(mant, ".", "", 1)
	return allDigits(mant) && allDigits(strings.TrimLeft(exp, "+-"))
}
