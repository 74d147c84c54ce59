package service

import (
	"slices"
	"strconv"

	"gorm.io/gorm"

	"studentaid/model"
)

// Reads more than one domain makes: a student by ID number, schools by id,
// a student file's entitlements and payments.

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
