package roster

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules for names and free text, shared by roster rows and PATCH
// /students/{id} so that a value one path refuses the other refuses too
// (issue 15: one validation path).

// textLimits are the free-text columns' lengths in characters, well inside
// their database columns.
var textLimits = map[string]int{ColClass: 50, ColMajor: 100, ColRemark: 500, ColBankName: 100}

// FreeText trims a free-text value and says what is wrong with it, if
// anything: too long for its column, or holding control characters (NUL,
// line breaks), which no column wants and some drivers cut at.
func FreeText(col, s string) (string, string) {
	s = cleanCell(s)
	if n, limit := utf8.RuneCountInString(s), textLimits[col]; limit > 0 && n > limit {
		return s, fmt.Sprintf("%s不能超过%d个字（现为%d个）", col, limit, n)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return s, fmt.Sprintf("%s不能包含控制字符（如换行、制表符）", col)
	}
	return s, ""
}

// middleDots are the look-alikes of the interpunct (·) that input methods
// produce in minority names (少数民族姓名, e.g. 阿依古丽·买买提).
const middleDots = "·•・･‧∙⋅‧"

// PersonName normalises a person's name (one kind of middle dot, no blanks
// inside a Chinese name, one inside a foreign one) and says what is wrong
// with it: 2–30 characters, letters and the middle dot only.
func PersonName(col, s string) (string, string) {
	s = cleanCell(s)
	han := strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	var b strings.Builder
	lastBlank := false
	for _, r := range s {
		switch {
		case strings.ContainsRune(middleDots, r):
			r = '·'
		case isBlank(r):
			// "张 三" is a typing habit; a foreign name keeps one space.
			if !han && !lastBlank {
				b.WriteRune(' ')
			}
			lastBlank = true
			continue
		}
		lastBlank = false
		b.WriteRune(foldWidth(r))
	}
	s = b.String()
	n := utf8.RuneCountInString(s)
	switch {
	case strings.ContainsFunc(s, unicode.IsDigit):
		return s, fmt.Sprintf("%s不能包含数字", col)
	case strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) && r != '·' && r != ' ' }):
		return s, fmt.Sprintf("%s只能包含文字和间隔号“·”，备注请写在“备注”列", col)
	case n < 2 || n > 30:
		return s, fmt.Sprintf("%s应为2–30个字（现为%d个）", col, n)
	}
	return s, ""
}
