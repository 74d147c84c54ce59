package service

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// An unknown name must cost what a real one costs (issue 15 item 2): the
// dummy hash is made at the configured cost, never at bcrypt.MinCost.
func TestDummyHashHasTheConfiguredCost(t *testing.T) {
	for _, cost := range []int{bcrypt.MinCost, 10} {
		if got, err := bcrypt.Cost(dummyHash(cost)); err != nil || got != cost {
			t.Fatalf("dummy hash cost %d, want %d (%v)", got, cost, err)
		}
	}
}

// API.md's password rules, each with the reason it gives.
func TestPasswordRules(t *testing.T) {
	weak := map[string]string{
		"short1!":           "10 个字符",
		"aaaaaaaaaa":        "反复",
		"abababababab":      "反复",
		"1234567890":        "连续",
		"0987654321":        "连续",
		"7890123456":        "连续",
		"abcdefghijk":       "连续",
		"qwertyuiop":        "连续",
		"1qaz2wsx3edc":      "连续",
		"county_anhua-2026": "用户名",
		"auhna_ytnuoc":      "用户名",
		"password123":       "常见",
		"Password2026!":     "常见",
		"iloveyou12":        "常见",
		"woaini1314":        "常见",
	}
	for p, why := range weak {
		err := checkPassword("county_anhua", p)
		var se *Error
		if !errors.As(err, &se) || se.Reason != "weak_password" || !strings.Contains(se.Message, why) {
			t.Errorf("%q: %v, want weak_password about %s", p, err, why)
		}
	}
	for _, p := range []string{"demo-password-2026", "Tu3-lake-Morning-7", "湖南益阳安化黑茶2026"} {
		if err := checkPassword("county_anhua", p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
	if n := len(commonPasswords()); n < 3000 {
		t.Fatalf("only %d common passwords shipped", n)
	}
}
