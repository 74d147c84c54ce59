package service

import (
	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/roster"
)

// statusTransferredOut (转出): the school has let the student go, so another
// may enrol them.
const statusTransferredOut = "转出"

// enrolledElsewhereMsg is the row error of POLICY.md "Who may change a
// student"; across counties it names no school.
const enrolledElsewhereMsg = "该生本学年已在其他学校注册，请办理转学"

// refuseEnrolledElsewhere answers roster.Options.Refuse, running its query
// through db (the import's connection): a row naming a person enrolled this
// school year (and not transferred out) at a school outside the uploader's
// school — outside the county, for a county upload — changes nothing in
// that person's file and fails. Otherwise one school's upload could rewrite
// another county's pupil, bank account included, and the next batch would
// pay the new account.
func (s *Students) refuseEnrolledElsewhere(a model.Actor, year string, db func(func(*gorm.DB) error) error) func([]roster.Row) (map[int]string, error) {
	return func(rows []roster.Row) (out map[int]string, err error) {
		err = db(func(tx *gorm.DB) error {
			out, err = s.enrolledElsewhere(tx, a, year, rows)
			return err
		})
		return out, err
	}
}

// enrolledElsewhere maps the lines of the rows whose person is enrolled
// elsewhere to the row's message.
func (s *Students) enrolledElsewhere(tx *gorm.DB, a model.Actor, year string, rows []roster.Row) (map[int]string, error) {
	byHash := make(map[string]int, len(rows))
	hashes := make([]string, len(rows))
	for i, r := range rows {
		hashes[i] = s.idLookup(r.IDNumber)
		byHash[hashes[i]] = i
	}
	var found []struct {
		IDHash     string
		SchoolID   int64
		SchoolName string
		RegionCode string
	}
	if err := tx.Table("students st").
		Select("st.id_hash, e.school_id, sc.name AS school_name, sc.region_code").
		Joins("JOIN enrolments e ON e.student_id = st.id AND e.school_year = ?", year).
		Joins("JOIN schools sc ON sc.id = e.school_id").
		Where("st.id_hash IN ? AND e.status <> ?", hashes, statusTransferredOut).
		Order("e.school_id").Scan(&found).Error; err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, nil
	}
	regions, err := schoolRegions(tx, rows)
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, f := range found {
		r := rows[byHash[f.IDHash]]
		other := model.School{ID: f.SchoolID, RegionCode: f.RegionCode}
		if f.SchoolID == r.School.ID || (a.ScopeKind() != "school" && seesSchool(a, other)) {
			continue
		}
		msg := enrolledElsewhereMsg
		if regions[r.School.ID] == f.RegionCode {
			msg += "（现就读：" + f.SchoolName + "）"
		}
		out[r.Line] = msg
	}
	return out, nil
}

// schoolRegions maps the rows' schools to their counties.
func schoolRegions(tx *gorm.DB, rows []roster.Row) (map[int64]string, error) {
	ids := make([]int64, 0, 1)
	for _, r := range rows {
		if len(ids) == 0 || ids[len(ids)-1] != r.School.ID {
			ids = append(ids, r.School.ID)
		}
	}
	var list []model.School
	if err := tx.Select("id, region_code").Where("id IN ?", ids).Find(&list).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(list))
	for _, sc := range list {
		out[sc.ID] = sc.RegionCode
	}
	return out, nil
}

// enrolledElsewhereNow is the PATCH side of "Who may change a student": in
// the latest school year the student is enrolled anywhere, an enrolment (not
// 转出) at a school outside the actor's scope, and none inside it, leaves the
// file to that school.
func enrolledElsewhereNow(tx *gorm.DB, a model.Actor, studentID int64) error {
	var es []struct {
		SchoolID   int64
		RegionCode string
		SchoolYear string
		Status     string
	}
	if err := tx.Table("enrolments e").Select("e.school_id, sc.region_code, e.school_year, e.status").
		Joins("JOIN schools sc ON sc.id = e.school_id").Where("e.student_id = ?", studentID).
		Order("e.school_year DESC").Scan(&es).Error; err != nil || len(es) == 0 {
		return err
	}
	inScope, elsewhere := false, false
	for _, e := range es {
		if e.SchoolYear != es[0].SchoolYear || e.Status == statusTransferredOut {
			continue
		}
		if seesSchool(a, model.School{ID: e.SchoolID, RegionCode: e.RegionCode}) {
			inScope = true
		} else {
			elsewhere = true
		}
	}
	if elsewhere && !inScope {
		return forbidden("%s", enrolledElsewhereMsg)
	}
	return nil
}
