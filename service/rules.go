package service

import (
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// What the anomaly rules share: the scan they run in, the schools and
// students their summaries name, and the areas their findings belong to.
// Each rule family has its file: rules_aid.go (1, 7), rules_accounts.go
// (2, 3), rules_enrolment.go (4, 5, 6), rules_payments.go (8, 9).

// anomalyScan holds what every rule needs: the database, the thresholds, the
// scan's clock and the schools (a small table, read once).
type anomalyScan struct {
	db      *gorm.DB
	keys    *Keyring // duplicate_identity opens the numbers filed under other types
	th      AnomalyThresholds
	now     time.Time
	schools map[int64]scanSchool
	found   []finding
	took    map[string]int64 // milliseconds per rule
}

type scanSchool struct {
	ID         int64
	Code       string
	Name       string
	RegionCode string
}

// scanStudent is what a summary says of a student: never the full number.
type scanStudent struct {
	ID            int64
	Name          string
	IDMasked      string
	Guardian      string
	AccountMasked string
}

func (sc *anomalyScan) loadSchools() error {
	var schools []scanSchool
	if err := sc.db.Table("schools").Select("id, code, name, region_code").Scan(&schools).Error; err != nil {
		return err
	}
	sc.schools = make(map[int64]scanSchool, len(schools))
	for _, x := range schools {
		sc.schools[x.ID] = x
	}
	return nil
}

func (sc *anomalyScan) run() error {
	if err := sc.loadSchools(); err != nil {
		return err
	}
	sc.took = map[string]int64{}
	for _, rule := range []struct {
		code string
		run  func() error
	}{
		{model.RuleDuplicateAid, sc.duplicateAid}, {model.RuleSharedAccount, sc.sharedAccounts},
		{model.RuleHolderMismatch, sc.holderMismatch}, {model.RuleAgeGrade, sc.ageGrade},
		{model.RuleDoubleEnrolment, sc.doubleEnrolment}, {model.RuleAidAfterExit, sc.aidAfterExit},
		{model.RuleAmountMismatch, sc.amountMismatch}, {model.RuleRepeatedFailure, sc.repeatedFailures},
		{model.RuleStaleApproved, sc.staleApproved}, {model.RuleStaleApproved, sc.staleTopUps}, {model.RuleStaleBatch, sc.staleBatches},
		{model.RuleDuplicateIdentity, sc.duplicateIdentities},
	} {
		start := time.Now()
		if err := rule.run(); err != nil {
			return fmt.Errorf("%s: %w", rule.code, err)
		}
		// += : a rule may run in parts (rule 9 for lists, then for top-ups).
		sc.took[rule.code] += time.Since(start).Milliseconds()
	}
	return nil
}

func (sc *anomalyScan) add(f finding) { sc.found = append(sc.found, f) }

func (sc *anomalyScan) school(id int64) scanSchool { return sc.schools[id] }

// students loads the named students, a chunk of ids per query.
func (sc *anomalyScan) students(ids []int64) (map[int64]scanStudent, error) {
	out := make(map[int64]scanStudent, len(ids))
	ids = sortedUniqueIDs(ids)
	for _, chunk := range chunkIDs(ids, rosterChunk) {
		var rows []scanStudent
		if err := sc.db.Table("students").Select("id, name, id_masked, guardian, account_masked").
			Where("id IN ?", chunk).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.ID] = r
		}
	}
	return out, nil
}

// studentsOf loads the students the rows name; id(i) is row i's student.
func studentsOf[T any](sc *anomalyScan, rows []T, id func(i int) int64) (map[int64]scanStudent, error) {
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = id(i)
	}
	return sc.students(ids)
}

// latestSchools is each student's school in their latest school year, for
// findings that are about a person rather than an enrolment.
func (sc *anomalyScan) latestSchools(ids []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(ids))
	years := map[int64]string{}
	for _, chunk := range chunkIDs(sortedUniqueIDs(ids), rosterChunk) {
		var rows []struct {
			StudentID  int64
			SchoolID   int64
			SchoolYear string
		}
		if err := sc.db.Table("enrolments").Select("student_id, school_id, school_year").
			Where("student_id IN ?", chunk).Order("id").Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.SchoolYear >= years[r.StudentID] {
				years[r.StudentID], out[r.StudentID] = r.SchoolYear, r.SchoolID
			}
		}
	}
	return out, nil
}

func sortedUniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// commonRegion is the smallest area holding every code: the county when they
// agree, else their city, else their province. A finding spanning counties
// is for the city's auditors; a county officer sees their own county's only.
func commonRegion(codes ...string) string {
	var out string
	for _, c := range codes {
		switch {
		case c == "":
			continue
		case out == "":
			out = c
		case out == c:
		case len(out) == 6 && len(c) == 6 && out[:4] == c[:4]:
			out = out[:4] + "00"
		case len(out) == 6 && len(c) == 6 && out[:2] == c[:2]:
			out = out[:2] + "0000"
		default:
			out = "000000"
		}
	}
	return out
}

func personOf(st scanStudent) string {
	if st.IDMasked == "" {
		return st.Name
	}
	return st.Name + "（" + st.IDMasked + "）"
}

func studentDetail(st scanStudent, sch scanSchool) map[string]any {
	return map[string]any{"student_id": st.ID, "name": st.Name, "id_number": st.IDMasked,
		"school_id": sch.ID, "school_name": sch.Name}
}

func programName(code string) string {
	if p, ok := model.ProgramByCode(code); ok {
		return p.Name
	}
	return code
}
