package service

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The password rules of API.md (POST /auth/password): at least 10
// characters, not one repeated character or a short pattern repeated, not a
// simple or keyboard sequence, not containing the username, and not one of
// the commonest passwords (with digits or symbols around it).

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 6000)
	for _, l := range strings.Split(commonPasswordsText, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[l] = true
		}
	}
	return m
})

// keyboardRuns are sequences people type without thinking; a password that
// is a piece of one (or of one reversed) is refused.
var keyboardRuns = []string{
	"qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertyuiopasdfghjklzxcvbnm",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp", "1q2w3e4r5t6y7u8i9o0p",
	"q1w2e3r4t5y6u7i8o9p0", "!@#$%^&*()",
}

func weakPassword(format string, args ...any) *Error {
	return newErr(CodeInvalid, "weak_password", format, args...)
}

// checkPassword says why a password is too weak for the user, or nil.
func checkPassword(username, p string) error {
	runes := []rune(strings.ToLower(p))
	switch {
	case utf8.RuneCountInString(p) < 10:
		return weakPassword("密码至少需要 10 个字符")
	case len(p) > 72:
		return weakPassword("密码不能超过 72 个字节")
	case repeatsShortPattern(runes):
		return weakPassword("密码不能由同一个字符或几个字符反复组成")
	case isSequence(runes):
		return weakPassword("密码不能是连续的数字、字母或键盘上相邻的键")
	case isUsernameVariant(string(runes), strings.ToLower(username)):
		return weakPassword("密码不能是用户名或用户名加几个字符")
	case isCommon(string(runes)):
		return weakPassword("这是常见密码，很容易被猜中，请换一个")
	}
	return nil
}

// isUsernameVariant: the username itself, reversed, or with fewer than six
// other characters around it ("county_anhua2026").
func isUsernameVariant(lower, username string) bool {
	if username == "" {
		return false
	}
	if lower == username || lower == reverse(username) {
		return true
	}
	rest := strings.ReplaceAll(lower, username, "")
	return rest != lower && utf8.RuneCountInString(rest) < 6
}

// repeatsShortPattern: "aaaaaaaaaa", "ababababab", "abcabcabca".
func repeatsShortPattern(r []rune) bool {
	for period := 1; period <= 4 && period < len(r); period++ {
		same := true
		for i := period; i < len(r) && same; i++ {
			same = r[i] == r[i-period]
		}
		if same {
			return true
		}
	}
	return false
}

// isSequence: every step +1 or every step −1 ("1234567890" wraps 9→0,
// "abcdefghij", "9876543210"), or a piece of a keyboard run.
func isSequence(r []rune) bool {
	step := func(a, b rune) int {
		d := int(b - a)
		if unicode.IsDigit(a) && unicode.IsDigit(b) {
			if d = (d + 10) % 10; d == 9 {
				d = -1
			}
		}
		return d
	}
	up, down := true, true
	for i := 1; i < len(r); i++ {
		d := step(r[i-1], r[i])
		up = up && d == 1
		down = down && d == -1
	}
	if up || down {
		return true
	}
	s := string(r)
	for _, k := range keyboardRuns {
		if strings.Contains(k, s) || strings.Contains(reverse(k), s) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// isCommon: the password, or its core without leading and trailing digits
// and symbols ("password2026!", "1qaz2wsx..."), is on the shipped list.
func isCommon(lower string) bool {
	list := commonPasswords()
	if list[lower] {
		return true
	}
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	core := strings.TrimRightFunc(lower, notLetter)
	if utf8.RuneCountInString(core) >= 6 && list[core] {
		return true
	}
	core = strings.TrimLeftFunc(core, notLetter)
	return utf8.RuneCountInString(core) >= 6 && list[core]
}
