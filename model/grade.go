package model

import "strconv"

// GradeText writes a stage's grade as officers read it: 三年级, 高二, 中职一年级.
func GradeText(stage string, grade int) string {
	names := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case stage == StageVocational && grade >= 1 && grade <= 3:
		return "中职" + names[grade] + "年级"
	case stage == StageSenior && grade >= 10 && grade <= 12:
		return "高" + names[grade-9]
	case grade >= 1 && grade <= 9:
		return names[grade] + "年级"
	}
	return strconv.Itoa(grade)
}
