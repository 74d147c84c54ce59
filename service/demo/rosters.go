package demo

import (
	"bytes"
	"context"
	"fmt"

	"studentaid/scripts/genroster/gen"
	"studentaid/service"
)

// roster is one school's 花名册 for the term's school year, by its officer.
type roster struct {
	officer string
	opt     gen.Options
}

// rosters are the demo schools' students: about 370 with a county's mix
// (the generator's boarders, levels, categories, 涉农 majors and home
// counties), two pupils who moved from 南洲 to 茅草街 during the year, and
// a few who left.
func rosters(year string) []roster {
	nanzhou := gen.Options{Rows: 70, SchoolCode: "2143092101", SchoolType: "primary", SchoolYear: year, Seed: 101, Home: "430921",
		Statuses: map[int]string{5: "转出", 11: "转出", 23: "辍学"}}
	return []roster{
		{"school_nanzhou", nanzhou},
		{"school_maocaojie", gen.Options{Rows: 70, SchoolCode: "2143092102", SchoolType: "nine_year", SchoolYear: year, Seed: 102,
			Home: "430921", TransfersIn: &gen.Transfer{From: nanzhou, Rows: []int{5, 11}}}},
		{"school_yizhong", gen.Options{Rows: 50, SchoolCode: "2143092103", SchoolType: "senior", SchoolYear: year, Seed: 103,
			Home: "430921", Statuses: map[int]string{7: "休学"}}},
		{"school_zhizhuan", gen.Options{Rows: 50, SchoolCode: "2143092104", SchoolType: "vocational", SchoolYear: year, Seed: 104,
			Home: "430921", Statuses: map[int]string{9: "辍学"}}},
		{"school_dongping", gen.Options{Rows: 50, SchoolCode: "2143092301", SchoolType: "primary", SchoolYear: year, Seed: 201, Home: "430923"}},
		{"school_meicheng", gen.Options{Rows: 40, SchoolCode: "2143092302", SchoolType: "junior", SchoolYear: year, Seed: 202, Home: "430923"}},
		{"school_anhuazhizhuan", gen.Options{Rows: 40, SchoolCode: "2143092303", SchoolType: "vocational", SchoolYear: year, Seed: 203,
			Home: "430923"}},
	}
}

// uploadRosters has each school officer upload their school's roster.
func (d *player) uploadRosters(ctx context.Context) error {
	year := d.term.SchoolYear()
	for _, r := range rosters(year) {
		var buf bytes.Buffer
		if err := gen.Write(&buf, r.opt); err != nil {
			return err
		}
		a := d.who[r.officer]
		rep, err := d.svc.Students.ImportRoster(ctx, a, service.RosterUpload{Filename: "花名册-" + year + ".xlsx",
			File: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len()), SchoolYear: year, SchoolID: a.SchoolID,
			Mode: service.ModeAllOrNothing})
		if err != nil {
			return fmt.Errorf("%s roster: %w", r.officer, err)
		}
		if rep.Status != service.ImportDone {
			return fmt.Errorf("%s roster: %s", r.officer, rep.Status)
		}
	}
	return nil
}

// programsOf are the programs a school's officer calculates.
func programsOf(officer string) []string {
	switch officer {
	case "school_yizhong":
		return []string{"senior_grant"}
	case "school_zhizhuan", "school_anhuazhizhuan":
		return []string{"vocational_grant"}
	}
	return []string{"boarding", "nonboarding"}
}
