package service

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"

	"studentaid/configs"
	"studentaid/model"
)

// SeedStandards loads the national standards of configs/standards.yaml;
// rows already present (same program, stage, level, region and date) stay.
func (s *Standards) SeedStandards(ctx context.Context) error {
	seeds, err := configs.Standards()
	if err != nil {
		return err
	}
	for _, sd := range seeds {
		from, err := time.Parse("2006-01-02", sd.From)
		if err != nil {
			return err
		}
		st := model.Standard{Program: sd.Program, Stage: sd.Stage, Level: sd.Level, AnnualFen: model.Fen(sd.AnnualYuan * 100),
			EffectiveFrom: from, Source: sd.Source}
		if err := s.validStandard(st); err != nil {
			return err
		}
		var n int64
		if err := s.db.WithContext(ctx).Model(&model.Standard{}).Where("program = ? AND stage = ? AND level = ? AND region_code = '' AND effective_from = ?",
			st.Program, st.Stage, st.Level, from).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := s.addStandard(ctx, model.SystemActor("seed"), st); err != nil && !isConflict(err) {
			return err
		}
	}
	return nil
}

func (s *Standards) validStandard(st model.Standard) error {
	p, ok := model.ProgramByCode(st.Program)
	switch {
	case !ok:
		return invalid("未知资助项目 %q", st.Program)
	case !contains(p.Stages, st.Stage):
		return invalid("%s不适用于学段 %q", p.Name, st.Stage)
	case st.Level != "" && !p.Tiered:
		return invalid("%s不分档，不能按困难等级设定标准", p.Name)
	case st.Level != "" && model.LevelLabel(st.Level) == "":
		return invalid("困难等级须为 special、hard 或 general")
	case st.AnnualFen <= 0 || st.AnnualFen > 10_000_000:
		return invalid("年标准须为正数（单位：分）且不超过 10 万元")
	case st.AnnualFen%2 != 0:
		return invalid("年标准须能平分到两个学期（分的偶数）")
	case st.EffectiveFrom.IsZero():
		return invalid("须指定生效日期 effective_from")
	}
	return nil
}

// CreateStandard adds a standard from a date. It never rewrites the past:
// amounts already submitted, approved or paid keep the standard they used.
func (s *Standards) CreateStandard(ctx context.Context, a model.Actor, st model.Standard) (model.Standard, error) {
	switch {
	case a.Is(model.RoleAdmin):
	case a.Is(model.RoleCountyOfficer):
		if st.RegionCode != a.RegionCode {
			return st, forbidden("县级资助中心只能设定本县（区）的标准（region_code %s）", a.RegionCode)
		}
	default:
		return st, errRoleForbidden
	}
	if st.RegionCode != "" && !regionCodePattern.MatchString(st.RegionCode) {
		return st, invalid("区域代码须为 6 位数字")
	}
	if err := s.validStandard(st); err != nil {
		return st, err
	}
	if err := s.notBelowNational(ctx, st); err != nil {
		return st, err
	}
	return s.addStandard(ctx, a, st)
}

// notBelowNational refuses a regional row lower than the national row in
// force on its date (POLICY.md: a county may only add on top).
func (s *Standards) notBelowNational(ctx context.Context, st model.Standard) error {
	if st.RegionCode == "" {
		return nil
	}
	var national []model.Standard
	if err := s.db.WithContext(ctx).Where("program = ? AND stage = ? AND region_code = ''", st.Program, st.Stage).
		Find(&national).Error; err != nil {
		return err
	}
	nat, err := standardSet(national).find(st.Program, st.Stage, st.Level, "", st.EffectiveFrom)
	if err != nil || st.AnnualFen >= nat.AnnualFen {
		return nil
	}
	return invalid("地方标准不得低于国家标准：%s 起国家标准为每生每年 %s 元，本行为 %s 元", st.EffectiveFrom.Format("2006-01-02"),
		nat.AnnualFen.Yuan(), st.AnnualFen.Yuan())
}

func (s *Standards) addStandard(ctx context.Context, a model.Actor, st model.Standard) (model.Standard, error) {
	st.ID, st.CreatedBy, st.CreatedAt = 0, actorName(a), s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&st).Error; err != nil {
			return translate(err, "同一日期的标准")
		}
		return s.audit(tx, inRegion(a, st.RegionCode), "create", "standard", strconv.FormatInt(st.ID, 10), nil, st)
	})
	return st, err
}

func actorName(a model.Actor) string {
	if a.Username == "" {
		return "system"
	}
	return a.Username
}

// StandardFilter narrows GET /standards.
type StandardFilter struct {
	Program    string
	RegionCode string
	On         time.Time // zero: every row, with history
}

// ListStandards lists standards; with On, only those in force that day for
// the region (the most specific row per program, stage and level).
func (s *Standards) ListStandards(ctx context.Context, f StandardFilter) ([]model.Standard, error) {
	var all []model.Standard
	q := s.db.WithContext(ctx).Order("program, stage, level, region_code, effective_from")
	if f.Program != "" {
		q = q.Where("program = ?", f.Program)
	}
	if err := q.Find(&all).Error; err != nil {
		return nil, err
	}
	if f.On.IsZero() {
		if f.RegionCode == "" {
			return all, nil
		}
		var out []model.Standard
		for _, st := range all {
			if st.RegionCode == "" || model.RegionCovers(st.RegionCode, f.RegionCode) {
				out = append(out, st)
			}
		}
		return out, nil
	}
	set := standardSet(all)
	var out []model.Standard
	for _, p := range model.Programs {
		if f.Program != "" && p.Code != f.Program {
			continue
		}
		for _, stage := range p.Stages {
			for _, level := range []string{"", model.LevelSpecial, model.LevelHard, model.LevelGeneral} {
				if st, ok := set.exact(p.Code, stage, level, f.RegionCode, f.On); ok {
					out = append(out, st)
				}
				if !p.Tiered {
					break
				}
			}
		}
	}
	return out, nil
}

// standardSet answers "which standard applies" in memory, so a calculation
// over thousands of students asks the database once.
type standardSet []model.Standard

// regionChain is a county's code, its city's, its province's and national.
func regionChain(code string) []string {
	if len(code) != 6 {
		return []string{""}
	}
	return []string{code, code[:4] + "00", code[:2] + "0000", ""}
}

// exact finds the row for exactly this level (no fallback to the base row).
// POLICY.md "Which row applies": of the rows in force that day (for each of
// the region's county, city, province and the nation, the latest
// effective_from on or before the day) the highest amount applies, since a
// county may only add on top of the national figure. On a tie the more local
// row is reported.
func (ss standardSet) exact(program, stage, level, region string, on time.Time) (model.Standard, bool) {
	day := on.In(model.Shanghai()).Format("2006-01-02")
	var pick *model.Standard
	for _, r := range regionChain(region) {
		var best *model.Standard
		for i := range ss {
			st := &ss[i]
			if st.Program != program || st.Stage != stage || st.Level != level || st.RegionCode != r ||
				st.EffectiveFrom.Format("2006-01-02") > day {
				continue
			}
			if best == nil || st.EffectiveFrom.After(best.EffectiveFrom) {
				best = st
			}
		}
		if best != nil && (pick == nil || best.AnnualFen > pick.AnnualFen) {
			pick = best
		}
	}
	if pick == nil {
		return model.Standard{}, false
	}
	return *pick, true
}

// find is the standard for a student: the tier of their level when the
// program has tiers in force, else the base row (POLICY.md: a student eligible
// without a level gets the base amount).
func (ss standardSet) find(program, stage, level, region string, on time.Time) (model.Standard, error) {
	if level != "" {
		if st, ok := ss.exact(program, stage, level, region, on); ok {
			return st, nil
		}
	}
	if st, ok := ss.exact(program, stage, "", region, on); ok {
		return st, nil
	}
	return model.Standard{}, errors.New("没有适用的资助标准")
}
