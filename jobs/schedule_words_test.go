package jobs

import "testing"

func TestScheduleWords(t *testing.T) {
	for spec, want := range map[string]string{
		"0 3 10 4,10 *": "每年4月10日、10月10日 03:00",
		"0 2 * * *":     "每天 02:00",
		"30 8 1,15 * *": "每月1日、15日 08:30",
		"0 9 * * 1,5":   "每周一、周五 09:00",
		"":              "不定时运行，仅手动",
		"*/5 * * * *":   "自定义计划：*/5 * * * *",
		"0 3 1-5 * *":   "自定义计划：0 3 1-5 * *",
		"0 25 * * *":    "自定义计划：0 25 * * *",
	} {
		if got := ScheduleWords(spec); got != want {
			t.Errorf("ScheduleWords(%q) = %q, want %q", spec, got, want)
		}
	}
}
