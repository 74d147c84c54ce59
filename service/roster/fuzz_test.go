package roster_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"studentaid/service/roster"
)

// FuzzParse feeds Parse arbitrary bytes: whatever is uploaded, it answers
// with a result or a *FileError, and never panics.
func FuzzParse(f *testing.F) {
	f.Add(book{headers: primaryHeaders, rows: []map[string]any{validRow()}}.build(f))
	f.Add([]byte("姓名,身份证件号\n张三,430903201503151230\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := countyOpts()
		opt.MaxRows = 500
		opt.MaxUnzipSize = 64 << 20
		res, err := roster.Parse(bytes.NewReader(data), int64(len(data)), opt)
		if err != nil {
			var fe *roster.FileError
			if !errors.As(err, &fe) || fe.Message == "" || fe.Status < 400 {
				t.Fatalf("error %v (%T) is not a *FileError with a message", err, err)
			}
			return
		}
		if len(res.Rows)+len(res.Failed) != res.Total {
			t.Fatalf("%d valid + %d failed rows != total %d", len(res.Rows), len(res.Failed), res.Total)
		}
		n := 0
		for _, fr := range res.Failed {
			if len(fr.Errors) == 0 {
				t.Fatalf("failed row %d has no error", fr.Row)
			}
			n += len(fr.Errors)
		}
		if n != len(res.Errors) {
			t.Fatalf("%d errors in failed rows, %d in Errors", n, len(res.Errors))
		}
		if err := roster.WriteErrorWorkbook(io.Discard, res.Headers, res.Failed); err != nil {
			t.Fatalf("WriteErrorWorkbook: %v", err)
		}
	})
}
