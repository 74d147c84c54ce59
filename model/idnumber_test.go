package model_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"studentaid/model"
)

// idNow is a fixed "today" so birth-date checks do not drift with the clock.
var idNow = time.Date(2025, 9, 1, 10, 0, 0, 0, model.Shanghai())

// The valid numbers below were computed independently of IDCheckDigit (by
// hand from the GB 11643 weights) so the tests do not just agree with
// themselves.
func TestParseIDNumberResident(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"plain", "430903201503151230", "430903201503151230"},
		{"check digit X", "43092120080229001X", "43092120080229001X"},
		{"lowercase x", "43092120080229001x", "43092120080229001X"},
		{"leap day 2000", "440304200002295675", "440304200002295675"},
		{"Beijing 1949", "11010519491231002X", "11010519491231002X"},
		{"trailing spaces", "430981199001011237  ", "430981199001011237"},
		{"leading tab and NBSP", "\t\u00a0430981199001011237", "430981199001011237"},
		{"ideographic space inside", "430922\u30001983061254１７", "430922198306125417"},
		{"full-width digits", "４３０９０３２０１５０３１５１２３０", "430903201503151230"},
		{"full-width X", "43090320100315104Ｘ", "43090320100315104X"},
		{"full-width lower x", "43090320100315104ｘ", "43090320100315104X"},
		{"grouped with spaces", "430903 20150315 1230", "430903201503151230"},
		{"zero-width space from a web page", "430903\u200b201503151230", "430903201503151230"},
		{"15 digits become 18", "430903850612123", "430903198506121235"},
		{"born today", "430903202509010017", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				first17 := tt.raw[:17]
				tt.raw = first17 + string(model.IDCheckDigit(first17))
				tt.want = tt.raw
			}
			id, err := model.ParseIDNumber(model.IDTypeResident, tt.raw, idNow)
			if err != nil {
				t.Fatalf("ParseIDNumber(%q): %v", tt.raw, err)
			}
			if id.Value != tt.want || id.Type != model.IDTypeResident {
				t.Fatalf("ParseIDNumber(%q) = %+v, want %s", tt.raw, id, tt.want)
			}
		})
	}
}

func TestParseIDNumberResidentErrors(t *testing.T) {
	tests := []struct {
		name, raw, reason string
	}{
		{"empty", "  ", "不能为空"},
		{"Excel E+17", "4.30903E+17", "设置为“文本”格式"},
		{"Excel lower e", "4.30903e17", "设置为“文本”格式"},
		{"Excel long mantissa", "4.30903201503151E+17", "设置为“文本”格式"},
		{"17 digits", "43090320150315123", "长度应为18位（现为17位）"},
		{"19 digits", "4309032015031512301", "长度应为18位（现为19位）"},
		{"zeros are not E-notation", "4309032015031500000", "长度应为18位"},
		{"letter inside", "43090320150315A230", "前17位应全部为数字"},
		{"bad last char", "43090320150315123Y", "第18位应为数字或 X"},
		{"check digit", "430903201503151231", "校验位错误"},
		{"check digit X expected digit given", "430903201003151040", "校验位错误"},
		{"province 99", "990903201503151230", "地区码无效"},
		{"province 00", "000903201503151230", "地区码无效"},
		{"Feb 29 in a common year", "430903201902291230", "出生日期无效"},
		{"Feb 29 in 1900", "430903190002291230", "出生日期无效"},
		{"month 13", "430903201513011230", "出生日期无效"},
		{"day 0", "430903201503001230", "出生日期无效"},
		{"before 1900", "430903189912311230", "出生日期无效"},
		{"future birth date", "430903202612310012", "晚于今天"},
		{"tomorrow", "430903202509020011", "晚于今天"},
		{"15 digits with bad date", "430903850229123", "出生日期无效"},
		{"Chinese character", "43090320150315123号", "第18位应为数字或 X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := model.ParseIDNumber(model.IDTypeResident, tt.raw, idNow)
			if err == nil {
				t.Fatalf("ParseIDNumber(%q) = %+v, want error containing %q", tt.raw, id, tt.reason)
			}
			var idErr *model.IDError
			if !errors.As(err, &idErr) {
				t.Fatalf("error %T is not *model.IDError", err)
			}
			if !strings.Contains(idErr.Reason, tt.reason) {
				t.Fatalf("ParseIDNumber(%q) reason %q, want it to contain %q", tt.raw, idErr.Reason, tt.reason)
			}
		})
	}
}

func TestParseIDNumberBirthDateUsesNowZone(t *testing.T) {
	// 2025-09-01 in Shanghai is still 2025-08-31 in UTC for the first eight hours.
	now := time.Date(2025, 9, 1, 1, 0, 0, 0, model.Shanghai())
	first17 := "43090320250901001"
	raw := first17 + string(model.IDCheckDigit(first17))
	if _, err := model.ParseIDNumber(model.IDTypeResident, raw, now); err != nil {
		t.Fatalf("a child born today in Shanghai was refused: %v", err)
	}
	if _, err := model.ParseIDNumber(model.IDTypeResident, raw, now.UTC()); err == nil {
		t.Fatalf("a birth date after today (UTC) was accepted")
	}
}

func TestParseIDNumberOtherTypes(t *testing.T) {
	tests := []struct {
		typ       model.IDType
		raw, want string
		reason    string
	}{
		{model.IDTypePassport, " e1234 5678 ", "E12345678", ""},
		{model.IDTypePassport, "Ｅ１２３４５６７８", "E12345678", ""},
		{model.IDTypeHKMOTW, "810000199001011234", "810000199001011234", ""},
		{model.IDTypeForeign, "usa123456789012", "USA123456789012", ""},
		{model.IDTypeOther, "a123（4）", "A123(4)", ""},
		{model.IDTypeOther, "ab-12", "AB-12", ""},
		{model.IDTypePassport, "E123", "", "5–30位"},
		{model.IDTypePassport, strings.Repeat("A", 31), "", "5–30位"},
		{model.IDTypePassport, "E1234#5678", "", "只能包含"},
		{model.IDTypePassport, "李四护照号码", "", "只能包含"},
		{model.IDTypeForeign, "9.11E+17", "", "设置为“文本”格式"},
		{model.IDType("驾驶证"), "E12345678", "", "类型无效"},
	}
	for _, tt := range tests {
		id, err := model.ParseIDNumber(tt.typ, tt.raw, idNow)
		if tt.reason != "" {
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("ParseIDNumber(%s, %q) = %+v, %v; want error containing %q", tt.typ, tt.raw, id, err, tt.reason)
			}
			continue
		}
		if err != nil || id.Value != tt.want || id.Type != tt.typ {
			t.Errorf("ParseIDNumber(%s, %q) = %+v, %v; want %s", tt.typ, tt.raw, id, err, tt.want)
		}
	}
}

func TestParseIDNumberEmptyTypeIsResident(t *testing.T) {
	id, err := model.ParseIDNumber("", "430903201503151230", idNow)
	if err != nil || id.Type != model.IDTypeResident {
		t.Fatalf("got %+v, %v", id, err)
	}
}

func TestParseIDType(t *testing.T) {
	tests := map[string]model.IDType{
		"":               model.IDTypeResident,
		" 居民身份证 ":        model.IDTypeResident,
		"身份证":            model.IDTypeResident,
		"港澳台居民居住证":       model.IDTypeHKMOTW,
		"外国人永久居留身份证":     model.IDTypeForeign,
		"护照":             model.IDTypePassport,
		"其他":             model.IDTypeOther,
		"\u3000护照\u3000": model.IDTypePassport,
	}
	for in, want := range tests {
		got, err := model.ParseIDType(in)
		if err != nil || got != want {
			t.Errorf("ParseIDType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := model.ParseIDType("驾驶证"); err == nil {
		t.Errorf("ParseIDType(驾驶证) accepted")
	}
}

func TestIDNumberMethods(t *testing.T) {
	id, err := model.ParseIDNumber(model.IDTypeResident, "43092120080229001x", idNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := id.Masked(); got != "430921********001X" {
		t.Errorf("Masked = %q", got)
	}
	if got := id.String(); got != id.Masked() {
		t.Errorf("String = %q, want the masked form so logs never carry the number", got)
	}
	if got := id.RegionCode(); got != "430921" {
		t.Errorf("RegionCode = %q", got)
	}
	birth, ok := id.BirthDate()
	if !ok || !birth.Equal(time.Date(2008, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("BirthDate = %v, %v", birth, ok)
	}
	// 17th digit 1 is odd: male.
	if male, ok := id.Male(); !male || !ok {
		t.Errorf("Male = %v, %v", male, ok)
	}
	female, err := model.ParseIDNumber(model.IDTypeResident, "430922198306125425", idNow)
	if err != nil {
		t.Fatal(err)
	}
	if male, ok := female.Male(); male || !ok {
		t.Errorf("Male of a 17th digit 2 = %v, %v", male, ok)
	}

	passport := model.IDNumber{Type: model.IDTypePassport, Value: "E12345678"}
	if got := passport.Masked(); got != "E1*****78" {
		t.Errorf("passport Masked = %q", got)
	}
	if _, ok := passport.Male(); ok {
		t.Errorf("a passport has no sex digit")
	}
	if _, ok := passport.BirthDate(); ok {
		t.Errorf("a passport has no birth date")
	}
	if passport.RegionCode() != "" {
		t.Errorf("a passport has no region code")
	}
	if got := (model.IDNumber{}).Masked(); got != "" {
		t.Errorf("zero IDNumber Masked = %q", got)
	}
}

func TestIDCheckDigit(t *testing.T) {
	tests := map[string]byte{
		"43090320150315123": '0',
		"43092120080229001": 'X',
		"43098119900101123": '7',
		"43092219830612541": '7',
		"11010519491231002": 'X',
		"4309032015031512":  0,
		"4309032015031512a": 0,
	}
	for in, want := range tests {
		if got := model.IDCheckDigit(in); got != want {
			t.Errorf("IDCheckDigit(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseIDNumber(f *testing.F) {
	f.Add("居民身份证", "430903201503151230")
	f.Add("", "4.30903E+17")
	f.Add("护照", "e1234 5678")
	f.Add("居民身份证", "430903850612123")
	f.Fuzz(func(t *testing.T, typ, raw string) {
		id, err := model.ParseIDNumber(model.IDType(typ), raw, idNow)
		if err != nil {
			var idErr *model.IDError
			if !errors.As(err, &idErr) || idErr.Reason == "" {
				t.Fatalf("error %v is not an *IDError with a reason", err)
			}
			return
		}
		again, err := model.ParseIDNumber(id.Type, id.Value, idNow)
		if err != nil || again != id {
			t.Fatalf("normalised value %+v does not parse to itself: %+v, %v", id, again, err)
		}
		masked := id.Masked()
		if len([]rune(masked)) != len([]rune(id.Value)) || masked == id.Value {
			t.Fatalf("Masked(%q) = %q", id.Value, masked)
		}
		if id.Type == model.IDTypeResident {
			if len(id.Value) != 18 || model.IDCheckDigit(id.Value[:17]) != id.Value[17] {
				t.Fatalf("accepted resident ID %q fails its own check digit", id.Value)
			}
			if _, ok := id.BirthDate(); !ok {
				t.Fatalf("accepted resident ID %q has no birth date", id.Value)
			}
		}
	})
}
