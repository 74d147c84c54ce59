package model_test

import (
	"strings"
	"testing"

	"studentaid/model"
)

func TestParseBankAccount(t *testing.T) {
	tests := []struct {
		raw, want, reason string
	}{
		{"6217002920101234567", "6217002920101234567", ""},
		{"6217 0029 2010 1234 567", "6217002920101234567", ""},
		{"6228-4800-1234-5678-901", "6228480012345678901", ""},
		{"６２３０５２０１２３４５６７８９０１２", "6230520123456789012", ""},
		{" 6217002920101234567\u3000", "6217002920101234567", ""},
		{"123456789012", "123456789012", ""},
		{strings.Repeat("1", 30), strings.Repeat("1", 30), ""},
		{"", "", "不能为空"},
		{"6.217E+18", "", "设置为“文本”格式"},
		{"6.21700292010123E+18", "", "设置为“文本”格式"},
		{"12345678901", "", "12–30位"},
		{strings.Repeat("1", 31), "", "12–30位"},
		{"6217A02920101234567", "", "只能包含数字"},
	}
	for _, tt := range tests {
		got, err := model.ParseBankAccount(tt.raw)
		if tt.reason != "" {
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("ParseBankAccount(%q) = %q, %v; want error containing %q", tt.raw, got, err, tt.reason)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBankAccount(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
}

func TestMaskBankAccount(t *testing.T) {
	tests := map[string]string{
		"6217002920101234":               "6217 **** **** 1234",
		"6217002920101231234":            "6217 **** **** 1234",
		"123456789012":                   "1234 **** **** 9012",
		"622848001234567890123456789012": "6228 **** **** 9012",
		"":                               "",
		"12345678":                       "**** **** ****",
	}
	for in, want := range tests {
		if got := model.MaskBankAccount(in); got != want {
			t.Errorf("MaskBankAccount(%q) = %q, want %q", in, got, want)
		}
	}
}
