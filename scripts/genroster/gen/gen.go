// Package gen writes realistic roster workbooks (花名册) for tests, demos and
// benchmarks: valid students of Yiyang's counties, and on request a share of
// rows with the mistakes officers really make.
package gen

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/roster"
)

// Options describe the roster to write.
type Options struct {
	Rows       int
	SchoolCode string  // written in 学校标识码 on every row
	SchoolType string  // primary, junior, nine_year, senior, complete_secondary, vocational
	SchoolYear string  // e.g. 2025-2026: birth dates fit the grades in that year
	ErrorRate  float64 // share of rows (0–1) given a typical mistake
	Seed       uint64
	// Home, a county code, is where nine in ten students were born and
	// registered (a county's schools teach mostly its own children); empty:
	// any of Yiyang's counties.
	Home string
	// Statuses sets 在校状态 of some rows (by 0-based row of the generated
	// students): leavers and transfers out.
	Statuses map[int]string
	// TransfersIn are students of another roster who moved to this school:
	// written first, with this school's code, their grade and 在读.
	TransfersIn *Transfer
}

// Transfer names rows (0-based) of the roster From writes. From's school
// must teach those grades under the same names (a primary school's pupils
// moving to a nine-year school).
type Transfer struct {
	From Options
	Rows []int
}

// Mistakes applied to a share of rows. Lowercase x and full-width digits are
// ones Parse corrects; the others it must report.
const (
	mistakeCheckDigit = iota
	mistakeLowercaseX
	mistakeFullWidth
	mistakeNoName
	mistakeBadGrade
	mistakeDuplicateID
	mistakeCount
)

// regions are Yiyang's county-level divisions (GB/T 2260).
var regions = []string{"430902", "430903", "430921", "430922", "430923", "430981"}

var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
	"郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余",
	"杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "廖", "欧阳",
}

var givenBoy = []rune("伟强磊军洋勇杰涛明超辉刚平健俊浩宇轩博文豪鹏翔子睿泽宏航晨阳鑫旭凯诚毅")
var givenGirl = []rune("芳娜敏静丽艳娟霞玲婷雪琳颖欣怡佳悦涵萱雨晴梓琪诗瑶梦婧思彤妍馨蕾璐")

var majors = []struct {
	name string
	agri bool
}{
	{"现代农艺技术", true}, {"畜牧兽医", true}, {"园林技术", true}, {"茶叶生产与加工", true},
	{"计算机应用", false}, {"汽车运用与维修", false}, {"电子商务", false}, {"幼儿保育", false}, {"机电技术应用", false},
}

var banks = map[string]string{"6217": "中国建设银行益阳分行", "6228": "中国农业银行益阳分行", "6230": "湖南农信益阳农商银行"}

var bankPrefixes = []string{"6217", "6228", "6230"}

// grades a school of each type teaches, on the absolute 1–12 scale, and how
// each is written in the roster.
func gradesFor(schoolType string) ([]int, error) {
	span := func(a, b int) []int {
		var g []int
		for i := a; i <= b; i++ {
			g = append(g, i)
		}
		return g
	}
	switch schoolType {
	case roster.SchoolPrimary:
		return span(1, 6), nil
	case roster.SchoolJunior:
		return span(7, 9), nil
	case roster.SchoolNineYear:
		return span(1, 9), nil
	case roster.SchoolSenior:
		return span(10, 12), nil
	case roster.SchoolCompleteSecondary:
		return span(7, 12), nil
	case roster.SchoolVocational:
		return span(10, 12), nil
	}
	return nil, fmt.Errorf("gen: unknown school type %q", schoolType)
}

var numerals = []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

func gradeText(schoolType string, g int) string {
	switch {
	case schoolType == roster.SchoolVocational:
		return "中职" + numerals[g-9] + "年级"
	case g >= 10:
		return "高" + numerals[g-9]
	}
	return numerals[g] + "年级"
}

// badGrade is a grade the school type does not have.
func badGrade(schoolType string) string {
	switch schoolType {
	case roster.SchoolPrimary, roster.SchoolNineYear:
		return "高一"
	case roster.SchoolJunior, roster.SchoolCompleteSecondary:
		return "三年级"
	case roster.SchoolSenior:
		return "九年级"
	}
	return "高二"
}

var headers = []string{
	roster.ColSchoolCode, roster.ColName, roster.ColIDType, roster.ColIDNumber, roster.ColStudentNo, roster.ColSex,
	roster.ColGrade, roster.ColClass, roster.ColMajor, roster.ColAgriMajor, roster.ColBoarding, roster.ColHousehold,
	roster.ColHomeRegion, roster.ColStatus, roster.ColLevel, roster.ColCategories, roster.ColGuardian,
	roster.ColBankName, roster.ColBankAccount, roster.ColHolder, roster.ColPhone, roster.ColRemark,
}

// Write streams a roster of opt.Rows students to w.
func Write(w io.Writer, opt Options) error {
	if opt.Rows < 0 {
		return errors.New("gen: Rows must not be negative")
	}
	if opt.ErrorRate < 0 || opt.ErrorRate > 1 {
		return errors.New("gen: ErrorRate must be between 0 and 1")
	}
	if len(opt.SchoolCode) != 10 {
		return errors.New("gen: SchoolCode must have 10 digits")
	}
	g, err := newGenerator(opt)
	if err != nil {
		return err
	}
	moved, err := transfersIn(opt, g.used)
	if err != nil {
		return err
	}

	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", roster.SheetRoster); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(roster.SheetRoster)
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	if err := sw.SetColStyle(1, len(headers), text); err != nil {
		return err
	}
	if err := sw.SetColWidth(1, len(headers), 14); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	row := make([]any, len(headers))
	for i, h := range headers {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}

	for i := range len(moved) + opt.Rows {
		var s map[string]string
		if i < len(moved) {
			s = moved[i]
		} else {
			s = g.next(i - len(moved))
		}
		for j, h := range headers {
			row[j] = s[h]
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func newGenerator(opt Options) (*generator, error) {
	grades, err := gradesFor(opt.SchoolType)
	if err != nil {
		return nil, err
	}
	year, err := firstYear(opt.SchoolYear)
	if err != nil {
		return nil, err
	}
	return &generator{
		rng:    rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9E3779B97F4A7C15)),
		opt:    opt,
		grades: grades,
		year:   year,
		used:   map[string]bool{},
	}, nil
}

// next is row i of the generated students, with its mistake or status.
func (g *generator) next(i int) map[string]string {
	s := g.student()
	if g.rng.Float64() < g.opt.ErrorRate {
		g.spoil(s)
	}
	if st, ok := g.opt.Statuses[i]; ok {
		s[roster.ColStatus] = st
	}
	return s
}

// transfersIn replays the roster the students came from up to the last of
// them and rewrites their rows for this school; used learns their IDs.
func transfersIn(opt Options, used map[string]bool) ([]map[string]string, error) {
	t := opt.TransfersIn
	if t == nil || len(t.Rows) == 0 {
		return nil, nil
	}
	from, err := newGenerator(t.From)
	if err != nil {
		return nil, err
	}
	want := map[int]bool{}
	for _, r := range t.Rows {
		want[r] = true
	}
	var out []map[string]string
	for i := 0; i <= slices.Max(t.Rows); i++ {
		s := from.next(i)
		if !want[i] {
			continue
		}
		s[roster.ColSchoolCode], s[roster.ColStatus] = opt.SchoolCode, "在读"
		used[s[roster.ColIDNumber]] = true
		out = append(out, s)
	}
	return out, nil
}

type generator struct {
	rng    *rand.Rand
	opt    Options
	grades []int
	year   int
	used   map[string]bool
	ids    []string // issued so far, for duplicate mistakes
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

// student is one valid row, by header.
func (g *generator) student() map[string]string {
	grade := g.grades[g.rng.IntN(len(g.grades))]
	male := g.chance(0.52)
	region := g.pick(regions)
	if g.opt.Home != "" && g.chance(0.9) {
		region = g.opt.Home
	}
	id := g.idNumber(region, grade, male)
	surname := g.pick(surnames)
	s := map[string]string{
		roster.ColSchoolCode: g.opt.SchoolCode,
		roster.ColName:       surname + g.given(male),
		roster.ColIDNumber:   id,
		roster.ColGrade:      gradeText(g.opt.SchoolType, grade),
		roster.ColClass:      strconv.Itoa(1+g.rng.IntN(8)) + "班",
		roster.ColStatus:     "在读",
	}
	if g.chance(0.9) {
		s[roster.ColSex] = map[bool]string{true: "男", false: "女"}[male]
	}
	if g.chance(0.1) {
		s[roster.ColIDType] = string(model.IDTypeResident)
	}
	if g.opt.SchoolType == roster.SchoolVocational || g.chance(0.5) {
		s[roster.ColStudentNo] = "G" + id
	}
	if g.opt.SchoolType == roster.SchoolVocational {
		m := majors[g.rng.IntN(len(majors))]
		s[roster.ColMajor] = m.name
		s[roster.ColAgriMajor] = map[bool]string{true: "是", false: "否"}[m.agri]
	}
	if grade <= 9 {
		s[roster.ColBoarding] = map[bool]string{true: "是", false: "否"}[g.chance(0.4)]
	}
	if g.chance(0.7) {
		s[roster.ColHousehold] = "农村"
	} else {
		s[roster.ColHousehold] = "城镇"
	}
	if g.chance(0.5) {
		s[roster.ColHomeRegion] = region
	}
	if g.chance(0.03) {
		s[roster.ColStatus] = g.pick([]string{"休学", "转出"})
	}
	if g.chance(0.6) {
		s[roster.ColLevel] = g.pick([]string{"特别困难", "困难", "困难", "一般困难", "一般困难"})
		cats := []string{"脱贫家庭(建档立卡)", "农村低保", "城镇低保", "农村特困供养", "残疾", "孤儿", "防返贫监测对象", "残疾人子女", "低收入人口"}
		var chosen []string
		for range g.rng.IntN(3) {
			chosen = append(chosen, g.pick(cats))
		}
		s[roster.ColCategories] = strings.Join(chosen, "、")
	}
	guardian := ""
	if g.chance(0.95) {
		guardian = surname + g.given(g.chance(0.5))
		s[roster.ColGuardian] = guardian
	}
	if g.chance(0.85) {
		prefix := g.pick(bankPrefixes)
		s[roster.ColBankName] = banks[prefix]
		s[roster.ColBankAccount] = prefix + g.digits(15)
		if guardian != "" && (grade <= 9 || g.chance(0.5)) {
			s[roster.ColHolder] = model.HolderGuardian
		} else {
			s[roster.ColHolder] = model.HolderSelf
		}
	}
	if g.chance(0.8) {
		s[roster.ColPhone] = "1" + string(byte('3'+g.rng.IntN(7))) + g.digits(9)
	} else if g.chance(0.5) {
		s[roster.ColPhone] = "0737-" + string(byte('2'+g.rng.IntN(7))) + g.digits(6)
	}
	g.ids = append(g.ids, id)
	return s
}

func (g *generator) given(male bool) string {
	chars := givenGirl
	if male {
		chars = givenBoy
	}
	n := 1 + g.rng.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteRune(chars[g.rng.IntN(len(chars))])
	}
	return b.String()
}

// idNumber is a unique, valid ID for a child in the given grade: a
// grade-1 pupil turns 6 by 31 August of the school year's first year, and a
// few are a year older or younger than their class.
func (g *generator) idNumber(region string, grade int, male bool) string {
	for {
		// Born between 1 September of y-1 and 31 August of y.
		y := g.year - 5 - grade
		switch r := g.rng.IntN(20); {
		case r == 0:
			y--
		case r == 1 && grade > 1:
			y++
		}
		day := g.rng.IntN(365)
		birth := startOfSeptember(y-1).AddDate(0, 0, day)
		seq := g.rng.IntN(100)*10 + g.rng.IntN(5)*2
		if male {
			seq++
		}
		first17 := fmt.Sprintf("%s%s%03d", region, birth.Format("20060102"), seq)
		id := first17 + string(model.IDCheckDigit(first17))
		if !g.used[id] {
			g.used[id] = true
			return id
		}
	}
}

// spoil gives a row one typical mistake.
func (g *generator) spoil(row map[string]string) {
	id := row[roster.ColIDNumber]
	switch g.rng.IntN(mistakeCount) {
	case mistakeCheckDigit:
		const checkChars = "0123456789X"
		right := strings.IndexByte(checkChars, id[17])
		row[roster.ColIDNumber] = id[:17] + string(checkChars[(right+1+g.rng.IntN(10))%11])
	case mistakeLowercaseX:
		row[roster.ColIDNumber] = strings.ToLower(id) + " "
	case mistakeFullWidth:
		row[roster.ColIDNumber] = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r - '0' + '０'
			}
			return r
		}, id)
	case mistakeNoName:
		delete(row, roster.ColName)
	case mistakeBadGrade:
		row[roster.ColGrade] = badGrade(g.opt.SchoolType)
	case mistakeDuplicateID:
		if len(g.ids) > 1 {
			dup := g.ids[g.rng.IntN(len(g.ids)-1)]
			row[roster.ColIDNumber] = dup
			delete(row, roster.ColSex)
			if _, ok := row[roster.ColStudentNo]; ok {
				row[roster.ColStudentNo] = "G" + dup
			}
		}
	}
}
