package service

import (
	"strings"
	"time"

	"studentaid/model"
)

// candidate is one enrolment with what eligibility needs to know.
type candidate struct {
	StudentID   int64
	Name        string
	IDType      string
	IDMasked    string
	IDHash      string
	Household   string
	HomeRegion  string
	EnrolmentID int64
	SchoolID    int64
	Stage       string
	Grade       int
	Class       string
	StudentNo   string
	AgriMajor   bool
	Boarding    *bool
	Status      string
	Level       string
	Categories  string
}

// verdict says whether a candidate is eligible, by which rule, or why not.
type verdict struct {
	eligible bool
	rule     string // why eligible, as officers read it
	reason   string // why not
	level    string // the tier the amount follows ("" for the base row)
}

func no(reason string) verdict { return verdict{reason: reason} }

// vocationalGrade3From is when grade 3 of 中职 became eligible (财教〔2024〕181号).
var vocationalGrade3From = time.Date(2025, 1, 1, 0, 0, 0, 0, model.Shanghai())

// nonboardingCategories are those that qualify a day pupil (POLICY.md).
var nonboardingCategories = []string{"脱贫家庭(建档立卡)", "农村低保", "农村特困供养", "残疾"}

// judge applies POLICY.md's eligibility rules to one enrolment for a term.
// contiguous reports whether a county is a 连片特困地区.
func judge(program string, term model.Term, c candidate, contiguous func(string) bool) verdict {
	if c.Status != model.StatusEnrolled {
		return no("学籍状态为" + c.Status)
	}
	identified := c.Level != ""
	switch program {
	case "boarding", "nonboarding":
		if c.Stage != model.StagePrimary && c.Stage != model.StageJunior {
			return no("不是义务教育阶段学生")
		}
		if c.Boarding == nil {
			return no("未填写是否寄宿")
		}
		if program == "boarding" {
			if !*c.Boarding {
				return no("非寄宿生")
			}
			if !identified {
				return no("未认定为家庭经济困难学生")
			}
			return verdict{eligible: true, rule: "寄宿生·" + model.LevelLabel(c.Level)}
		}
		if *c.Boarding {
			return no("寄宿生（应享受寄宿生生活补助）")
		}
		if !identified {
			return no("未认定为家庭经济困难学生")
		}
		for _, cat := range nonboardingCategories {
			if hasCategory(c.Categories, cat) {
				return verdict{eligible: true, rule: "非寄宿生·" + cat}
			}
		}
		return no("困难类型不属于脱贫家庭、农村低保、农村特困供养或残疾")
	case "vocational_grant":
		if c.Stage != model.StageVocational {
			return no("不是中职学生")
		}
		if c.StudentNo == "" {
			return no("无学籍号（非全日制正式学籍）")
		}
		maxGrade := 2
		if !term.Start().Before(vocationalGrade3From) {
			maxGrade = 3
		}
		if c.Grade < 1 || c.Grade > maxGrade {
			if c.Grade == 3 {
				return no("中职三年级（2025年春季学期前不在资助范围）")
			}
			return no("年级不在资助范围")
		}
		switch {
		case identified:
			return verdict{eligible: true, rule: "家庭经济困难·" + model.LevelLabel(c.Level), level: c.Level}
		case c.AgriMajor:
			return verdict{eligible: true, rule: "涉农专业"}
		case c.Household == "农村" && contiguous(homeCounty(c)):
			return verdict{eligible: true, rule: "连片特困地区农村户籍"}
		}
		return no("未认定家庭经济困难，且非涉农专业、非连片特困地区农村户籍")
	case "senior_grant":
		if c.Stage != model.StageSenior {
			return no("不是普通高中学生")
		}
		if !identified {
			return no("未认定为家庭经济困难学生")
		}
		return verdict{eligible: true, rule: "家庭经济困难·" + model.LevelLabel(c.Level), level: c.Level}
	}
	return no("未知资助项目")
}

// homeCounty is the roster's 户籍地区码, else the ID number's first six digits.
func homeCounty(c candidate) string {
	if c.HomeRegion != "" {
		return c.HomeRegion
	}
	if c.IDType == string(model.IDTypeResident) && len(c.IDMasked) >= 6 {
		return c.IDMasked[:6]
	}
	return ""
}

func hasCategory(list, cat string) bool {
	for _, c := range strings.Split(list, "、") {
		if c == cat {
			return true
		}
	}
	return false
}

// levelRank orders students for a quota cut: 特别困难 first, then 困难, 一般困难.
func levelRank(level string) int {
	switch level {
	case model.LevelSpecial:
		return 0
	case model.LevelHard:
		return 1
	case model.LevelGeneral:
		return 2
	}
	return 3
}
