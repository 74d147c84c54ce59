package model_test

import (
	"strings"
	"testing"

	"studentaid/model"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		raw, want, reason string
	}{
		{"13812345678", "13812345678", ""},
		{"138 1234 5678", "13812345678", ""},
		{"１３８１２３４５６７８", "13812345678", ""},
		{"+86 138 1234 5678", "13812345678", ""},
		{"0737-1234567", "0737-1234567", ""},
		{"0737－12345678", "0737-12345678", ""},
		{"010-12345678", "010-12345678", ""},
		{"(0737)1234567", "0737-1234567", ""},
		{"07371234567", "07371234567", ""},
		{"", "", "不能为空"},
		{"1381234567", "", "11位手机号"},
		{"138123456789", "", "11位手机号"},
		{"12812345678", "", "第2位"},
		{"0737-123456", "", "11位手机号"},
		{"0737-123456789", "", "11位手机号"},
		{"1234567", "", "11位手机号"},
		{"0037-1234567", "", "11位手机号"},
		{"1.38123E+10", "", "设置为“文本”格式"},
		{"13812345678转2", "", "11位手机号"},
	}
	for _, tt := range tests {
		got, err := model.ParsePhone(tt.raw)
		if tt.reason != "" {
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("ParsePhone(%q) = %q, %v; want error containing %q", tt.raw, got, err, tt.reason)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
}
