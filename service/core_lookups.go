package service

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
)

// Reads more than one domain makes: a student by ID number, schools by id,
// a student file's entitlements and payments, and the lists' search.

// idLookup is the keyed hash an ID number is found by (students.id_hash).
func (s *core) idLookup(id model.IDNumber) string {
	return s.keys.Lookup("id", string(id.Type)+":"+id.Value)
}

// schoolsByID finds schools through a per-instance cache that lives as long
// as list totals do (Options.CountCache): lists name the schools of their
// rows without joining schools on every request. The service never renames
// a school or moves it to another county.
func (s *core) schoolsByID(db *gorm.DB, ids []int64) (map[int64]model.School, error) {
	now := s.now()
	out := make(map[int64]model.School, len(ids))
	var missing []int64
	for _, id := range ids {
		if _, done := out[id]; done || slices.Contains(missing, id) {
			continue
		}
		if sc, ok := s.schools.get(strconv.FormatInt(id, 10), now, s.opt.CountCache); ok {
			out[id] = sc
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	var found []model.School
	if err := db.Where("id IN ?", missing).Find(&found).Error; err != nil {
		return out, err
	}
	for _, sc := range found {
		out[sc.ID] = sc
		s.schools.put(strconv.FormatInt(sc.ID, 10), sc, now, s.opt.CountCache)
	}
	return out, nil
}

// studentPayments are a file's batch lines, newest first.
func (s *core) studentPayments(tx *gorm.DB, studentID int64) ([]Payment, error) {
	var out []Payment
	err := tx.Table("batch_lines bl").Select(`bl.entitlement_id, bl.batch_id, b.number AS batch_number, b.program, b.term,
		bl.amount_fen, bl.account_masked, bl.status, bl.fail_reason, bl.result_at`).
		Joins("JOIN batches b ON b.id = bl.batch_id").Where("bl.student_id = ?", studentID).
		Order("bl.id DESC").Scan(&out).Error
	return out, err
}

// studentEntitlements are a file's entitlements, newest term first.
func (s *core) studentEntitlements(tx *gorm.DB, studentID int64) ([]EntitlementRow, error) {
	var out []EntitlementRow
	err := tx.Table("entitlements ent").Select("ent.*, sc.name AS school_name").
		Joins("JOIN schools sc ON sc.id = ent.school_id").
		Where("ent.student_id = ?", studentID).Order("ent.term DESC, ent.program").Scan(&out).Error
	return out, err
}

// searchStudents narrows q (joined to students as alias) to a search: a
// full ID number goes through the keyed hash; the last digits match the
// masked number's visible tail (never the plain number, which is only
// stored encrypted); anything else any part of the name.
func (s *core) searchStudents(q *gorm.DB, alias, search string) *gorm.DB {
	if id, err := model.ParseIDNumber(model.IDTypeResident, search, s.opt.Now()); err == nil {
		return q.Where(alias+".id_hash = ?", s.idLookup(id))
	}
	if idTail.MatchString(search) {
		return q.Where(alias+".id_masked LIKE ?", "%"+strings.ToUpper(search))
	}
	return q.Where(alias+".name LIKE ? ESCAPE '!'", "%"+likeEscape(search)+"%")
}

// idTail is a search for the last digits of an ID number, as many as a
// masked number shows (430921********123X).
var idTail = regexp.MustCompile(`^[0-9]{1,3}[0-9Xx]$`)

// likeEscape escapes LIKE wildcards in user input, for a pattern used with
// ESCAPE '!' (the same on SQLite, which has no default escape, and MySQL).
func likeEscape(q string) string {
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return r.Replace(q)
}
