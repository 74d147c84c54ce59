package configs_test

import (
	"strings"
	"testing"

	"studentaid/configs"
)

// POLICY: a notice lasts at least 5 working days; fewer (0 included) only
// with the explicit trial setting.
func TestNoticeWorkingDaysBelowMinimumNeedTrial(t *testing.T) {
	for _, days := range []string{"0", "1", "4"} {
		env := map[string]string{"STUDENTAID_NOTICE_WORKING_DAYS": days}
		lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		if _, err := configs.Load("", lookup); err == nil || !strings.Contains(err.Error(), "notice.working_days") {
			t.Fatalf("working_days %s without trial: got %v, want refusal", days, err)
		}
		env["STUDENTAID_NOTICE_TRIAL"] = "true"
		c, err := configs.Load("", lookup)
		if err != nil || !c.ShortNotice() {
			t.Fatalf("working_days %s as a trial: %v (short %v)", days, err, c != nil && c.ShortNotice())
		}
	}
	c, err := configs.Load("", func(string) (string, bool) { return "", false })
	if err != nil || c.Notice.WorkingDays != 5 || c.ShortNotice() {
		t.Fatalf("default: %v %+v", err, c)
	}
}
