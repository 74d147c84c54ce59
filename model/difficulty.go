package model

// Difficulty levels of 家庭经济困难认定 (教财〔2018〕16号).
const (
	LevelSpecial = "special" // 特别困难
	LevelHard    = "hard"    // 困难
	LevelGeneral = "general" // 一般困难
)

// LevelLabel is the level as officers write it.
func LevelLabel(level string) string {
	switch level {
	case LevelSpecial:
		return "特别困难"
	case LevelHard:
		return "困难"
	case LevelGeneral:
		return "一般困难"
	}
	return ""
}

// MaskPhone keeps the first three and last four digits of a phone number.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return p
	}
	return p[:3] + "****" + p[len(p)-4:]
}

// ParseLevel reads a level as officers write it (特别困难) or as the API
// names it (special); ok is false for anything else.
func ParseLevel(s string) (level string, ok bool) {
	for _, l := range []string{LevelSpecial, LevelHard, LevelGeneral} {
		if s == l || s == LevelLabel(l) {
			return l, true
		}
	}
	return "", false
}
