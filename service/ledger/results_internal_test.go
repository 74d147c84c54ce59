package ledger

import (
	"strings"
	"testing"

	"studentaid/model"
)

// FuzzParseResultAmount holds the amount reader to two promises: whatever it
// accepts is a positive whole number of fen, and text it accepts means
// exactly what ParseYuan says it means.
func FuzzParseResultAmount(f *testing.F) {
	for _, s := range []string{"1250", "1250.5", "¥1,250.00", "625.4999999999999", "1e3", "1e999999999", "0.01", "-5", "12元"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, numberCell bool) {
		got, msg := parseResultAmount(s, numberCell)
		if msg != "" {
			if got != 0 {
				t.Fatalf("%q: error %q with amount %d", s, msg, got)
			}
			return
		}
		if got <= 0 {
			t.Fatalf("%q accepted as %d", s, got)
		}
		if exact, err := model.ParseYuan(strings.TrimSuffix(s, "元")); err == nil && exact != got {
			t.Fatalf("%q read as %d, ParseYuan says %d", s, got, exact)
		}
		if !numberCell {
			if _, err := model.ParseYuan(strings.TrimSuffix(s, "元")); err != nil {
				t.Fatalf("text %q accepted without ParseYuan", s)
			}
		}
	})
}

func TestParseNumberCellYuan(t *testing.T) {
	tests := []struct {
		raw  string
		want model.Fen
		ok   bool
	}{
		{"1250", 125000, true},
		{"625.5", 62550, true},
		{"625.49999999999989", 62550, true},
		{"0.30000000000000004", 30, true},
		{"1.25E3", 125000, true},
		{"1.25e-1", 0, false}, // 12.5 fen is not a whole fen
		{"625.499", 0, false},
		{"1e999999999", 0, false},
		{"abc", 0, false},
	}
	for _, tt := range tests {
		got, err := parseNumberCellYuan(tt.raw)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseNumberCellYuan(%q) = %d, %v; want %d ok=%v", tt.raw, got, err, tt.want, tt.ok)
		}
	}
}
