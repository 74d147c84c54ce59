package model

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (分), the smallest unit of the yuan.
// Money is an integer everywhere so that sums over a batch are exact and a
// ledger total always equals the sum of its lines; floats never touch it.
type Fen int64

// abs returns the magnitude as uint64 so that math.MinInt64 does not overflow.
func (f Fen) abs() uint64 {
	if f < 0 {
		return uint64(-(f + 1)) + 1
	}
	return uint64(f)
}

// Yuan formats the amount for people: "12,500.00", "-1,409.50".
func (f Fen) Yuan() string {
	return f.format(true)
}

// Plain formats the amount without thousands separators, "12500.00", as bank
// payment files expect.
func (f Fen) Plain() string {
	return f.format(false)
}

func (f Fen) format(separators bool) string {
	u := f.abs()
	whole := strconv.FormatUint(u/100, 10)
	cents := u % 100
	var b strings.Builder
	b.Grow(len(whole) + len(whole)/3 + 5)
	if f < 0 {
		b.WriteByte('-')
	}
	for i := 0; i < len(whole); i++ {
		if separators && i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	b.WriteByte('.')
	b.WriteByte(byte('0' + cents/10))
	b.WriteByte(byte('0' + cents%10))
	return b.String()
}

// The parse errors are in Chinese because callers put them straight into the
// row errors of uploaded files.
var (
	errYuanSyntax = errors.New("金额格式不正确，应为最多两位小数的数字，如 1250.00")
	errYuanRange  = errors.New("金额超出范围")
)

// ParseYuan parses a yuan amount exactly by string arithmetic: "1409.5",
// "1,409.50", "¥1409.50", "-20", " 1409 ". Thousands separators must group by
// three; more than two decimals is an error rather than a rounding, because
// silently rounding money read from a file hides a wrong file.
func ParseYuan(s string) (Fen, error) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	for _, sign := range []string{"¥", "￥"} {
		if strings.HasPrefix(s, sign) {
			s = strings.TrimSpace(s[len(sign):])
			break
		}
	}
	if !neg && strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && (frac == "" || len(frac) > 2)) {
		return 0, errYuanSyntax
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return 0, errYuanSyntax
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, errYuanSyntax
			}
		}
		whole = strings.Join(groups, "")
	}
	if !yuanDigitsOnly(whole) || !yuanDigitsOnly(frac) {
		return 0, errYuanSyntax
	}
	for len(frac) < 2 {
		frac += "0"
	}
	whole = strings.TrimLeft(whole, "0")
	// Fen tops out at about 9.2e18: at most 17 digits of whole yuan.
	if len(whole) > 17 {
		return 0, errYuanRange
	}
	v, err := strconv.ParseUint(whole+frac, 10, 64)
	switch {
	case err != nil, !neg && v > math.MaxInt64, neg && v > -math.MinInt64:
		return 0, errYuanRange
	case neg:
		return Fen(-int64(v-1) - 1), nil
	}
	return Fen(v), nil
}

func yuanDigitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// capitalDigits and capitalUnits are the characters the People's Bank allows
// on vouchers (《支付结算办法》附件《正确填写票据和结算凭证的基本规定》).
var (
	capitalDigits = [10]string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}
	capitalUnits  = [4]string{"", "拾", "佰", "仟"}
)

// Capital writes the amount in 大写 as on a payment voucher, e.g.
// "人民币壹仟肆佰零玖元伍角".
//
// Where the voucher rules leave a choice we always take the same branch so
// the text is stable:
//   - tens are written with 壹: 10 → 壹拾, 100,010 → 壹拾万零壹拾;
//   - a run of zeros inside the integer part, including across 万 and 亿
//     groups, is one 零: 100,000,100 → 壹亿零壹佰;
//   - when the 元 digit is 0 and 角 is not, 零 is written after 元
//     (1680.32 → 壹仟陆佰捌拾元零叁角贰分, 100,000,000.10 → 壹亿元零壹角); the
//     rules allow omitting it, but writing it is what the rules' own examples
//     show first and leaves no gap anyone could fill in;
//   - when 角 is 0 and 分 is not, 零 after 元 is mandatory: 壹佰万元零壹分;
//   - 整 follows 元 only when there are neither 角 nor 分; nothing follows 角/分;
//   - below one yuan there is no 零元: 0.05 → 伍分; zero itself is 零元整;
//   - a negative amount reads 人民币负…, the sign right before the figure as
//     the minus sign stands in "¥-1,409.50".
func (f Fen) Capital() string {
	u := f.abs()
	yuan, jiao, fen := u/100, (u/10)%10, u%10
	var b strings.Builder
	b.WriteString("人民币")
	if f < 0 {
		b.WriteString("负")
	}
	if yuan == 0 {
		if jiao == 0 && fen == 0 {
			b.WriteString("零元整")
			return b.String()
		}
		if jiao > 0 {
			b.WriteString(capitalDigits[jiao] + "角")
		}
		if fen > 0 {
			b.WriteString(capitalDigits[fen] + "分")
		}
		return b.String()
	}
	writeCapitalInteger(&b, yuan)
	b.WriteString("元")
	switch {
	case jiao == 0 && fen == 0:
		b.WriteString("整")
		return b.String()
	case jiao == 0:
		b.WriteString("零")
	case yuan%10 == 0:
		b.WriteString("零")
	}
	if jiao > 0 {
		b.WriteString(capitalDigits[jiao] + "角")
	}
	if fen > 0 {
		b.WriteString(capitalDigits[fen] + "分")
	}
	return b.String()
}

// writeCapitalInteger writes n > 0 by splitting off 亿 and then 万 groups; a
// lower part whose leading digit is missing gets the single 零 that stands
// for the zeros between the groups.
func writeCapitalInteger(b *strings.Builder, n uint64) {
	switch {
	case n >= 1_0000_0000:
		writeCapitalInteger(b, n/1_0000_0000)
		b.WriteString("亿")
		if lo := n % 1_0000_0000; lo > 0 {
			if lo < 1000_0000 {
				b.WriteString("零")
			}
			writeCapitalInteger(b, lo)
		}
	case n >= 1_0000:
		writeCapitalGroup(b, n/1_0000)
		b.WriteString("万")
		if lo := n % 1_0000; lo > 0 {
			if lo < 1000 {
				b.WriteString("零")
			}
			writeCapitalGroup(b, lo)
		}
	default:
		writeCapitalGroup(b, n)
	}
}

// writeCapitalGroup writes 1 ≤ n ≤ 9999 with one 零 for each run of inner
// zeros and none for trailing zeros.
func writeCapitalGroup(b *strings.Builder, n uint64) {
	digits := [4]uint64{n / 1000, n / 100 % 10, n / 10 % 10, n % 10}
	started, zero := false, false
	for i, d := range digits {
		if d == 0 {
			zero = started
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(capitalDigits[d])
		b.WriteString(capitalUnits[3-i])
		started = true
	}
}
