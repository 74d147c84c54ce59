package jobs

import (
	"fmt"
	"strconv"
	"strings"
)

// ScheduleWords writes a job's cron schedule the way an officer says it
// (每年4月10日、10月10日 03:00) rather than as cron text, for the page. A
// schedule it cannot put in words is shown as it is, after 自定义计划.
func ScheduleWords(spec string) string {
	if strings.TrimSpace(spec) == "" {
		return "不定时运行，仅手动"
	}
	f := strings.Fields(spec)
	if len(f) != 5 {
		return "自定义计划：" + spec
	}
	minute, err1 := strconv.Atoi(f[0])
	hour, err2 := strconv.Atoi(f[1])
	days, okDays := numbers(f[2], 1, 31)
	months, okMonths := numbers(f[3], 1, 12)
	weekdays, okWeek := numbers(f[4], 0, 7)
	if err1 != nil || err2 != nil || minute < 0 || minute > 59 || hour < 0 || hour > 23 {
		return "自定义计划：" + spec
	}
	at := fmt.Sprintf("%02d:%02d", hour, minute)
	switch {
	case f[2] == "*" && f[3] == "*" && f[4] == "*":
		return "每天 " + at
	case okDays && okMonths && f[4] == "*":
		var dates []string
		for _, m := range months {
			for _, d := range days {
				dates = append(dates, fmt.Sprintf("%d月%d日", m, d))
			}
		}
		return "每年" + strings.Join(dates, "、") + " " + at
	case okDays && f[3] == "*" && f[4] == "*":
		return "每月" + joinNumbers(days, "日") + " " + at
	case okWeek && f[2] == "*" && f[3] == "*":
		names := make([]string, len(weekdays))
		for i, d := range weekdays {
			names[i] = "周" + string([]rune("日一二三四五六日")[d])
		}
		return "每" + strings.Join(names, "、") + " " + at
	}
	return "自定义计划：" + spec
}

// numbers reads a comma list of plain numbers within [lo, hi].
func numbers(field string, lo, hi int) ([]int, bool) {
	var out []int
	for _, p := range strings.Split(field, ",") {
		n, err := strconv.Atoi(p)
		if err != nil || n < lo || n > hi {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

func joinNumbers(ns []int, after string) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n) + after
	}
	return strings.Join(parts, "、")
}
