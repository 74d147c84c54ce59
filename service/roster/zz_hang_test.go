package roster_test

import (
	"bytes"
	"math/rand"
	"os"
	"testing"
	"time"
	"runtime"
)

func TestFindHang(t *testing.T) {
	seed := book{headers: primaryHeaders, rows: []map[string]any{validRow()}}.build(t)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		data := bytes.Clone(seed)
		for k := 0; k < 1+rng.Intn(4); k++ {
			data[rng.Intn(len(data))] = byte(rng.Intn(256))
		}
		done := make(chan bool)
		go func() {
			opt := countyOpts()
			opt.MaxRows = 500
			opt.MaxUnzipSize = 64 << 20
			parse(t, data, opt)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			os.WriteFile("/tmp/hang.xlsx", data, 0o644)
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			os.WriteFile("/tmp/hang.stack", buf[:n], 0o644)
			t.Fatalf("hang at %d", i)
		}
	}
}
