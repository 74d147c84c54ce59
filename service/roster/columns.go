// Package roster reads and writes the student roster workbook (花名册) that
// schools and counties upload: the template, validation of every row against
// POLICY.md, and the workbook of rejected rows. It knows Excel and the roster
// rules only; storing students is the import service's job.
package roster

import (
	"slices"
	"strings"
	"unicode"

	"studentaid/model"
)

// Header texts of the roster columns, exactly as POLICY.md names them.
const (
	ColSchoolCode  = "学校标识码"
	ColName        = "姓名"
	ColIDType      = "身份证件类型"
	ColIDNumber    = "身份证件号"
	ColStudentNo   = "学籍号"
	ColSex         = "性别"
	ColGrade       = "年级"
	ColClass       = "班级"
	ColMajor       = "专业"
	ColAgriMajor   = "是否涉农专业"
	ColBoarding    = "是否寄宿"
	ColHousehold   = "户口性质"
	ColHomeRegion  = "户籍地区码"
	ColStatus      = "学籍状态"
	ColLevel       = "家庭经济困难等级"
	ColCategories  = "困难类型"
	ColGuardian    = "监护人姓名"
	ColBankName    = "开户银行"
	ColBankAccount = "银行卡号"
	ColHolder      = "持卡人"
	ColPhone       = "联系电话"
	ColRemark      = "备注"
)

// Stages, as DESIGN.md spells them.
const (
	StagePrimary    = "primary"
	StageJunior     = "junior"
	StageSenior     = "senior"
	StageVocational = "vocational"
)

// School types, the same strings as model.SchoolType.
const (
	SchoolPrimary           = "primary"
	SchoolJunior            = "junior"
	SchoolNineYear          = "nine_year"
	SchoolSenior            = "senior"
	SchoolCompleteSecondary = "complete_secondary"
	SchoolVocational        = "vocational"
)

// Difficulty levels (教财〔2018〕16号 三档).
const (
	LevelSpecial = "special"
	LevelHard    = "hard"
	LevelGeneral = "general"
)

// Column describes one roster column for the template, its instructions sheet
// and the parser.
type Column struct {
	Header string
	// Required: every upload must have the column and a value in every row.
	// Conditional requirements (学校标识码 for county uploads, 学籍号 for
	// vocational students, …) are in Requirement and enforced by Parse.
	Required    bool
	Requirement string   // 是否必填 in 填写说明
	Text        bool     // codes Excel must keep as text, or it drops digits
	Masked      bool     // personal numbers: shown masked in error reports
	Options     []string // drop-down values of an enumerated column
	Width       float64
	Rule        string // the rule in one line, for 填写说明
}

var statuses = model.EnrolmentStatuses

var levelCodes = map[string]string{
	"特别困难": LevelSpecial,
	"困难":   LevelHard,
	"一般困难": LevelGeneral,
}

// categories is POLICY.md's list of 困难类型 in the order they are stored.
var categories = []string{
	"脱贫家庭(建档立卡)", "防返贫监测对象", "农村低保", "城镇低保", "农村特困供养", "城镇特困供养",
	"孤儿", "事实无人抚养儿童", "残疾", "残疾人子女", "烈士子女", "低收入人口", "其他",
}

// categoryAliases are the short forms officers use for the same category.
var categoryAliases = map[string]string{
	"脱贫家庭":     "脱贫家庭(建档立卡)",
	"建档立卡":     "脱贫家庭(建档立卡)",
	"建档立卡脱贫家庭": "脱贫家庭(建档立卡)",
	"脱贫户":      "脱贫家庭(建档立卡)",
}

var gradeOptions = []string{
	"一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级",
	"高一", "高二", "高三", "中职一年级", "中职二年级", "中职三年级",
}

var columns = []Column{
	{Header: ColSchoolCode, Requirement: "县级上传必填", Text: true, Width: 14,
		Rule: "10位学校标识码，须是您管辖范围内的学校；学校账号上传时可不填"},
	{Header: ColName, Required: true, Requirement: "必填", Width: 12,
		Rule: "2–30个字，不能含数字；少数民族姓名中间的点统一写作“·”"},
	{Header: ColIDType, Requirement: "选填", Width: 18,
		Options: []string{"居民身份证", "港澳台居民居住证", "外国人永久居留身份证", "护照", "其他"},
		Rule:    "不填默认为居民身份证"},
	{Header: ColIDNumber, Required: true, Requirement: "必填", Text: true, Masked: true, Width: 22,
		Rule: "居民身份证为18位，最后一位可为X，系统会校验出生日期和校验位；15位老号码自动升为18位；该列必须是“文本”格式，否则Excel会把后几位变成0"},
	{Header: ColStudentNo, Requirement: "中职必填", Text: true, Masked: true, Width: 22,
		Rule: "全国学籍号：G+身份证号，或 J/L+18位"},
	{Header: ColSex, Requirement: "选填", Options: []string{"男", "女"}, Width: 8,
		Rule: "男/女，须与身份证号第17位一致（奇数为男）；不填则按身份证号判断"},
	{Header: ColGrade, Required: true, Requirement: "必填", Options: gradeOptions, Width: 12,
		Rule: "一年级…九年级、高一/高二/高三、中职一年级/二年级/三年级，须与学校类型相符（也可填1–9、初一/初二/初三）"},
	{Header: ColClass, Requirement: "选填", Width: 10, Rule: "如：3班"},
	{Header: ColMajor, Requirement: "中职必填", Width: 16, Rule: "中职学生所学专业"},
	{Header: ColAgriMajor, Requirement: "中职必填", Options: []string{"是", "否"}, Width: 12,
		Rule: "是/否：是否为涉农专业"},
	{Header: ColBoarding, Requirement: "小学、初中必填", Options: []string{"是", "否"}, Width: 10,
		Rule: "是/否：是否在校寄宿"},
	{Header: ColHousehold, Requirement: "选填", Options: []string{"农村", "城镇"}, Width: 10,
		Rule: "农村/城镇"},
	{Header: ColHomeRegion, Requirement: "选填", Text: true, Width: 12,
		Rule: "户籍所在区县的6位行政区划代码，如 430923（安化县）；不填则按身份证号前6位"},
	{Header: ColStatus, Requirement: "选填", Options: statuses, Width: 10,
		Rule: "在读、休学、转出、毕业、辍学、死亡；不填默认为在读"},
	{Header: ColLevel, Requirement: "选填", Options: []string{"特别困难", "困难", "一般困难"}, Width: 16,
		Rule: "特别困难、困难、一般困难；未认定为家庭经济困难的留空"},
	{Header: ColCategories, Requirement: "选填", Width: 24,
		Rule: "可填多个，用顿号“、”分隔：" + strings.Join(categories, "、")},
	{Header: ColGuardian, Requirement: "持卡人为监护人时必填", Width: 12, Rule: "监护人姓名"},
	{Header: ColBankName, Requirement: "发放资助时必填", Width: 20, Rule: "如：中国农业银行益阳分行"},
	{Header: ColBankAccount, Requirement: "发放资助时必填", Text: true, Masked: true, Width: 24,
		Rule: "12–30位数字，可带空格；该列必须是“文本”格式"},
	{Header: ColHolder, Requirement: "填写银行卡号时必填", Options: []string{model.HolderSelf, model.HolderGuardian}, Width: 10,
		Rule: "本人/监护人：银行卡户名是学生本人还是监护人"},
	{Header: ColPhone, Requirement: "选填", Text: true, Masked: true, Width: 16,
		Rule: "11位手机号，或带区号的固定电话（如 0737-1234567）"},
	{Header: ColRemark, Requirement: "选填", Width: 24, Rule: "其他需要说明的情况"},
}

// Columns returns the roster columns in template order.
func Columns() []Column {
	out := slices.Clone(columns)
	for i := range out {
		out[i].Options = slices.Clone(out[i].Options)
	}
	return out
}

// columnOrder ranks a header for sorting errors in the order of the template.
func columnOrder(header string) int {
	for i, c := range columns {
		if c.Header == header {
			return i
		}
	}
	return len(columns)
}

func columnWidth(header string) float64 {
	for _, c := range columns {
		if c.Header == header {
			return c.Width
		}
	}
	return 14
}

func columnMasked(header string) bool {
	for _, c := range columns {
		if c.Header == header {
			return c.Masked
		}
	}
	return false
}

// headerAliases are headers found in rosters exported from other systems
// that mean exactly one of our columns.
var headerAliases = map[string]string{
	"身份证号":   ColIDNumber,
	"身份证号码":  ColIDNumber,
	"身份证件号码": ColIDNumber,
	"证件号码":   ColIDNumber,
	"证件类型":   ColIDType,
	"学生姓名":   ColName,
}

// canonicalHeader maps a header cell to its column, ignoring spaces (also
// inside: "姓  名"), line breaks and the required markers people add
// ("姓名（必填）", "*姓名").
func canonicalHeader(h string) (string, bool) {
	var b strings.Builder
	for _, r := range h {
		if isBlank(r) {
			continue
		}
		b.WriteRune(foldWidth(r))
	}
	s := b.String()
	for {
		trimmed := strings.TrimSuffix(strings.TrimSuffix(s, "(必填)"), "*")
		trimmed = strings.TrimPrefix(trimmed, "*")
		if trimmed == s {
			break
		}
		s = trimmed
	}
	if alias, ok := headerAliases[s]; ok {
		return alias, true
	}
	for _, c := range columns {
		if c.Header == s {
			return s, true
		}
	}
	return s, false
}

// isBlank is every character that shows as nothing: spaces of all widths,
// NBSP, and the zero-width characters web pages carry into copied text.
func isBlank(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\uFEFF' || r == '\u2060'
}

// foldWidth maps full-width ASCII (U+FF01–U+FF5E) to ASCII.
func foldWidth(r rune) rune {
	if r >= '\uFF01' && r <= '\uFF5E' {
		return r - 0xFEE0
	}
	return r
}

// cleanCell trims blanks around a cell and folds full-width digits, which
// Chinese input methods produce and which no column wants.
func cleanCell(s string) string {
	s = strings.TrimFunc(s, isBlank)
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= '０' && r <= '９' }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

// compactCode is a code cell without any blanks, full-width folded and upper
// case: school codes, region codes and student numbers.
func compactCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if isBlank(r) {
			continue
		}
		b.WriteRune(unicode.ToUpper(foldWidth(r)))
	}
	return b.String()
}
