// Command genloans writes a realistic 生源地信用助学贷款 application workbook
// (the template's columns) for tests, demos and the bench:
//
//	go run ./scripts/genloans -rows 100000 -region 430921 -year 2025-2026 -seed 1 -out loans.xlsx
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"studentaid/scripts/genloans/gen"
)

func main() {
	var opt gen.Options
	flag.IntVar(&opt.Rows, "rows", 1000, "number of applications")
	flag.StringVar(&opt.Region, "region", "430921", "county of household registration (GB/T 2260)")
	flag.StringVar(&opt.SchoolYear, "year", "2025-2026", "school year of the applications")
	flag.Uint64Var(&opt.Seed, "seed", 1, "random seed: the same seed writes the same applications")
	out := flag.String("out", "loans.xlsx", "output .xlsx file")
	flag.Parse()
	if err := run(opt, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genloans:", err)
		os.Exit(1)
	}
}

func run(opt gen.Options, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := gen.Write(w, opt); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
