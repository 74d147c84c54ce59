package model_test

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"studentaid/model"
)

func TestFenYuanAndPlain(t *testing.T) {
	tests := []struct {
		fen         model.Fen
		yuan, plain string
	}{
		{0, "0.00", "0.00"},
		{5, "0.05", "0.05"},
		{50, "0.50", "0.50"},
		{100, "1.00", "1.00"},
		{99999, "999.99", "999.99"},
		{100000, "1,000.00", "1000.00"},
		{140950, "1,409.50", "1409.50"},
		{1250000, "12,500.00", "12500.00"},
		{-140950, "-1,409.50", "-1409.50"},
		{-5, "-0.05", "-0.05"},
		{10000000000, "100,000,000.00", "100000000.00"},
		{math.MaxInt64, "92,233,720,368,547,758.07", "92233720368547758.07"},
		{math.MinInt64, "-92,233,720,368,547,758.08", "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.fen.Yuan(); got != tt.yuan {
			t.Errorf("Fen(%d).Yuan() = %q, want %q", tt.fen, got, tt.yuan)
		}
		if got := tt.fen.Plain(); got != tt.plain {
			t.Errorf("Fen(%d).Plain() = %q, want %q", tt.fen, got, tt.plain)
		}
	}
}

func TestParseYuan(t *testing.T) {
	good := []struct {
		in   string
		want model.Fen
	}{
		{"1,409.5", 140950},
		{"1409.50", 140950},
		{"¥1409.50", 140950},
		{"￥1,409.50", 140950},
		{"1409", 140900},
		{" 1409.5 ", 140950},
		{"0", 0},
		{"0.05", 5},
		{"007.10", 710},
		{"12,500.00", 1250000},
		{"1,000,000.01", 100000001},
		{"-20", -2000},
		{"-¥1.5", -150},
		{"¥-1.5", -150},
		{"92233720368547758.07", math.MaxInt64 - 0}, // largest that fits
	}
	for _, tt := range good {
		got, err := model.ParseYuan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", " ", "abc", "1.234", "1.", ".5", "1,40", "1,4099", ",100", "1,,000",
		"12a", "1e3", "+5", "--5", "1.2.3", "¥", "1 000", "0x10", "NaN", "１２",
		"92233720368547758.08", "999999999999999999",
	}
	for _, in := range bad {
		if got, err := model.ParseYuan(in); err == nil {
			t.Errorf("ParseYuan(%q) = %d, want an error", in, got)
		}
	}
}

// yuan turns "100,000,100.10" into fen for readable test tables.
func yuan(t testing.TB, s string) model.Fen {
	t.Helper()
	// Tables group big figures by 万 for readability; ParseYuan wants thousands.
	f, err := model.ParseYuan(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("ParseYuan(%q): %v", s, err)
	}
	return f
}

func TestFenCapital(t *testing.T) {
	tests := []struct{ amount, want string }{
		// examples from POLICY.md and the People's Bank rules
		{"12500.00", "人民币壹万贰仟伍佰元整"},
		{"1409.50", "人民币壹仟肆佰零玖元伍角"},
		{"1680.32", "人民币壹仟陆佰捌拾元零叁角贰分"},
		{"107000.53", "人民币壹拾万柒仟元零伍角叁分"},
		{"16409.02", "人民币壹万陆仟肆佰零玖元零贰分"},
		{"325.04", "人民币叁佰贰拾伍元零肆分"},
		// the brief's cases
		{"0.05", "人民币伍分"},
		{"100000000.00", "人民币壹亿元整"},
		{"10.00", "人民币壹拾元整"},
		{"100,010.00", "人民币壹拾万零壹拾元整"},
		{"1,000,000.01", "人民币壹佰万元零壹分"},
		{"0", "人民币零元整"},
		{"100,000,100", "人民币壹亿零壹佰元整"},
		{"100,000,000.10", "人民币壹亿元零壹角"},
		// more zero placements
		{"0.50", "人民币伍角"},
		{"0.55", "人民币伍角伍分"},
		{"1", "人民币壹元整"},
		{"15", "人民币壹拾伍元整"},
		{"110", "人民币壹佰壹拾元整"},
		{"1010", "人民币壹仟零壹拾元整"},
		{"1001", "人民币壹仟零壹元整"},
		{"10001", "人民币壹万零壹元整"},
		{"10010", "人民币壹万零壹拾元整"},
		{"101000", "人民币壹拾万壹仟元整"},
		{"1000000", "人民币壹佰万元整"},
		{"1250", "人民币壹仟贰佰伍拾元整"},
		{"625.50", "人民币陆佰贰拾伍元伍角"},
		{"1,0001,0000", "人民币壹亿零壹万元整"},
		{"1,2000,0001", "人民币壹亿贰仟万零壹元整"},
		{"12,3400,5678", "人民币壹拾贰亿叁仟肆佰万伍仟陆佰柒拾捌元整"},
		{"10,0000,0000", "人民币壹拾亿元整"},
		{"1,0000,0000,0000", "人民币壹万亿元整"},
		{"1,0000,0000,0001", "人民币壹万亿零壹元整"},
		{"1,0000,0000,0000,0000", "人民币壹亿亿元整"},
		{"20.20", "人民币贰拾元零贰角"},
		{"20.02", "人民币贰拾元零贰分"},
		{"20.22", "人民币贰拾元零贰角贰分"},
		{"99999999.99", "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
		{"-1409.50", "人民币负壹仟肆佰零玖元伍角"},
		{"-0.01", "人民币负壹分"},
	}
	for _, tt := range tests {
		if got := yuan(t, tt.amount).Capital(); got != tt.want {
			t.Errorf("%s: Capital() = %q, want %q", tt.amount, got, tt.want)
		}
	}
}

func TestFenCapitalExtremes(t *testing.T) {
	for _, f := range []model.Fen{math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		got := f.Capital()
		if back, ok := parseCapital(got); !ok || back != f {
			t.Errorf("Fen(%d).Capital() = %q reads back as %d (ok=%v)", f, got, back, ok)
		}
	}
}

const capitalAlphabet = "人民币负零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整"

func FuzzFenCapital(f *testing.F) {
	for _, seed := range []int64{0, 5, 1000, 140950, 1250000, 10000000001, -1, math.MaxInt64, math.MinInt64} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		fen := model.Fen(n)
		got := fen.Capital()
		if !utf8.ValidString(got) || !strings.HasPrefix(got, "人民币") {
			t.Fatalf("Capital(%d) = %q", n, got)
		}
		for _, r := range got {
			if !strings.ContainsRune(capitalAlphabet, r) {
				t.Fatalf("Capital(%d) = %q contains %q", n, got, r)
			}
		}
		if strings.Contains(got, "零零") || strings.HasSuffix(got, "零") {
			t.Fatalf("Capital(%d) = %q has a stray 零", n, got)
		}
		if again := fen.Capital(); again != got {
			t.Fatalf("Capital(%d) not stable: %q then %q", n, got, again)
		}
		if back, ok := parseCapital(got); !ok || back != fen {
			t.Fatalf("Capital(%d) = %q reads back as %d (ok=%v)", n, got, back, ok)
		}
		if p, err := model.ParseYuan(fen.Plain()); err != nil || p != fen {
			t.Fatalf("ParseYuan(Plain(%d)) = %d, %v", n, p, err)
		}
		if p, err := model.ParseYuan(fen.Yuan()); err != nil || p != fen {
			t.Fatalf("ParseYuan(Yuan(%d)) = %d, %v", n, p, err)
		}
	})
}

// parseCapital reads 大写 back into fen, so the fuzz test proves that every
// amount is written unambiguously, not merely with the right characters.
func parseCapital(s string) (model.Fen, bool) {
	s, ok := strings.CutPrefix(s, "人民币")
	if !ok {
		return 0, false
	}
	neg := false
	if rest, ok := strings.CutPrefix(s, "负"); ok {
		neg, s = true, rest
	}
	digits := map[rune]uint64{'零': 0, '壹': 1, '贰': 2, '叁': 3, '肆': 4, '伍': 5, '陆': 6, '柒': 7, '捌': 8, '玖': 9}
	units := map[rune]uint64{'拾': 10, '佰': 100, '仟': 1000}
	var total, section, number, fen uint64
	for _, r := range s {
		switch {
		case r == '零':
		case digits[r] > 0:
			number = digits[r]
		case units[r] > 0:
			if number == 0 {
				return 0, false
			}
			section += number * units[r]
			number = 0
		case r == '万':
			section = (section + number) * 1_0000
			number = 0
		case r == '亿':
			total = (total + section + number) * 1_0000_0000
			section, number = 0, 0
		case r == '元':
			fen = (total + section + number) * 100
			total, section, number = 0, 0, 0
		case r == '角':
			fen += number * 10
			number = 0
		case r == '分':
			fen += number
			number = 0
		case r == '整':
		default:
			return 0, false
		}
	}
	if total+section+number != 0 {
		return 0, false
	}
	if neg {
		return -model.Fen(fen-1) - 1, true
	}
	return model.Fen(fen), true
}
