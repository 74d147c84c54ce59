package service

import (
	"strings"
	"testing"
	"time"

	"studentaid/configs"
	"studentaid/model"
)

func yes() *bool  { b := true; return &b }
func nope() *bool { b := false; return &b }

func TestJudge(t *testing.T) {
	contiguous := func(c string) bool { return c == "430923" }
	base := candidate{Status: "在读", IDType: string(model.IDTypeResident), IDMasked: "430921********1234"}
	with := func(f func(*candidate)) candidate { c := base; f(&c); return c }
	cases := []struct {
		name, program, term string
		c                   candidate
		rule, reason, level string
	}{
		{"boarder identified", "boarding", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Boarding, c.Level = "primary", yes(), "general" }), "寄宿生·一般困难", "", ""},
		{"boarder not identified", "boarding", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Boarding = "junior", yes() }), "", "未认定", ""},
		{"day pupil for boarding", "boarding", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Boarding, c.Level = "primary", nope(), "hard" }), "", "非寄宿生", ""},
		{"boarding unknown", "boarding", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Level = "primary", "hard" }), "", "未填写是否寄宿", ""},
		{"senior for boarding", "boarding", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Boarding, c.Level = "senior", yes(), "hard" }), "", "不是义务教育", ""},
		{"dropped out", "boarding", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Boarding, c.Level, c.Status = "primary", yes(), "hard", "辍学" }), "", "学籍状态为辍学", ""},
		{"graduated", "senior_grant", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Level, c.Status = "senior", "hard", "毕业" }), "", "学籍状态为毕业", ""},
		{"nonboarding 低保", "nonboarding", "2025-2026-1", with(func(c *candidate) {
			c.Stage, c.Boarding, c.Level, c.Categories = "primary", nope(), "hard", "农村低保"
		}), "非寄宿生·农村低保", "", ""},
		{"nonboarding 残疾", "nonboarding", "2025-2026-1", with(func(c *candidate) {
			c.Stage, c.Boarding, c.Level, c.Categories = "junior", nope(), "general", "孤儿、残疾"
		}), "非寄宿生·残疾", "", ""},
		{"nonboarding 城镇低保", "nonboarding", "2025-2026-1", with(func(c *candidate) {
			c.Stage, c.Boarding, c.Level, c.Categories = "primary", nope(), "hard", "城镇低保"
		}), "", "困难类型不属于", ""},
		{"nonboarding boarder", "nonboarding", "2025-2026-1", with(func(c *candidate) {
			c.Stage, c.Boarding, c.Level, c.Categories = "primary", yes(), "hard", "农村低保"
		}), "", "寄宿生", ""},
		{"nonboarding no record", "nonboarding", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Boarding, c.Categories = "primary", nope(), "农村低保" }), "", "未认定", ""},
		{"vocational identified", "vocational_grant", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Grade, c.StudentNo, c.Level = "vocational", 1, "G1", "special" }), "家庭经济困难·特别困难", "", "special"},
		{"vocational agri", "vocational_grant", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Grade, c.StudentNo, c.AgriMajor = "vocational", 2, "G1", true }), "涉农专业", "", ""},
		{"vocational 连片 rural by ID", "vocational_grant", "2025-2026-1", with(func(c *candidate) {
			c.Stage, c.Grade, c.StudentNo, c.Household, c.IDMasked = "vocational", 1, "G1", "农村", "430923********1234"
		}), "连片特困地区农村户籍", "", ""},
		{"vocational 连片 rural by 户籍地区码", "vocational_grant", "2025-2026-1", with(func(c *candidate) {
			c.Stage, c.Grade, c.StudentNo, c.Household, c.HomeRegion = "vocational", 1, "G1", "农村", "430923"
		}), "连片特困地区农村户籍", "", ""},
		{"vocational 连片 urban", "vocational_grant", "2025-2026-1", with(func(c *candidate) {
			c.Stage, c.Grade, c.StudentNo, c.Household, c.HomeRegion = "vocational", 1, "G1", "城镇", "430923"
		}), "", "未认定家庭经济困难", ""},
		{"vocational rural elsewhere", "vocational_grant", "2025-2026-1", with(func(c *candidate) {
			c.Stage, c.Grade, c.StudentNo, c.Household = "vocational", 1, "G1", "农村"
		}), "", "未认定家庭经济困难", ""},
		{"vocational no 学籍号", "vocational_grant", "2025-2026-1", with(func(c *candidate) { c.Stage, c.Grade, c.Level = "vocational", 1, "hard" }), "", "无学籍号", ""},
		{"vocational grade 3 before 2025", "vocational_grant", "2024-2025-1", with(func(c *candidate) { c.Stage, c.Grade, c.StudentNo, c.Level = "vocational", 3, "G1", "hard" }), "", "三年级", ""},
		{"vocational grade 3 spring 2025", "vocational_grant", "2024-2025-2", with(func(c *candidate) { c.Stage, c.Grade, c.StudentNo, c.Level = "vocational", 3, "G1", "hard" }), "家庭经济困难·困难", "", "hard"},
		{"senior identified", "senior_grant", "2025-2026-2", with(func(c *candidate) { c.Stage, c.Grade, c.Level = "senior", 11, "hard" }), "家庭经济困难·困难", "", "hard"},
		{"senior not identified", "senior_grant", "2025-2026-2", with(func(c *candidate) { c.Stage, c.Grade = "senior", 11 }), "", "未认定", ""},
		{"junior for senior grant", "senior_grant", "2025-2026-2", with(func(c *candidate) { c.Stage, c.Grade, c.Level = "junior", 8, "hard" }), "", "不是普通高中", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := judge(c.program, model.Term(c.term), c.c, contiguous)
			if c.rule != "" && (!v.eligible || v.rule != c.rule || v.level != c.level) {
				t.Fatalf("want eligible by %q (level %q), got %+v", c.rule, c.level, v)
			}
			if c.reason != "" && (v.eligible || !strings.Contains(v.reason, c.reason)) {
				t.Fatalf("want ineligible with %q, got %+v", c.reason, v)
			}
		})
	}
}

// The shipped standards give POLICY.md's amounts, term by term, including the
// 2024 raise of the living subsidy and the 2025 raise of the grants.
func TestShippedStandardsByTerm(t *testing.T) {
	seeds, err := configs.Standards()
	if err != nil {
		t.Fatal(err)
	}
	var set standardSet
	for i, sd := range seeds {
		from, _ := time.Parse("2006-01-02", sd.From)
		set = append(set, model.Standard{ID: int64(i + 1), Program: sd.Program, Stage: sd.Stage, Level: sd.Level,
			AnnualFen: model.Fen(sd.AnnualYuan * 100), EffectiveFrom: from})
	}
	// A county's own tiers from a date (南县 raises 特别困难 vocational to 3600).
	set = append(set, model.Standard{ID: 999, Program: "vocational_grant", Stage: "vocational", Level: "special",
		RegionCode: "430921", AnnualFen: 360000, EffectiveFrom: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)})
	cases := []struct {
		program, stage, level, region, term string
		termFen                             model.Fen
	}{
		{"boarding", "primary", "", "430921", "2023-2024-1", 50000},
		{"boarding", "junior", "", "430921", "2023-2024-1", 62500},
		{"boarding", "primary", "", "430921", "2023-2024-2", 62500}, // 2024-01-01 raise: spring 2024 starts 2024-02-01
		{"boarding", "junior", "", "430921", "2024-2025-1", 75000},
		{"nonboarding", "primary", "", "430921", "2023-2024-1", 25000},
		{"nonboarding", "junior", "", "430921", "2025-2026-1", 37500},
		{"vocational_grant", "vocational", "", "430921", "2012-2013-1", 75000},
		{"vocational_grant", "vocational", "special", "430921", "2012-2013-1", 75000}, // no tiers yet: base row
		{"vocational_grant", "vocational", "special", "430921", "2024-2025-1", 150000},
		{"vocational_grant", "vocational", "hard", "430921", "2024-2025-1", 100000},
		{"vocational_grant", "vocational", "general", "430921", "2024-2025-1", 50000},
		{"vocational_grant", "vocational", "", "430921", "2024-2025-1", 100000},
		{"vocational_grant", "vocational", "special", "430922", "2024-2025-2", 165000}, // 2025-01-01 raise
		{"vocational_grant", "vocational", "general", "430922", "2024-2025-2", 65000},
		{"vocational_grant", "vocational", "", "430922", "2024-2025-2", 115000},
		{"vocational_grant", "vocational", "special", "430921", "2024-2025-2", 165000}, // county row not yet in force
		{"vocational_grant", "vocational", "special", "430921", "2025-2026-1", 180000}, // county over national
		{"vocational_grant", "vocational", "special", "430922", "2025-2026-1", 165000}, // other county: national
		{"vocational_grant", "vocational", "hard", "430921", "2025-2026-1", 115000},    // county set only special
		{"senior_grant", "senior", "", "430921", "2014-2015-1", 75000},
		{"senior_grant", "senior", "hard", "430921", "2015-2016-1", 100000},
		{"senior_grant", "senior", "special", "430921", "2025-2026-2", 165000},
	}
	for _, c := range cases {
		st, err := set.find(c.program, c.stage, c.level, c.region, model.Term(c.term).Start())
		if err != nil || st.AnnualFen/2 != c.termFen {
			t.Errorf("%s %s %s %s %s: got %d (%v), want %d", c.program, c.stage, c.level, c.region, c.term, st.AnnualFen/2, err, c.termFen)
		}
	}
	if _, err := set.find("boarding", "primary", "", "430921", model.Term("2010-2011-1").Start()); err == nil {
		t.Error("a standard before any was in force")
	}
}
