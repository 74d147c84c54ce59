package model

import (
	"strconv"
	"strings"
	"unicode"
)

// ParseBankAccount normalises a bank card or account number as officers type
// it (groups of four, hyphens, full-width digits) to its digits.
func ParseBankAccount(raw string) (string, error) {
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range raw {
		r = idFoldWidth(r)
		switch {
		case unicode.IsSpace(r), r == '-', r == '\u2010', r == '\u2011', r == '\u2012', r == '\u2013', r == '\u2014', r == '\u2212',
			r == '\u200B', r == '\uFEFF':
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	switch {
	case s == "":
		return "", idErr("银行卡号不能为空")
	case idIsENotation(s):
		return "", idErr("Excel 把银行卡号存成了数字（如 6.217E+18），后几位已丢失：请把该列设置为“文本”格式后重新填写")
	case !idAllDigits(s):
		return "", idErr("银行卡号只能包含数字")
	case len(s) < 12 || len(s) > 30:
		return "", idErr("银行卡号应为12–30位数字（现为" + strconv.Itoa(len(s)) + "位）")
	}
	return s, nil
}

// MaskBankAccount shows only the first and last four digits, always in the
// same shape so the length of the account does not leak either
// (DESIGN.md: 6217 **** **** 1234).
func MaskBankAccount(acct string) string {
	if acct == "" {
		return ""
	}
	if len(acct) < 12 {
		// Too short to be an account we accepted: showing eight of its few
		// digits would reveal nearly all of it.
		return "**** **** ****"
	}
	return acct[:4] + " **** **** " + acct[len(acct)-4:]
}
