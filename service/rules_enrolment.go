package service

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// Anomaly rules about a student's enrolment: age against grade (rule 4),
// two schools at once (rule 5) and aid after leaving school (rule 6).

// Rule 4: age that does not fit the grade, on 1 September of the school
// year. The cut-off birth dates are computed here for every school year and
// grade and joined as a small derived table, so the comparison is a plain
// date comparison on both engines.

func (sc *anomalyScan) ageGrade() error {
	var years []string
	if err := sc.db.Table("enrolments").Distinct("school_year").Pluck("school_year", &years).Error; err != nil {
		return err
	}
	// SQLite keeps CROSS JOIN's order (enrolments outside, the few cut-off
	// rows inside), so enrolments are read once; MySQL plans it as any join.
	var parts []string
	var args []any
	for _, y := range years {
		first, err := strconv.Atoi(y[:min(4, len(y))])
		if err != nil || model.ParseSchoolYear(y) != nil {
			continue
		}
		for grade := 1; grade <= 12; grade++ {
			// Older than grade+k years on 1 September: born on or before
			// 1 September of (first - grade - k - 1). Younger than MinAge:
			// born after 1 September of (first - MinAge).
			oldBy := time.Date(first-grade-sc.th.MaxAgeOverGrade-1, time.September, 1, 0, 0, 0, 0, time.UTC)
			youngAfter := time.Date(first-sc.th.MinAge, time.September, 1, 0, 0, 0, 0, time.UTC)
			parts = append(parts, "SELECT ? AS school_year, ? AS grade, ? AS old_by, ? AS young_after")
			args = append(args, y, grade, oldBy, youngAfter)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	var rows []struct {
		EnrolmentID int64
		StudentID   int64
		SchoolID    int64
		SchoolYear  string
		Stage       string
		Grade       int
		BirthDate   time.Time
	}
	args = append(args, []string{model.StagePrimary, model.StageJunior, model.StageSenior})
	if err := sc.db.Raw(`SELECT e.id AS enrolment_id, e.student_id, e.school_id, e.school_year, e.stage, e.grade, s.birth_date
		FROM enrolments e
		JOIN students s ON s.id = e.student_id
		CROSS JOIN (`+strings.Join(parts, " UNION ALL ")+`) t
		WHERE t.school_year = e.school_year AND t.grade = e.grade
			AND s.birth_date IS NOT NULL AND (s.birth_date > t.young_after OR (e.stage IN ? AND s.birth_date <= t.old_by))`,
		args...).Scan(&rows).Error; err != nil {
		return err
	}
	students, err := studentsOf(sc, rows, func(i int) int64 { return rows[i].StudentID })
	if err != nil {
		return err
	}
	for _, r := range rows {
		first, _ := strconv.Atoi(r.SchoolYear[:4])
		age := ageOn(r.BirthDate, time.Date(first, time.September, 1, 0, 0, 0, 0, time.UTC))
		st, sch := students[r.StudentID], sc.school(r.SchoolID)
		why := fmt.Sprintf("不满 %d 周岁", sc.th.MinAge)
		if age >= sc.th.MinAge {
			// Grade 1 starts at 6 (义务教育法), so grade g is normally g+5.
			why = fmt.Sprintf("年龄偏大，该年级一般为 %d 岁", r.Grade+5)
		}
		d := studentDetail(st, sch)
		d["school_year"], d["grade"], d["grade_text"], d["age"], d["birth_year"] = r.SchoolYear, r.Grade, model.GradeText(r.Stage, r.Grade), age, r.BirthDate.Year()
		sc.add(finding{rule: model.RuleAgeGrade, key: fingerprint(model.RuleAgeGrade, r.EnrolmentID, r.Grade, r.BirthDate.Format("2006-01-02")),
			region: sch.RegionCode, schoolYear: r.SchoolYear, schoolID: sch.ID, studentID: r.StudentID,
			summary: fmt.Sprintf("%s %s学年在%s读%s，9月1日时 %d 岁（%s）", personOf(st), r.SchoolYear, sch.Name, model.GradeText(r.Stage, r.Grade), age, why),
			details: d})
	}
	return nil
}

// ageOn is the age in full years on a day.
func ageOn(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		age--
	}
	return age
}

// Rule 5: one ID number enrolled in two schools in the same school year. A
// transfer leaves the old school's record as 转出, which is not a finding;
// two records that both say the student is there (在读 or 休学) are.

var activeStatuses = []string{model.StatusEnrolled, model.StatusSuspended}

func (sc *anomalyScan) doubleEnrolment() error {
	var pairs []struct {
		StudentID  int64
		SchoolYear string
	}
	if err := sc.db.Table("enrolments").Select("student_id, school_year").Where("status IN ?", activeStatuses).
		Group("student_id, school_year").Having("COUNT(*) > 1").Scan(&pairs).Error; err != nil {
		return err
	}
	if len(pairs) == 0 {
		return nil
	}
	ids := make([]int64, len(pairs))
	want := map[string]bool{}
	for i, p := range pairs {
		ids[i] = p.StudentID
		want[strconv.FormatInt(p.StudentID, 10)+"|"+p.SchoolYear] = true
	}
	type enrol struct {
		StudentID  int64
		SchoolYear string
		SchoolID   int64
		Stage      string
		Grade      int
		Status     string
	}
	byPair := map[string][]enrol{}
	for _, chunk := range chunkIDs(sortedUniqueIDs(ids), rosterChunk) {
		var es []enrol
		if err := sc.db.Table("enrolments").Select("student_id, school_year, school_id, stage, grade, status").
			Where("student_id IN ? AND status IN ?", chunk, activeStatuses).Order("school_id").Scan(&es).Error; err != nil {
			return err
		}
		for _, e := range es {
			k := strconv.FormatInt(e.StudentID, 10) + "|" + e.SchoolYear
			if want[k] {
				byPair[k] = append(byPair[k], e)
			}
		}
	}
	students, err := sc.students(ids)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		es := byPair[strconv.FormatInt(p.StudentID, 10)+"|"+p.SchoolYear]
		var regions, names []string
		var schoolIDs []int64
		var list []map[string]any
		for _, e := range es {
			sch := sc.school(e.SchoolID)
			regions = append(regions, sch.RegionCode)
			names = append(names, sch.Name+"（"+model.GradeText(e.Stage, e.Grade)+"，"+e.Status+"）")
			schoolIDs = append(schoolIDs, e.SchoolID)
			list = append(list, map[string]any{"school_id": sch.ID, "school_name": sch.Name, "grade_text": model.GradeText(e.Stage, e.Grade), "status": e.Status})
		}
		st := students[p.StudentID]
		sc.add(finding{rule: model.RuleDoubleEnrolment, key: fingerprint(model.RuleDoubleEnrolment, p.StudentID, p.SchoolYear, schoolIDs),
			region: commonRegion(regions...), schoolYear: p.SchoolYear, studentID: p.StudentID,
			summary: fmt.Sprintf("%s %s学年同时在 %d 所学校有在籍记录：%s", personOf(st), p.SchoolYear, len(es), strings.Join(names, "；")),
			details: map[string]any{"student_id": st.ID, "name": st.Name, "id_number": st.IDMasked, "school_year": p.SchoolYear, "enrolments": list}})
	}
	return nil
}

// Rule 6: entitlements in a term after the student's status became 毕业, 辍学,
// 转出 or 死亡: the school's record for the term's school year says the student
// left, or an earlier year's record says the student died; and the
// entitlement was not revoked. A leaving recorded as a change during the
// year (在读 → 转出 in March) dates it: aid the bank paid before that date was
// paid to a pupil still at school. A record that said so from its first
// upload has no date and covers the whole year. The query starts from the enrolments that record a
// leaving, a few among many, and looks up only their students' entitlements.

var exitStatuses = []string{model.StatusGraduated, model.StatusDroppedOut, model.StatusTransferred, model.StatusDeceased}

// exitRow is an entitlement with an enrolment that records a leaving.
type exitRow struct {
	EntitlementID int64
	StudentID     int64
	SchoolID      int64
	Program       string
	Term          string
	Status        string
	AmountFen     model.Fen
	ExitStatus    string
	ExitYear      string
	ExitSchoolID  int64
}

func (sc *anomalyScan) aidAfterExit() error {
	var rows []exitRow
	if err := sc.db.Raw(`SELECT ent.id AS entitlement_id, ent.student_id, ent.school_id, ent.program, ent.term, ent.status,
			ent.amount_fen, e.status AS exit_status, e.school_year AS exit_year, e.school_id AS exit_school_id
		FROM enrolments e
		JOIN entitlements ent ON ent.student_id = e.student_id
		WHERE e.status IN ? AND ent.status <> ? AND (
			(e.school_id = ent.school_id AND e.school_year = SUBSTR(ent.term, 1, 9))
			OR (e.status = ? AND e.school_year < SUBSTR(ent.term, 1, 9)))`,
		exitStatuses, model.EntRevoked, model.StatusDeceased).Scan(&rows).Error; err != nil {
		return err
	}
	// Sorted here: an ORDER BY ent.id would tempt the planner to walk every
	// entitlement in key order instead of starting from the few leavers.
	slices.SortFunc(rows, func(x, y exitRow) int {
		return cmp.Or(cmp.Compare(x.EntitlementID, y.EntitlementID), strings.Compare(x.ExitYear, y.ExitYear))
	})
	students, err := studentsOf(sc, rows, func(i int) int64 { return rows[i].StudentID })
	if err != nil {
		return err
	}
	left, err := exitDates(sc.db, rows)
	if err != nil {
		return err
	}
	paid, err := paidDates(sc.db, rows)
	if err != nil {
		return err
	}
	done := map[int64]bool{}
	for _, r := range rows {
		at, dated := left[exitKey{r.StudentID, r.ExitYear, r.ExitStatus}]
		paidAt, isPaid := paid[r.EntitlementID]
		paidBefore := dated && isPaid && paidAt.Before(at)
		if done[r.EntitlementID] || paidBefore {
			continue
		}
		done[r.EntitlementID] = true
		st, sch := students[r.StudentID], sc.school(r.SchoolID)
		d := studentDetail(st, sch)
		d["entitlement_id"], d["program"], d["term"], d["entitlement_status"], d["amount_fen"] = r.EntitlementID, r.Program, r.Term, r.Status, r.AmountFen
		d["exit_status"], d["exit_school_year"], d["exit_school_name"] = r.ExitStatus, r.ExitYear, sc.school(r.ExitSchoolID).Name
		sc.add(finding{rule: model.RuleAidAfterExit, key: fingerprint(model.RuleAidAfterExit, r.EntitlementID),
			region: sch.RegionCode, schoolYear: model.Term(r.Term).SchoolYear(), term: r.Term, schoolID: sch.ID, studentID: r.StudentID,
			summary: fmt.Sprintf("%s %s学年学籍状态为“%s”，仍有 %s 学期%s %s 元（%s）", personOf(st), r.ExitYear, r.ExitStatus,
				r.Term, programName(r.Program), r.AmountFen.Yuan(), statusLabel[r.Status]),
			details: d})
	}
	return nil
}

type exitKey struct {
	studentID        int64
	schoolYear, what string
}

// exitDates finds when each leaving was recorded as a change of 学籍状态 (the
// latest such change of the student's year).
func exitDates(db *gorm.DB, rows []exitRow) (map[exitKey]time.Time, error) {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.StudentID)
	}
	out := map[exitKey]time.Time{}
	for start := 0; start < len(ids); start += rosterChunk {
		var cs []model.StudentChange
		if err := db.Where("student_id IN ? AND field = ? AND new_value IN ?", ids[start:min(start+rosterChunk, len(ids))],
			"学籍状态", exitStatuses).Find(&cs).Error; err != nil {
			return nil, err
		}
		for _, c := range cs {
			k := exitKey{c.StudentID, c.SchoolYear, c.NewValue}
			if c.At.After(out[k]) {
				out[k] = c.At
			}
		}
	}
	return out, nil
}

// paidDates finds when the bank paid each paid entitlement's last line.
func paidDates(db *gorm.DB, rows []exitRow) (map[int64]time.Time, error) {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		if r.Status == model.EntPaid {
			ids = append(ids, r.EntitlementID)
		}
	}
	out := map[int64]time.Time{}
	for start := 0; start < len(ids); start += rosterChunk {
		var lines []model.BatchLine
		if err := db.Select("entitlement_id, result_at").Where("entitlement_id IN ? AND status = ? AND result_at IS NOT NULL",
			ids[start:min(start+rosterChunk, len(ids))], model.LinePaid).Find(&lines).Error; err != nil {
			return nil, err
		}
		for _, l := range lines {
			if l.ResultAt.After(out[l.EntitlementID]) {
				out[l.EntitlementID] = *l.ResultAt
			}
		}
	}
	return out, nil
}
