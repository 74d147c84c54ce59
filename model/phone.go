package model

import (
	"strings"
	"unicode"
)

// ParsePhone accepts an 11-digit mobile number or a landline with its area
// code (0 + 2–3 digits, optional hyphen, 7–8 digits) and returns it without
// spaces, in ASCII digits; a landline keeps its hyphen when it had one.
func ParsePhone(raw string) (string, error) {
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range raw {
		r = idFoldWidth(r)
		switch {
		case unicode.IsSpace(r), r == '\u200B', r == '\uFEFF':
			continue
		case r == '\u2010', r == '\u2011', r == '\u2012', r == '\u2013', r == '\u2014', r == '\u2212':
			r = '-'
		}
		b.WriteRune(r)
	}
	s := b.String()
	if s == "" {
		return "", idErr("联系电话不能为空")
	}
	if idIsENotation(s) {
		return "", idErr("Excel 把联系电话存成了科学计数法：请把该列设置为“文本”格式后重新填写")
	}
	// A country code in front of a mobile number is common in contact lists.
	for _, prefix := range []string{"+86-", "+86", "0086", "86-"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && len(rest) == 11 && rest[0] == '1' {
			s = rest
			break
		}
	}
	// (0737)1234567 is how landlines are often written.
	if strings.HasPrefix(s, "(") {
		if area, local, ok := strings.Cut(s[1:], ")"); ok {
			s = area + "-" + local
		}
	}
	if idAllDigits(s) && len(s) == 11 && s[0] == '1' {
		if s[1] < '3' {
			return "", idErr("手机号码无效（第2位应为3–9）")
		}
		return s, nil
	}
	if s[0] == '0' {
		area, local, hyphen := strings.Cut(s, "-")
		if hyphen {
			if idAllDigits(area) && len(area) >= 3 && len(area) <= 4 && area[1] != '0' &&
				idAllDigits(local) && len(local) >= 7 && len(local) <= 8 {
				return s, nil
			}
		} else if idAllDigits(s) && len(s) >= 10 && len(s) <= 12 && s[1] != '0' {
			return s, nil
		}
	}
	return "", idErr("联系电话应为11位手机号，或带区号的固定电话（如 0737-1234567）")
}
