// Package gen writes realistic 生源地信用助学贷款 application workbooks in the
// template's columns: valid ID numbers of a county's students born 17–19
// years before the school year, a parent as co-borrower, real Hunan
// universities and amounts as families ask for them.
package gen

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/ledger"
)

// Options say what to write.
type Options struct {
	Rows       int
	Region     string // the county of household registration (6 digits)
	SchoolYear string // 2025-2026: first-year students enter in 2025
	Seed       uint64
}

var surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "朱", "胡", "郭", "何",
	"罗", "谢", "唐", "邓", "曹", "彭", "曾", "肖", "谭", "廖", "欧阳"}
var given = []rune("伟强磊军洋杰涛明超辉俊浩宇轩博文鹏翔芳娜敏静丽婷雪琳颖欣怡佳悦涵雨晴梓琪诗瑶")

var universities = []struct {
	name, code, level string
	years             int
}{
	{"湖南大学", "10532", "本科", 4}, {"中南大学", "10533", "本科", 4}, {"湖南师范大学", "10542", "本科", 4},
	{"湘潭大学", "10530", "本科", 4}, {"湖南农业大学", "10537", "本科", 4}, {"中南林业科技大学", "10538", "本科", 4},
	{"湖南中医药大学", "10541", "本科", 5}, {"湖南城市学院", "11527", "本科", 4}, {"益阳医学高等专科学校", "14307", "专科/高职", 3},
	{"湖南工艺美术职业学院", "12597", "专科/高职", 3}, {"中南大学", "10533", "研究生", 3},
}

var relations = []string{"父子", "父女", "母子", "母女", "监护人"}
var statements = []string{"", "", "低保", "脱贫家庭", "特困供养", "残疾", "孤儿"}

// Write writes the workbook with excelize's stream writer.
func Write(w io.Writer, opt Options) error {
	if opt.Rows < 0 || len(opt.Region) != 6 {
		return errors.New("gen: Rows must not be negative and Region must have 6 digits")
	}
	year, err := strconv.Atoi(opt.SchoolYear[:min(4, len(opt.SchoolYear))])
	if err != nil || model.ParseSchoolYear(opt.SchoolYear) != nil {
		return errors.New("gen: SchoolYear must look like 2025-2026")
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "贷款申请"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	headers := ledger.LoanHeaders()
	row := make([]any, len(headers))
	for i, h := range headers {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9E3779B97F4A7C15))
	used := map[string]bool{}
	id := func(born int, male bool) string {
		for {
			birth := time.Date(born, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365))
			seq := rng.IntN(500) * 2
			if male {
				seq++
			}
			first17 := fmt.Sprintf("%s%s%03d", opt.Region, birth.Format("20060102"), seq)
			s := first17 + string(model.IDCheckDigit(first17))
			if !used[s] {
				used[s] = true
				return s
			}
		}
	}
	name := func() string {
		n := surnames[rng.IntN(len(surnames))]
		for range 1 + rng.IntN(2) {
			n += string(given[rng.IntN(len(given))])
		}
		return n
	}
	yuan := func(lo, hi int) string { return strconv.Itoa((lo + rng.IntN(hi-lo+1)) / 100 * 100) }
	for i := range opt.Rows {
		u := universities[rng.IntN(len(universities))]
		entry := year - rng.IntN(u.years)
		studentBorn := entry - 18 - rng.IntN(2)
		if u.level == "研究生" {
			studentBorn -= 4
		}
		values := map[string]string{
			"姓名": name(), "身份证号": id(studentBorn, rng.IntN(2) == 0), "户籍地区码": opt.Region,
			"共同借款人姓名": name(), "共同借款人身份证号": id(studentBorn-25-rng.IntN(8), rng.IntN(2) == 0),
			"与学生关系": relations[rng.IntN(len(relations))], "共同借款人电话": "13" + strconv.Itoa(100000000+rng.IntN(899999999)),
			"高校名称": u.name, "高校代码": u.code, "学历层次": u.level, "学制": strconv.Itoa(u.years), "入学年份": strconv.Itoa(entry),
			"学费(元)": yuan(4500, 7000), "住宿费(元)": yuan(800, 1500), "生活费(元)": yuan(3000, 12000),
			"困难证明类型": statements[rng.IntN(len(statements))],
		}
		if values["困难证明类型"] == "" {
			values["困难证明类型"] = "低保" // a new file has no difficulty record to point to
		}
		for j, h := range headers {
			row[j] = values[h]
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
