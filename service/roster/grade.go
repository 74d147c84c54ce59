package roster

import "strings"

// gradeKind tells how a grade was written, because "一年级" means grade 1 in a
// primary school but the first year in a vocational school, and "初一" is
// grade 7.
type gradeKind int

const (
	gradePlain      gradeKind = iota // 一年级…九年级, 1–9
	gradeJunior                      // 初一…初三
	gradeSenior                      // 高一…高三
	gradeVocational                  // 中职一年级…中职三年级
)

var gradeNumerals = map[string]int{
	"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
	"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9,
}

// parseGradeText reads the grade as written, before the school type is known.
func parseGradeText(s string) (gradeKind, int, bool) {
	s = compactCode(s)
	kind := gradePlain
	for _, p := range []struct {
		prefix string
		kind   gradeKind
	}{
		{"中职", gradeVocational}, {"初中", gradeJunior}, {"初", gradeJunior},
		{"高中", gradeSenior}, {"高", gradeSenior},
	} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok {
			s, kind = rest, p.kind
			break
		}
	}
	s = strings.TrimSuffix(s, "年级")
	n, ok := gradeNumerals[s]
	if !ok || (kind != gradePlain && n > 3) {
		return 0, 0, false
	}
	return kind, n, true
}

// gradeHint is what a school of each type should write, for error messages.
var gradeHint = map[string]string{
	SchoolPrimary:           "小学应填 一年级至六年级",
	SchoolJunior:            "初中应填 七年级至九年级（或 初一至初三）",
	SchoolNineYear:          "九年一贯制学校应填 一年级至九年级",
	SchoolSenior:            "普通高中应填 高一至高三",
	SchoolCompleteSecondary: "完全中学应填 七年级至九年级 或 高一至高三",
	SchoolVocational:        "中职学校应填 中职一年级至中职三年级",
}

// fitGrade places a written grade in a school of the given type. Grades are
// stored as 1–9 for compulsory education, 10–12 for senior high school and
// 1–3 for vocational school, with the stage that decides which aid applies.
func fitGrade(schoolType string, kind gradeKind, n int) (grade int, stage string, ok bool) {
	junior := func() (int, string, bool) {
		switch {
		case kind == gradeJunior:
			return 6 + n, StageJunior, true
		case kind == gradePlain && n >= 7:
			return n, StageJunior, true
		}
		return 0, "", false
	}
	switch schoolType {
	case SchoolPrimary:
		if kind == gradePlain && n <= 6 {
			return n, StagePrimary, true
		}
	case SchoolJunior:
		return junior()
	case SchoolNineYear:
		// POLICY.md: a nine-year school's grades 1–6 are primary, 7–9 junior.
		if kind == gradePlain && n <= 6 {
			return n, StagePrimary, true
		}
		return junior()
	case SchoolSenior:
		if kind == gradeSenior {
			return 9 + n, StageSenior, true
		}
	case SchoolCompleteSecondary:
		if kind == gradeSenior {
			return 9 + n, StageSenior, true
		}
		return junior()
	case SchoolVocational:
		if kind == gradeVocational || (kind == gradePlain && n <= 3) {
			return n, StageVocational, true
		}
	}
	return 0, "", false
}

func validSchoolType(t string) bool {
	_, ok := gradeHint[t]
	return ok
}
