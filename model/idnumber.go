package model

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// IDType is the kind of identity document a student is registered with; the
// values are the Chinese names used in rosters and ledgers.
type IDType string

const (
	IDTypeResident IDType = "居民身份证"
	IDTypeHKMOTW   IDType = "港澳台居民居住证"
	IDTypeForeign  IDType = "外国人永久居留身份证"
	IDTypePassport IDType = "护照"
	IDTypeOther    IDType = "其他"
)

// idTypeNames maps what officers actually type to the canonical type: the
// roster column is free text in files not made from our template.
var idTypeNames = map[string]IDType{
	"":           IDTypeResident,
	"居民身份证":      IDTypeResident,
	"身份证":        IDTypeResident,
	"港澳台居民居住证":   IDTypeHKMOTW,
	"港澳居民居住证":    IDTypeHKMOTW,
	"台湾居民居住证":    IDTypeHKMOTW,
	"外国人永久居留身份证": IDTypeForeign,
	"外国人永久居留证":   IDTypeForeign,
	"护照":         IDTypePassport,
	"其他":         IDTypeOther,
}

// IDError says why an identity document, bank account or phone number was
// refused. Reason is shown to the officer as it is.
type IDError struct {
	Reason string
}

func (e *IDError) Error() string { return e.Reason }

func idErr(reason string) *IDError { return &IDError{Reason: reason} }

// idExcelNumberReason is the advice for a number that went through Excel as a
// number: Excel keeps 15 significant digits, so the rest cannot be recovered
// and only retyping into a text-formatted column helps.
const idExcelNumberReason = "Excel 把身份证件号存成了数字（如 4.30903E+17），后几位已丢失：请把该列设置为“文本”格式后重新填写"

// ParseIDType reads a document type; an empty value is a resident ID card,
// which is what nearly every student has.
func ParseIDType(s string) (IDType, error) {
	if t, ok := idTypeNames[idCompact(s)]; ok {
		return t, nil
	}
	return "", idErr("身份证件类型应为 居民身份证、港澳台居民居住证、外国人永久居留身份证、护照 或 其他")
}

// IDNumber is a validated, normalised identity document number. Value is the
// form that is stored, hashed and compared: ASCII, no spaces, upper case.
type IDNumber struct {
	Type  IDType
	Value string
}

// idCheckWeights and idCheckChars are GB 11643-1999's ISO 7064 MOD 11-2
// weights and the check character for each remainder.
var (
	idCheckWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheckChars   = [11]byte{'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'}
)

// idProvinces are the province-level GB/T 2260 prefixes: a resident ID from
// anywhere else is a typo, however good its check digit.
var idProvinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

// KnownProvince reports whether a division code starts with a real
// province-level prefix.
func KnownProvince(code string) bool { return len(code) >= 2 && idProvinces[code[:2]] }

// IDCheckDigit returns the GB 11643 check character for the first 17 digits
// of a resident ID number, or 0 when first17 is not 17 ASCII digits.
func IDCheckDigit(first17 string) byte {
	if len(first17) != 17 || !idAllDigits(first17) {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idCheckWeights[i]
	}
	return idCheckChars[sum%11]
}

// ParseIDNumber validates and normalises an identity document number. now
// bounds birth dates: an ID cannot belong to someone born after today.
// AsResidentID reports whether a number declared under another document
// type is a mainland resident ID, and returns it as one: POLICY.md "One
// person, one record" — the same number is the same person whatever
// 身份证件类型 says. 港澳台居民居住证 numbers (81…, 82…, 83…) keep their own
// space, as do passports and other documents.
func AsResidentID(t IDType, raw string, now time.Time) (IDNumber, bool) {
	if t == "" || t == IDTypeResident || t == IDTypeHKMOTW {
		return IDNumber{}, false
	}
	id, err := ParseIDNumber(IDTypeResident, raw, now)
	if err != nil || strings.HasPrefix(id.Value, "8") {
		return IDNumber{}, false
	}
	return id, true
}

func ParseIDNumber(t IDType, raw string, now time.Time) (IDNumber, error) {
	if t == "" {
		t = IDTypeResident
	}
	switch t {
	case IDTypeResident, IDTypeHKMOTW, IDTypeForeign, IDTypePassport, IDTypeOther:
	default:
		return IDNumber{}, idErr("身份证件类型无效")
	}
	s := strings.ToUpper(idCompact(raw))
	if s == "" {
		return IDNumber{}, idErr("身份证件号不能为空")
	}
	if t != IDTypeResident {
		return idParseOther(t, s)
	}
	if idIsENotation(s) {
		return IDNumber{}, idErr(idExcelNumberReason)
	}
	if len(s) == 15 && idAllDigits(s) {
		// GB 11643-1989 numbers carried a two-digit year and no check digit;
		// everyone holding one was born in the 1900s.
		first17 := s[:6] + "19" + s[6:]
		s = first17 + string(IDCheckDigit(first17))
	} else if n := len([]rune(s)); n != 18 {
		return IDNumber{}, idErr("长度应为18位（现为" + strconv.Itoa(n) + "位）")
	}
	if !idAllDigits(s[:17]) {
		return IDNumber{}, idErr("前17位应全部为数字")
	}
	if last := s[17]; last != 'X' && (last < '0' || last > '9') {
		return IDNumber{}, idErr("第18位应为数字或 X")
	}
	if !idProvinces[s[:2]] {
		return IDNumber{}, idErr("前6位地区码无效（前两位应为省级代码，如 43 湖南）")
	}
	if _, ok := idBirthDate(s); !ok {
		return IDNumber{}, idErr("出生日期无效（第7–14位应为真实的出生年月日）")
	}
	if idAfterToday(s, now) {
		return IDNumber{}, idErr("出生日期无效（晚于今天）")
	}
	// The expected digit is deliberately not shown: "fixing" the last digit
	// to make the error go away would hide a typo elsewhere in the number.
	if IDCheckDigit(s[:17]) != s[17] {
		return IDNumber{}, idErr("校验位错误：号码有误，请逐位核对原件")
	}
	return IDNumber{Type: t, Value: s}, nil
}

// idParseOther checks documents whose numbering we cannot verify: only the
// alphabet and length are enforced so obvious garbage is still refused.
func idParseOther(t IDType, s string) (IDNumber, error) {
	if idIsENotation(s) && strings.ContainsAny(s, ".+") {
		return IDNumber{}, idErr(idExcelNumberReason)
	}
	n := len([]rune(s))
	if n < 5 || n > 30 {
		return IDNumber{}, idErr("证件号长度应为5–30位")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '(' || c == ')' || c == '-') {
			return IDNumber{}, idErr("证件号只能包含字母、数字、括号和连字符")
		}
	}
	return IDNumber{Type: t, Value: s}, nil
}

func (n IDNumber) resident() bool {
	return (n.Type == IDTypeResident || n.Type == "") && len(n.Value) == 18
}

// Masked is the form shown to anyone whose role does not need the number
// (DESIGN.md: 430903********123X).
func (n IDNumber) Masked() string {
	if n.resident() {
		return n.Value[:6] + "********" + n.Value[14:]
	}
	r := []rune(n.Value)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}

// BirthDate is the date encoded in a resident ID (midnight UTC, a date only).
func (n IDNumber) BirthDate() (time.Time, bool) {
	if !n.resident() {
		return time.Time{}, false
	}
	return idBirthDate(n.Value)
}

// Male reports the sex encoded in a resident ID's 17th digit (odd = male);
// ok is false for documents that carry none.
func (n IDNumber) Male() (male, ok bool) {
	if !n.resident() {
		return false, false
	}
	return (n.Value[16]-'0')%2 == 1, true
}

// RegionCode is the GB/T 2260 code of the place that issued a resident ID.
func (n IDNumber) RegionCode() string {
	if !n.resident() {
		return ""
	}
	return n.Value[:6]
}

func (n IDNumber) String() string { return n.Masked() }

// idBirthDate reads digits 7–14 of an 18-character ID as a calendar date.
func idBirthDate(s string) (time.Time, bool) {
	if len(s) < 14 || !idAllDigits(s[6:14]) {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(s[6:10])
	m, _ := strconv.Atoi(s[10:12])
	d, _ := strconv.Atoi(s[12:14])
	if y < 1900 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	// time.Date normalises 29 February of a common year into March.
	if t.Day() != d || int(t.Month()) != m {
		return time.Time{}, false
	}
	return t, true
}

// idAfterToday compares dates in now's own zone, so a child born today in
// Shanghai is not refused while it is still yesterday in UTC.
func idAfterToday(s string, now time.Time) bool {
	birth, _ := idBirthDate(s)
	y, m, d := now.Date()
	return birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// idCompact folds full-width ASCII (what Chinese input methods produce) to
// ASCII and drops every kind of space, including the ideographic space and
// the zero-width characters that come along when copying from web pages.
func idCompact(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == '\u200B', r == '\u200C', r == '\u200D', r == '\uFEFF', r == '\u2060':
			continue
		case r >= '\uFF01' && r <= '\uFF5E':
			r -= 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// idFoldWidth folds full-width ASCII to ASCII but keeps spaces; for fields
// such as bank accounts that drop other separators too.
func idFoldWidth(r rune) rune {
	if r >= '\uFF01' && r <= '\uFF5E' {
		return r - 0xFEE0
	}
	return r
}

func idAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// idIsENotation recognises how Excel shows a long number it holds as a float
// (4.30903E+17, 4.30903e17, 6.217E+18): the digits past the 15th are gone.
func idIsENotation(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToUpper(s), "E")
	if !ok || mant == "" || exp == "" {
		return false
	}
	mant = strings.TrimPrefix(mant, "-")
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if !idAllDigits(intPart) || (hasDot && frac != "" && !idAllDigits(frac)) {
		return false
	}
	exp = strings.TrimLeft(exp, "+-")
	return idAllDigits(exp)
}

// MaskStudentNo masks a 学籍号 wherever the ID number is masked: national
// student numbers are "G" and the full ID number, so an unmasked one would
// give the ID away. Long ones keep what the masked ID keeps (the prefix and
// six digits, the last four); short ones their last four.
func MaskStudentNo(s string) string {
	r := []rune(s)
	switch {
	case len(r) >= 15:
		return string(r[:len(r)-12]) + "********" + string(r[len(r)-4:])
	case len(r) > 4:
		return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
	}
	return s
}
