package roster_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/roster"
)

func TestParseNormalisesValidRows(t *testing.T) {
	idX := makeID("430921", "20080229", "001") // ends in X
	if !strings.HasSuffix(idX, "X") {
		t.Fatalf("fixture %s should end in X", idX)
	}
	rows := []map[string]any{
		validRow(),
		// Everything an officer types that is still right.
		with(validRow(),
			roster.ColName, " 阿依古丽•买买提\u3000",
			roster.ColIDNumber, strings.ToLower(idX)+"  ",
			roster.ColSex, nil,
			roster.ColGrade, "６",
			roster.ColBoarding, "否",
			roster.ColLevel, "特别困难",
			roster.ColCategories, "残疾， 脱贫家庭、农村低保；孤儿,残疾",
			roster.ColBankAccount, "６２２８ ４８００ １２３４ ５６７８ ９０１",
			roster.ColHolder, "本人",
			roster.ColGuardian, nil,
			roster.ColPhone, "0737-1234567",
			roster.ColHomeRegion, nil,
		),
		// 15-digit ID, full-width digits, name with a space, no bank at all.
		with(validRow(),
			roster.ColName, "李 四",
			roster.ColIDNumber, "４３０９０３８５０６１２１２３",
			roster.ColGrade, "1",
			roster.ColStatus, "休学",
			roster.ColLevel, nil, roster.ColCategories, nil,
			roster.ColBankName, nil, roster.ColBankAccount, nil, roster.ColHolder, nil,
			roster.ColPhone, nil, roster.ColSex, "男",
		),
	}
	data := book{headers: primaryHeaders, rows: rows}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	if len(res.Errors) != 0 || len(res.Failed) != 0 {
		t.Fatalf("unexpected errors:%s", dumpErrors(res.Errors))
	}
	if res.Total != 3 || len(res.Rows) != 3 {
		t.Fatalf("Total %d, rows %d; want 3, 3", res.Total, len(res.Rows))
	}

	r := res.Rows[0]
	if r.Line != 2 || r.School.Code != "1430903001" || r.Name != "张小明" || r.Sex != "男" || r.Grade != 4 ||
		r.Stage != roster.StagePrimary || r.Boarding == nil || !*r.Boarding || r.Level != roster.LevelHard ||
		r.Status != "在读" || r.Holder != model.HolderGuardian || r.BankAccount != "6228480012345678901" ||
		r.Phone != "13807371234" || r.Household != "农村" || r.HomeRegion != "430903" || r.Class != "2班" {
		t.Errorf("row 2 = %+v", r)
	}

	r = res.Rows[1]
	if r.Name != "阿依古丽·买买提" {
		t.Errorf("name = %q, want the dot normalised", r.Name)
	}
	if r.IDNumber.Value != idX || r.IDNumber.Type != model.IDTypeResident {
		t.Errorf("ID = %+v, want %s", r.IDNumber, idX)
	}
	if r.Sex != "男" {
		t.Errorf("sex from ID = %q, want 男 (17th digit 1)", r.Sex)
	}
	if r.Grade != 6 || r.Boarding == nil || *r.Boarding {
		t.Errorf("grade %d boarding %v", r.Grade, r.Boarding)
	}
	wantCats := []string{"脱贫家庭(建档立卡)", "农村低保", "孤儿", "残疾"}
	if !slices.Equal(r.Categories, wantCats) {
		t.Errorf("categories = %q, want %q", r.Categories, wantCats)
	}
	if r.Level != roster.LevelSpecial || r.BankAccount != "6228480012345678901" || r.Holder != model.HolderSelf || r.Phone != "0737-1234567" {
		t.Errorf("row 3 = %+v", r)
	}

	r = res.Rows[2]
	if r.Name != "李四" || r.IDNumber.Value != "430903198506121235" || r.Grade != 1 || r.Status != "休学" ||
		r.Level != "" || r.Categories != nil || r.BankAccount != "" || r.Holder != "" {
		t.Errorf("row 4 = %+v", r)
	}
}

func TestParseHeadersInAnyFormAndOrder(t *testing.T) {
	headers := []string{"备用列", " 年 级 ", "*姓名", "身份证件号（必填）", "是否寄宿*", "\u3000性别\u3000", "身份证号码备注"}
	data := book{
		headers: headers,
		rawRows: [][]any{
			{"x", "三年级", "王芳", makeID("430922", "20160701", "124"), "否", "女", "ignored"},
		},
	}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	if len(res.Rows) != 1 || len(res.Errors) != 0 {
		t.Fatalf("rows %d errors:%s", len(res.Rows), dumpErrors(res.Errors))
	}
	if got := res.Rows[0]; got.Name != "王芳" || got.Grade != 3 || got.Sex != "女" {
		t.Errorf("row = %+v", got)
	}
	if !slices.Equal(res.Headers, headers) {
		t.Errorf("Headers = %q, want the upload's own", res.Headers)
	}
}

func TestParsePrefersSheetNamedRoster(t *testing.T) {
	data := book{
		sheet:   "说明",
		headers: []string{"这不是花名册"},
		extra: func(f *excelize.File) {
			if _, err := f.NewSheet("花名册"); err != nil {
				t.Fatal(err)
			}
			for i, h := range primaryHeaders {
				head, _ := excelize.CoordinatesToCellName(i+1, 1)
				data, _ := excelize.CoordinatesToCellName(i+1, 2)
				if err := f.SetCellStr("花名册", head, h); err != nil {
					t.Fatal(err)
				}
				if v, ok := validRow()[h].(string); ok {
					if err := f.SetCellStr("花名册", data, v); err != nil {
						t.Fatal(err)
					}
				}
			}
		},
	}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	if res.Sheet != "花名册" || len(res.Rows) != 1 {
		t.Fatalf("sheet %q rows %d errors:%s", res.Sheet, len(res.Rows), dumpErrors(res.Errors))
	}
}

func TestParseSkipsEmptyRows(t *testing.T) {
	data := book{headers: primaryHeaders, rows: []map[string]any{
		validRow(),
		{roster.ColName: "  \u3000"},
		{},
		with(validRow(), roster.ColIDNumber, makeID("430903", "20150316", "124"), roster.ColSex, "女"),
	}}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	if res.Total != 2 || len(res.Rows) != 2 || res.Rows[1].Line != 5 {
		t.Fatalf("Total %d rows %+v errors:%s", res.Total, res.Rows, dumpErrors(res.Errors))
	}
}

// TestParseRowRules goes through the roster table of POLICY.md column by
// column: each case breaks one rule of an otherwise valid row.
func TestParseRowRules(t *testing.T) {
	primary, junior, senior, vocational := "1430903001", "1430903002", "1430903003", "1430903004"
	nineYear, complete := "1430903005", "1430903006"
	vocRow := func() map[string]any {
		return with(validRow(), roster.ColGrade, "中职一年级", roster.ColStudentNo, "G"+makeID("430903", "20090315", "123"),
			roster.ColIDNumber, makeID("430903", "20090315", "123"), roster.ColMajor, "现代农艺技术", roster.ColAgriMajor, "是",
			roster.ColBoarding, nil)
	}
	seniorRow := func() map[string]any {
		return with(validRow(), roster.ColGrade, "高一", roster.ColIDNumber, makeID("430903", "20090315", "123"), roster.ColBoarding, nil)
	}
	tests := []struct {
		name    string
		school  string // DefaultSchool; "" for a county upload
		row     map[string]any
		column  string // "" when the row must pass
		message string
	}{
		// 学校标识码
		{"county: school code required", "", validRow(), roster.ColSchoolCode, "不能为空"},
		{"county: school code 10 digits", "", with(validRow(), roster.ColSchoolCode, "143090300"), roster.ColSchoolCode, "10位数字"},
		{"county: school out of scope", "", with(validRow(), roster.ColSchoolCode, "1430999999"), roster.ColSchoolCode, "不存在或不在您的管辖范围"},
		{"county: school without type", "", with(validRow(), roster.ColSchoolCode, "1430903009"), roster.ColSchoolCode, "学校类型未设置"},
		{"county: full-width school code", "", with(validRow(), roster.ColSchoolCode, "１４３０９０３００１ "), "", ""},
		{"school: another school's code", primary, with(validRow(), roster.ColSchoolCode, "1430903002"), roster.ColSchoolCode, "不一致"},
		{"school: own code is fine", primary, with(validRow(), roster.ColSchoolCode, "1430903001"), "", ""},
		// 姓名
		{"name required", primary, with(validRow(), roster.ColName, nil), roster.ColName, "姓名不能为空"},
		{"name too short", primary, with(validRow(), roster.ColName, "张"), roster.ColName, "2–30个字"},
		{"name too long", primary, with(validRow(), roster.ColName, strings.Repeat("张", 31)), roster.ColName, "2–30个字"},
		{"name with digits", primary, with(validRow(), roster.ColName, "张三2"), roster.ColName, "不能包含数字"},
		{"name with full-width digits", primary, with(validRow(), roster.ColName, "张三２"), roster.ColName, "不能包含数字"},
		{"name with a note", primary, with(validRow(), roster.ColName, "张三(转学)"), roster.ColName, "只能包含文字"},
		{"name with middle dot", primary, with(validRow(), roster.ColName, "买买提・艾力"), "", ""},
		{"template example row", primary, with(validRow(), roster.ColName, "示例学生"), roster.ColName, "示例行"},
		// 身份证件类型 and 身份证件号
		{"ID type unknown", primary, with(validRow(), roster.ColIDType, "驾驶证"), roster.ColIDType, "身份证件类型应为"},
		{"ID required", primary, with(validRow(), roster.ColIDNumber, nil), roster.ColIDNumber, "不能为空"},
		{"ID check digit", primary, with(validRow(), roster.ColIDNumber, "430903201503151231"), roster.ColIDNumber, "校验位错误"},
		{"ID 17 digits", primary, with(validRow(), roster.ColIDNumber, "43090320150315123"), roster.ColIDNumber, "长度应为18位"},
		{"ID Feb 29 of 2019", primary, with(validRow(), roster.ColIDNumber, makeID("430903", "20190229", "123")), roster.ColIDNumber, "出生日期无效"},
		{"ID born in the future", primary, with(validRow(), roster.ColIDNumber, makeID("430903", "20251001", "123")), roster.ColIDNumber, "晚于今天"},
		{"ID typed as E-notation text", primary, with(validRow(), roster.ColIDNumber, "4.30903E+17"), roster.ColIDNumber, "设置为“文本”格式"},
		{"passport", primary, with(validRow(), roster.ColIDType, "护照", roster.ColIDNumber, "e12345678", roster.ColSex, "女"), "", ""},
		// 学籍号
		{"vocational: student number required", vocational, with(vocRow(), roster.ColStudentNo, nil), roster.ColStudentNo, "必须填写学籍号"},
		{"student number format", vocational, with(vocRow(), roster.ColStudentNo, "A12345"), roster.ColStudentNo, "G+18位"},
		{"student number J", vocational, with(vocRow(), roster.ColStudentNo, "J12345678901234567A"), "", ""},
		{"student number lower g", vocational, with(vocRow(), roster.ColStudentNo, "g"+makeID("430903", "20090315", "123")), "", ""},
		{"primary: no student number needed", primary, validRow(), "", ""},
		// 性别
		{"sex mismatch", primary, with(validRow(), roster.ColSex, "女"), roster.ColSex, "身份证号第17位表示男"},
		{"sex invalid", primary, with(validRow(), roster.ColSex, "M"), roster.ColSex, "男 或 女"},
		// 年级
		{"grade required", primary, with(validRow(), roster.ColGrade, nil), roster.ColGrade, "不能为空"},
		{"grade unknown", primary, with(validRow(), roster.ColGrade, "十年级"), roster.ColGrade, "无法识别"},
		{"primary: grade 7", primary, with(validRow(), roster.ColGrade, "七年级"), roster.ColGrade, "小学应填"},
		{"primary: senior grade", primary, with(validRow(), roster.ColGrade, "高一"), roster.ColGrade, "小学应填"},
		{"junior: 七年级", junior, with(validRow(), roster.ColGrade, "七年级"), "", ""},
		{"junior: 初二", junior, with(validRow(), roster.ColGrade, "初二"), "", ""},
		{"junior: 1 is not 7", junior, with(validRow(), roster.ColGrade, "1"), roster.ColGrade, "初中应填"},
		{"nine-year: 9", nineYear, with(validRow(), roster.ColGrade, "9"), "", ""},
		{"nine-year: 高一", nineYear, with(validRow(), roster.ColGrade, "高一"), roster.ColGrade, "九年一贯制"},
		{"senior: 高三", senior, with(seniorRow(), roster.ColGrade, "高三"), "", ""},
		{"senior: 九年级", senior, with(seniorRow(), roster.ColGrade, "九年级"), roster.ColGrade, "普通高中应填"},
		{"complete secondary: 初三", complete, with(validRow(), roster.ColGrade, "初三"), "", ""},
		{"complete secondary: 高二", complete, with(seniorRow(), roster.ColGrade, "高二"), "", ""},
		{"complete secondary: 五年级", complete, with(validRow(), roster.ColGrade, "五年级"), roster.ColGrade, "完全中学"},
		{"vocational: 2", vocational, with(vocRow(), roster.ColGrade, "2"), "", ""},
		{"vocational: 中职三年级", vocational, with(vocRow(), roster.ColGrade, "中职三年级"), "", ""},
		{"vocational: 高一", vocational, with(vocRow(), roster.ColGrade, "高一"), roster.ColGrade, "中职学校应填"},
		{"vocational: 4", vocational, with(vocRow(), roster.ColGrade, "4"), roster.ColGrade, "中职学校应填"},
		// 专业, 是否涉农专业
		{"vocational: major required", vocational, with(vocRow(), roster.ColMajor, nil), roster.ColMajor, "必须填写专业"},
		{"vocational: agri flag required", vocational, with(vocRow(), roster.ColAgriMajor, nil), roster.ColAgriMajor, "必须填写是否涉农专业"},
		{"agri flag yes/no", vocational, with(vocRow(), roster.ColAgriMajor, "对"), roster.ColAgriMajor, "应填 是 或 否"},
		// 是否寄宿
		{"primary: boarding required", primary, with(validRow(), roster.ColBoarding, nil), roster.ColBoarding, "必须填写是否寄宿"},
		{"junior: boarding required", complete, with(validRow(), roster.ColGrade, "八年级", roster.ColBoarding, nil), roster.ColBoarding, "必须填写是否寄宿"},
		{"senior: boarding optional", senior, seniorRow(), "", ""},
		{"boarding yes/no", primary, with(validRow(), roster.ColBoarding, "住校"), roster.ColBoarding, "应填 是 或 否"},
		// 户口性质, 户籍地区码, 学籍状态
		{"household", primary, with(validRow(), roster.ColHousehold, "外地"), roster.ColHousehold, "农村 或 城镇"},
		{"home region 5 digits", primary, with(validRow(), roster.ColHomeRegion, "43090"), roster.ColHomeRegion, "6位"},
		{"home region bad province", primary, with(validRow(), roster.ColHomeRegion, "990903"), roster.ColHomeRegion, "6位"},
		{"status", primary, with(validRow(), roster.ColStatus, "请假"), roster.ColStatus, "学籍状态应为"},
		// 家庭经济困难等级, 困难类型
		{"level", primary, with(validRow(), roster.ColLevel, "非常困难"), roster.ColLevel, "特别困难、困难、一般困难"},
		{"category unknown", primary, with(validRow(), roster.ColCategories, "农村低保、单亲家庭"), roster.ColCategories, "“单亲家庭”不在规定范围内"},
		{"category full-width parentheses", primary, with(validRow(), roster.ColCategories, "脱贫家庭（建档立卡）"), "", ""},
		// 银行
		{"account without holder", primary, with(validRow(), roster.ColHolder, nil), roster.ColHolder, "必须填写持卡人"},
		{"holder without account", primary, with(validRow(), roster.ColBankAccount, nil), roster.ColBankAccount, "必须填写银行卡号"},
		{"bank name alone", primary, with(validRow(), roster.ColBankAccount, nil, roster.ColHolder, nil), roster.ColBankAccount, "必须填写银行卡号"},
		{"account too short", primary, with(validRow(), roster.ColBankAccount, "62284800123"), roster.ColBankAccount, "12–30位"},
		{"account in E-notation", primary, with(validRow(), roster.ColBankAccount, "6.22848E+18"), roster.ColBankAccount, "设置为“文本”格式"},
		{"holder value", primary, with(validRow(), roster.ColHolder, "父亲"), roster.ColHolder, "本人 或 监护人"},
		{"guardian holder needs guardian", primary, with(validRow(), roster.ColGuardian, nil), roster.ColGuardian, "必须填写监护人姓名"},
		{"guardian name with digits", primary, with(validRow(), roster.ColGuardian, "张3"), roster.ColGuardian, "不能包含数字"},
		// 联系电话, 备注, 班级
		{"phone", primary, with(validRow(), roster.ColPhone, "1380737123"), roster.ColPhone, "11位手机号"},
		{"remark too long", primary, with(validRow(), roster.ColRemark, strings.Repeat("很", 501)), roster.ColRemark, "不能超过500个字"},
		{"class too long", primary, with(validRow(), roster.ColClass, strings.Repeat("班", 51)), roster.ColClass, "不能超过50个字"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := countyOpts()
			if tt.school != "" {
				opt = schoolOpts(tt.school)
			} else if _, ok := tt.row[roster.ColSchoolCode]; !ok && tt.column != roster.ColSchoolCode {
				tt.row = with(tt.row, roster.ColSchoolCode, primary)
			}
			data := book{headers: allHeaders(), rows: []map[string]any{tt.row}}.build(t)
			res := mustParse(t, data, opt)
			if tt.column == "" {
				if len(res.Errors) != 0 || len(res.Rows) != 1 {
					t.Fatalf("want the row to pass, got:%s", dumpErrors(res.Errors))
				}
				return
			}
			if len(res.Rows) != 0 || len(res.Failed) != 1 {
				t.Fatalf("want the row to fail, rows %d failed %d", len(res.Rows), len(res.Failed))
			}
			for _, e := range res.Errors {
				if e.Column == tt.column && strings.Contains(e.Message, tt.message) {
					if e.Row != 2 {
						t.Errorf("error on row %d, want 2", e.Row)
					}
					return
				}
			}
			t.Fatalf("want an error on %s containing %q, got:%s", tt.column, tt.message, dumpErrors(res.Errors))
		})
	}
}

func TestParseGradeAndStage(t *testing.T) {
	tests := []struct {
		school, grade string
		want          int
		stage         string
	}{
		{"1430903001", "一年级", 1, roster.StagePrimary},
		{"1430903001", "六年级", 6, roster.StagePrimary},
		{"1430903002", "初一", 7, roster.StageJunior},
		{"1430903002", "九年级", 9, roster.StageJunior},
		{"1430903005", "6", 6, roster.StagePrimary},
		{"1430903005", "7", 7, roster.StageJunior},
		{"1430903005", "初三", 9, roster.StageJunior},
		{"1430903003", "高一", 10, roster.StageSenior},
		{"1430903003", "高中三年级", 12, roster.StageSenior},
		{"1430903006", "八年级", 8, roster.StageJunior},
		{"1430903006", "高二", 11, roster.StageSenior},
		{"1430903004", "中职一年级", 1, roster.StageVocational},
		{"1430903004", "3", 3, roster.StageVocational},
		{"1430903004", "二年级", 2, roster.StageVocational},
	}
	for _, tt := range tests {
		row := with(validRow(), roster.ColSchoolCode, tt.school, roster.ColGrade, tt.grade,
			roster.ColStudentNo, "G"+makeID("430903", "20150315", "123"), roster.ColMajor, "畜牧兽医", roster.ColAgriMajor, "是")
		data := book{headers: allHeaders(), rows: []map[string]any{row}}.build(t)
		res := mustParse(t, data, countyOpts())
		if len(res.Rows) != 1 {
			t.Errorf("%s %s: errors:%s", tt.school, tt.grade, dumpErrors(res.Errors))
			continue
		}
		if r := res.Rows[0]; r.Grade != tt.want || r.Stage != tt.stage || r.School.Code != tt.school {
			t.Errorf("%s %s: grade %d stage %s school %s; want %d %s", tt.school, tt.grade, r.Grade, r.Stage, r.School.Code, tt.want, tt.stage)
		}
	}
}

func TestParseCollectsEveryErrorOfARow(t *testing.T) {
	row := with(validRow(), roster.ColName, "张3", roster.ColIDNumber, "430903201503151231", roster.ColGrade, "十年级",
		roster.ColPhone, "123", roster.ColHolder, "父亲")
	data := book{headers: primaryHeaders, rows: []map[string]any{validRow(), row}}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	var cols []string
	for _, e := range res.Errors {
		cols = append(cols, e.Column)
	}
	want := []string{roster.ColName, roster.ColIDNumber, roster.ColGrade, roster.ColHolder, roster.ColPhone}
	if !slices.Equal(cols, want) {
		t.Fatalf("error columns %q, want %q (in template order):%s", cols, want, dumpErrors(res.Errors))
	}
	if len(res.Rows) != 1 || len(res.Failed) != 1 || len(res.Failed[0].Errors) != 5 || res.Failed[0].Row != 3 {
		t.Fatalf("rows %d failed %+v", len(res.Rows), res.Failed)
	}
}

func TestParseMasksPersonalNumbersInErrors(t *testing.T) {
	row := with(validRow(), roster.ColIDNumber, "430903201503151231", roster.ColBankAccount, "6228480012345678901X",
		roster.ColPhone, "138073712345")
	data := book{headers: primaryHeaders, rows: []map[string]any{row}}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	want := map[string]string{
		roster.ColIDNumber:    "430903********1231",
		roster.ColBankAccount: "6228 **** **** 8901",
		roster.ColPhone:       "138*****2345",
	}
	for _, e := range res.Errors {
		if w, ok := want[e.Column]; ok {
			if e.Value != w {
				t.Errorf("%s value %q, want %q", e.Column, e.Value, w)
			}
			delete(want, e.Column)
		}
	}
	if len(want) > 0 {
		t.Errorf("no error for %v:%s", want, dumpErrors(res.Errors))
	}
	// The failed row keeps the cells as uploaded for the error workbook.
	if got := res.Failed[0].Cells[2]; got != "430903201503151231" {
		t.Errorf("failed row cell = %q", got)
	}
}

func TestParseDuplicateIDs(t *testing.T) {
	id := makeID("430921", "20080229", "001")
	other := makeID("430903", "20150316", "124")
	data := book{headers: primaryHeaders, rows: []map[string]any{
		with(validRow(), roster.ColIDNumber, id),
		with(validRow(), roster.ColIDNumber, other, roster.ColSex, "女"),
		// The same number written differently is the same student.
		with(validRow(), roster.ColIDNumber, " "+strings.ToLower(id)),
		with(validRow(), roster.ColIDNumber, id, roster.ColName, "张3"),
	}}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	if len(res.Rows) != 1 || res.Rows[0].IDNumber.Value != other {
		t.Fatalf("valid rows %+v", res.Rows)
	}
	want := map[int]string{2: "与第4行、第5行身份证件号重复", 4: "与第2行、第5行身份证件号重复", 5: "与第2行、第4行身份证件号重复"}
	got := map[int]string{}
	for _, e := range res.Errors {
		if e.Column == roster.ColIDNumber {
			got[e.Row] = e.Message
			if e.Value != "430921********001X" {
				t.Errorf("row %d value %q, want masked", e.Row, e.Value)
			}
		}
	}
	for line, msg := range want {
		if !strings.HasPrefix(got[line], msg) {
			t.Errorf("row %d: %q, want %q", line, got[line], msg)
		}
	}
	if len(res.Failed) != 3 || res.Failed[0].Row != 2 || res.Failed[1].Row != 4 || res.Failed[2].Row != 5 {
		t.Fatalf("failed rows not in file order: %+v", res.Failed)
	}
	// A row that only failed for the duplicate still has its cells.
	if c := res.Failed[0].Cells; len(c) < 3 || c[0] != "张小明" || c[2] != id {
		t.Errorf("cells of row 2 = %q", c)
	}
	if len(res.Failed[2].Errors) != 2 {
		t.Errorf("row 5 errors = %+v, want its name error and the duplicate", res.Failed[2].Errors)
	}
}

func TestParseNumericCells(t *testing.T) {
	// What happens when the ID column is "General": Excel stores the typed
	// digits as a float and keeps 15 of them.
	excelXML := func(f *excelize.File) {
		// Excel itself writes such a number as 4.30903201503151E+17.
		if err := f.SetCellDefault("Sheet1", "C5", "4.30903201503151E+17"); err != nil {
			t.Fatal(err)
		}
	}
	data := book{extra: excelXML, headers: primaryHeaders, rows: []map[string]any{
		with(validRow(), roster.ColIDNumber, 430903201503151230.0),
		with(validRow(), roster.ColIDNumber, makeID("430903", "20150316", "124"), roster.ColSex, "女",
			roster.ColBankAccount, 6228480012345678901.0),
		// Numbers that fit in 15 digits survive and are accepted.
		with(validRow(), roster.ColIDNumber, 430903850612123.0, roster.ColPhone, 13807371234.0, roster.ColGrade, 3.0),
		with(validRow(), roster.ColIDNumber, nil),
	}}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	if len(res.Failed) != 3 || len(res.Rows) != 1 {
		t.Fatalf("rows %d failed %d:%s", len(res.Rows), len(res.Failed), dumpErrors(res.Errors))
	}
	for _, e := range res.Errors {
		if !strings.Contains(e.Message, "后几位已丢失：请把该列设置为“文本”格式") {
			t.Errorf("row %d %s [%s]: %s; want the format-as-text advice", e.Row, e.Column, e.Value, e.Message)
		}
	}
	if v := res.Errors[2].Value; v != "4.30903201503151E+17" {
		t.Errorf("E-notation value shown as %q", v)
	}
	if r := res.Rows[0]; r.IDNumber.Value != "430903198506121235" || r.Phone != "13807371234" || r.Grade != 3 {
		t.Errorf("row = %+v", r)
	}
}

func TestParseConfiguration(t *testing.T) {
	data := book{headers: primaryHeaders, rows: []map[string]any{validRow()}}.build(t)
	if _, err := parse(t, data, roster.Options{}); err == nil {
		t.Errorf("Parse without a school or a lookup should fail")
	}
	bad := roster.School{Code: "1", Type: "kindergarten"}
	if _, err := parse(t, data, roster.Options{DefaultSchool: &bad}); err == nil {
		t.Errorf("Parse with an unknown school type should fail")
	}
	opt := schoolOpts("1430903001")
	opt.SchoolYear = "2025"
	if _, err := parse(t, data, opt); err == nil {
		t.Errorf("Parse with a bad school year should fail")
	}
}

func TestParseMissingColumns(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		opt     roster.Options
		want    string
	}{
		{"all required", []string{roster.ColClass, roster.ColRemark}, schoolOpts("1430903001"), "缺少必填列：姓名、身份证件号、年级、是否寄宿"},
		{"county needs school code", primaryHeaders, countyOpts(), "缺少必填列：学校标识码"},
		{"vocational columns", []string{roster.ColName, roster.ColIDNumber, roster.ColGrade}, schoolOpts("1430903004"), "缺少必填列：学籍号、专业、是否涉农专业"},
		{"primary boarding", []string{roster.ColName, roster.ColIDNumber, roster.ColGrade}, schoolOpts("1430903001"), "缺少必填列：是否寄宿"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := book{headers: tt.headers, rawRows: [][]any{{"x"}}}.build(t)
			_, err := parse(t, data, tt.opt)
			fe := fileError(t, err)
			if fe.Kind != roster.NotARoster || fe.Code != "missing_column" || !strings.HasPrefix(fe.Message, tt.want+"。") {
				t.Fatalf("got %+v, want %q", fe, tt.want)
			}
		})
	}
	// A senior school roster does not need 是否寄宿 at all.
	data := book{headers: []string{roster.ColName, roster.ColIDNumber, roster.ColGrade},
		rawRows: [][]any{{"赵六", makeID("430903", "20090315", "123"), "高一"}}}.build(t)
	if res := mustParse(t, data, schoolOpts("1430903003")); len(res.Rows) != 1 {
		t.Fatalf("senior roster:%s", dumpErrors(res.Errors))
	}
}
