package gen

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func startOfSeptember(year int) time.Time {
	return time.Date(year, time.September, 1, 0, 0, 0, 0, time.UTC)
}

func firstYear(schoolYear string) (int, error) {
	a, b, ok := strings.Cut(schoolYear, "-")
	y1, err1 := strconv.Atoi(a)
	y2, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || y2 != y1+1 || y1 < 2000 {
		return 0, fmt.Errorf("gen: school year %q should look like 2025-2026", schoolYear)
	}
	return y1, nil
}
