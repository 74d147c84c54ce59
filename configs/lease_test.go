package configs

import (
	"testing"
	"time"
)

// TestJobLeaseTTL: two minutes unless set; a lease renewed every third of a
// too short TTL would be lost between renewals, so that is refused.
func TestJobLeaseTTL(t *testing.T) {
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if k == "STUDENTAID_JOBS_LEASE_TTL" && v != "" {
				return v, true
			}
			return "", false
		}
	}
	c, err := Load("", env(""))
	if err != nil || c.Jobs.LeaseTTL != 2*time.Minute {
		t.Fatalf("default: %v %v", c, err)
	}
	if c, err = Load("", env("20s")); err != nil || c.Jobs.LeaseTTL != 20*time.Second {
		t.Fatalf("20s: %v", err)
	}
	if _, err = Load("", env("1s")); err == nil {
		t.Fatal("a 1s lease was accepted")
	}
}
