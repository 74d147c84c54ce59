// Command genroster writes a realistic roster workbook for tests, demos and
// load tests:
//
//	go run ./scripts/genroster -rows 100000 -school 1430903001 -type primary -year 2025-2026 -errors 0.02 -seed 1 -out roster.xlsx
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"studentaid/scripts/genroster/gen"
)

func main() {
	var opt gen.Options
	flag.IntVar(&opt.Rows, "rows", 1000, "number of students")
	flag.StringVar(&opt.SchoolCode, "school", "1430903001", "10-digit school code written on every row")
	flag.StringVar(&opt.SchoolType, "type", "primary", "school type: primary|junior|nine_year|senior|complete_secondary|vocational")
	flag.StringVar(&opt.SchoolYear, "year", "2025-2026", "school year the grades and ages are for")
	flag.Float64Var(&opt.ErrorRate, "errors", 0, "share of rows (0–1) given a typical mistake")
	flag.Uint64Var(&opt.Seed, "seed", 1, "random seed: the same seed writes the same students")
	out := flag.String("out", "-", "output .xlsx file, - for standard output")
	flag.Parse()

	if err := run(opt, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genroster:", err)
		os.Exit(1)
	}
}

func run(opt gen.Options, out string) (err error) {
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := gen.Write(bw, opt); err != nil {
		return err
	}
	return bw.Flush()
}
