package sim

import (
	"flag"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"studentaid/service/servicetest"
)

var (
	steps      = flag.Int("sim.steps", 300, "events per simulated run")
	seed       = flag.Uint64("sim.seed", 0, "seed of the run (0: a fixed default; the failing seed is printed)")
	shrinkTime = flag.Duration("sim.shrink", 2*time.Minute, "how long a failure may be shrunk")
)

var plays int

// sim is one run: the service, the oracle, and what the run needs to remember.
type sim struct {
	w       *world
	o       *oracle
	results []resultFile
	seq     int
}

// play runs the events on a fresh service; it returns the index of the
// event after which an invariant broke, and why (-1 when all held).
func play(t *testing.T, driver string, events []event) (at int, why string) {
	at = -1
	// Every run gets its own name, so each failure's log reads on its own.
	plays++
	t.Run(fmt.Sprintf("play%d_%d", plays, len(events)), func(t *testing.T) {
		sm := &sim{w: newWorld(t, driver), o: newOracle()}
		at, why = sm.play(events)
	})
	return at, why
}

func (sm *sim) play(events []event) (at int, why string) {
	i := -1
	defer func() {
		if r := recover(); r != nil {
			at = max(i, 0)
			if f, ok := r.(simFailure); ok {
				why = f.msg
			} else {
				why = fmt.Sprintf("panic: %v\n%s", r, debug.Stack())
			}
		}
	}()
	for i = range events {
		sm.run(events[i])
		sm.check()
		if i%50 == 49 {
			sm.checkAudit()
		}
	}
	sm.checkAudit()
	return -1, ""
}

// TestSim plays -sim.steps random events on every database; a failure is
// shrunk to the shortest list of events that still fails, and printed.
func TestSim(t *testing.T) {
	s := *seed
	if s == 0 {
		s = 20251215
	}
	events := generate(s, *steps)
	for _, d := range servicetest.Drivers(t) {
		t.Run(d, func(t *testing.T) {
			at, why := play(t, d, events)
			if at < 0 {
				return
			}
			short := shrink(t, d, events[:at+1], time.Now().Add(*shrinkTime))
			var b strings.Builder
			for i, e := range short {
				fmt.Fprintf(&b, "  %3d %s\n", i, e)
			}
			_, shortWhy := play(t, d, short)
			t.Fatalf("seed %d: step %d: %s\nshortest failing run (%d events): %s\n%s", s, at, why, len(short), shortWhy, b.String())
		})
	}
}

// shrink removes chunks of events, then single events, as long as the run
// still fails, until the deadline.
func shrink(t *testing.T, driver string, events []event, deadline time.Time) []event {
	for chunk := len(events) / 2; chunk >= 1 && time.Now().Before(deadline); chunk /= 2 {
		for start := 0; start < len(events) && time.Now().Before(deadline); {
			try := append(append([]event{}, events[:start]...), events[min(start+chunk, len(events)):]...)
			if len(try) == 0 {
				break
			}
			if at, _ := play(t, driver, try); at >= 0 {
				events = try[:at+1]
				continue
			}
			start += chunk
		}
	}
	return events
}
