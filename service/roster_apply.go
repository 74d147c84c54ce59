package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/roster"
)

type importCounts struct{ created, updated, unchanged int }

func (c *importCounts) add(o importCounts) {
	c.created += o.created
	c.updated += o.updated
	c.unchanged += o.unchanged
}

// rosterChunk bounds the IN lists and the rows held per round trip.
const rosterChunk = 500

// change is one field of a file that a write alters.
type change struct {
	field, year, old, new string
}

// track records a change of a plain field.
func track(cs *[]change, field, year, old, new string) {
	if old != new {
		*cs = append(*cs, change{field: field, year: year, old: old, new: new})
	}
}

// applyRoster compares every row with the file it belongs to and, when write
// is set, creates or updates students, enrolments and difficulty records with
// the history of every changed field. Set-based per chunk: three selects, then
// batched inserts; only changed rows are updated one by one.
func (s *Students) applyRoster(ctx context.Context, tx *gorm.DB, a model.Actor, ri model.RosterImport, rows []roster.Row, write bool) (importCounts, error) {
	var counts importCounts
	source := "roster:" + strconv.FormatInt(ri.ID, 10)
	for start := 0; start < len(rows); start += rosterChunk {
		chunk := rows[start:min(start+rosterChunk, len(rows))]
		c, err := s.applyChunk(tx, a, ri, source, chunk, write)
		if err != nil {
			return counts, err
		}
		counts.add(c)
		if write {
			s.setProgress(ctx, ri.ID, 50+50*(start+len(chunk))/len(rows))
		}
	}
	return counts, nil
}

type enrolKey struct{ student, school int64 }

// applyChunk applies one chunk of rows: three selects, then batched
// inserts; only changed rows are updated one by one.
func (s *Students) applyChunk(tx *gorm.DB, a model.Actor, ri model.RosterImport, source string, rows []roster.Row, write bool) (importCounts, error) {
	now := s.now()
	hashes := make([]string, len(rows))
	for i, r := range rows {
		hashes[i] = s.idLookup(r.IDNumber)
	}
	files, err := loadChunkFiles(tx, s.keys, hashes, ri.SchoolYear)
	if err != nil {
		return importCounts{}, err
	}
	work, err := s.applyStudentRows(tx, rows, hashes, files.byHash, now, write)
	if err != nil {
		return importCounts{}, err
	}
	return s.applyEnrolmentRows(tx, a, ri, source, work, files, now, write)
}

// chunkFiles are what the database holds of one chunk's students: their
// files by ID hash, and this school year's enrolments and difficulty records.
type chunkFiles struct {
	byHash map[string]*model.Student
	enrols map[enrolKey]*model.Enrolment
	diffs  map[int64]*model.DifficultyRecord
}

func loadChunkFiles(tx *gorm.DB, keys *Keyring, hashes []string, year string) (chunkFiles, error) {
	var f chunkFiles
	var found []model.Student
	if err := tx.Where("id_hash IN ?", hashes).Find(&found).Error; err != nil {
		return f, err
	}
	f.byHash = make(map[string]*model.Student, len(found))
	ids := make([]int64, 0, len(found))
	for i := range found {
		f.byHash[found[i].IDHash] = &found[i]
		ids = append(ids, found[i].ID)
	}
	f.enrols = map[enrolKey]*model.Enrolment{}
	f.diffs = map[int64]*model.DifficultyRecord{}
	if len(ids) > 0 {
		var es []model.Enrolment
		if err := tx.Where("student_id IN ? AND school_year = ?", ids, year).Find(&es).Error; err != nil {
			return f, err
		}
		for i := range es {
			// Compared in plain with the row; sealed again when saved (sealedEnrolment).
			var err error
			if es[i].StudentNo, err = keys.Open(es[i].StudentNo); err != nil {
				return f, err
			}
			f.enrols[enrolKey{es[i].StudentID, es[i].SchoolID}] = &es[i]
		}
		var ds []model.DifficultyRecord
		if err := tx.Where("student_id IN ? AND school_year = ?", ids, year).Find(&ds).Error; err != nil {
			return f, err
		}
		for i := range ds {
			f.diffs[ds[i].StudentID] = &ds[i]
		}
	}
	return f, nil
}

// pendingRow is a row with the student file it creates or updates and the
// changes recorded so far.
type pendingRow struct {
	row     roster.Row
	student *model.Student
	isNew   bool
	changes []change
}

// applyStudentRows creates the new students' files and saves the changed
// ones (when write is set).
func (s *Students) applyStudentRows(tx *gorm.DB, rows []roster.Row, hashes []string, byHash map[string]*model.Student, now time.Time, write bool) ([]pendingRow, error) {
	work := make([]pendingRow, 0, len(rows))
	var newStudents []*model.Student
	var changedStudents []*model.Student
	for i, r := range rows {
		p := pendingRow{row: r, student: byHash[hashes[i]]}
		if p.student == nil {
			p.isNew = true
			p.student = s.newStudent(r, hashes[i], now)
			newStudents = append(newStudents, p.student)
			p.changes = append(p.changes, change{field: "建档", new: "花名册导入：" + r.School.Name})
		} else if s.mergeStudent(p.student, r, &p.changes) {
			p.student.UpdatedAt = now
			changedStudents = append(changedStudents, p.student)
		}
		work = append(work, p)
	}
	if write {
		if err := insertAll(tx, newStudents); err != nil {
			return nil, err
		}
		for _, st := range changedStudents {
			if err := tx.Save(st).Error; err != nil {
				return nil, err
			}
		}
	}

	return work, nil
}

// applyEnrolmentRows creates or updates each row's enrolment and difficulty
// record, counts the rows and records the history of every changed field.
func (s *Students) applyEnrolmentRows(tx *gorm.DB, a model.Actor, ri model.RosterImport, source string, work []pendingRow, files chunkFiles, now time.Time, write bool) (importCounts, error) {
	var counts importCounts
	year := ri.SchoolYear
	var newEnrols []*model.Enrolment
	var newDiffs []*model.DifficultyRecord
	var history []model.StudentChange
	rosterID := ri.ID
	for _, p := range work {
		r, st := p.row, p.student
		enrolCreated := false
		want := enrolmentOf(r, st.ID, year, &rosterID, now)
		if old := files.enrols[enrolKey{st.ID, r.School.ID}]; old == nil {
			enrolCreated = true
			newEnrols = append(newEnrols, s.sealedEnrolment(want))
			p.changes = append(p.changes, change{field: "学籍", year: year, new: fmt.Sprintf("%s %s", r.School.Name, model.GradeText(r.Stage, r.Grade))})
		} else if mergeEnrolment(old, want, year, &p.changes) && write {
			old.RosterID, old.UpdatedAt = &rosterID, now
			if err := tx.Save(s.sealedEnrolment(old)).Error; err != nil {
				return counts, err
			}
		}
		if err := s.applyDifficulty(tx, a, r, st.ID, year, files.diffs[st.ID], &newDiffs, &p.changes, write, now); err != nil {
			return counts, err
		}
		switch {
		case p.isNew || enrolCreated:
			counts.created++
		case len(p.changes) > 0:
			counts.updated++
		default:
			counts.unchanged++
		}
		for _, c := range p.changes {
			history = append(history, model.StudentChange{StudentID: st.ID, At: now, ActorName: a.Username, Source: source,
				SchoolYear: c.year, Field: c.field, OldValue: truncateRunes(c.old, 250), NewValue: truncateRunes(c.new, 250)})
		}
	}
	if !write {
		return counts, nil
	}
	if err := insertAll(tx, newEnrols); err != nil {
		return counts, err
	}
	if err := insertAll(tx, newDiffs); err != nil {
		return counts, err
	}
	return counts, insertAll(tx, history)
}

// insertAll inserts rows in batches; gorm refuses an empty slice.
func insertAll[T any](tx *gorm.DB, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.CreateInBatches(rows, rosterChunk).Error
}

func (s *Students) newStudent(r roster.Row, idHash string, now time.Time) *model.Student {
	st := &model.Student{IDType: string(r.IDNumber.Type), IDHash: idHash, IDEnc: s.keys.Seal(r.IDNumber.Value),
		IDMasked: r.IDNumber.Masked(), Name: r.Name, Sex: r.Sex, Household: r.Household, HomeRegion: r.HomeRegion,
		Guardian: r.Guardian, BankName: r.BankName, Holder: r.Holder, CreatedAt: now, UpdatedAt: now}
	if bd, ok := r.IDNumber.BirthDate(); ok {
		st.BirthDate = &bd
	}
	s.setAccount(st, r.BankAccount)
	s.setPhone(st, r.Phone)
	return st
}

func (s *Students) setAccount(st *model.Student, acct string) {
	st.AccountEnc, st.AccountHash, st.AccountMasked = "", "", ""
	if acct != "" {
		st.AccountEnc, st.AccountHash, st.AccountMasked = s.keys.Seal(acct), s.keys.Lookup("bank", acct), model.MaskBankAccount(acct)
	}
}

func (s *Students) setPhone(st *model.Student, phone string) {
	st.PhoneEnc, st.PhoneHash, st.PhoneMasked = "", "", ""
	if phone != "" {
		st.PhoneEnc, st.PhoneHash, st.PhoneMasked = s.keys.Seal(phone), s.keys.Lookup("phone", phone), model.MaskPhone(phone)
	}
}

// mergeStudent applies a row to an existing file. Optional contact and bank
// fields left empty keep what the file has: another school's roster may not
// carry them, and an empty cell must not erase a bank account.
func (s *Students) mergeStudent(st *model.Student, r roster.Row, cs *[]change) bool {
	n := len(*cs)
	set := func(field string, dst *string, v string, optional bool) {
		if optional && v == "" {
			return
		}
		track(cs, field, "", *dst, v)
		*dst = v
	}
	set("姓名", &st.Name, r.Name, false)
	set("性别", &st.Sex, r.Sex, false)
	set("户口性质", &st.Household, r.Household, true)
	set("户籍地区码", &st.HomeRegion, r.HomeRegion, true)
	set("监护人姓名", &st.Guardian, r.Guardian, true)
	set("开户银行", &st.BankName, r.BankName, true)
	set("持卡人", &st.Holder, r.Holder, true)
	if r.BankAccount != "" {
		// Compared by keyed hash, recorded masked: the history never holds the number.
		if s.keys.Lookup("bank", r.BankAccount) != st.AccountHash {
			*cs = append(*cs, change{field: model.FieldBankAccount, old: st.AccountMasked, new: model.MaskBankAccount(r.BankAccount)})
			s.setAccount(st, r.BankAccount)
		}
	}
	if r.Phone != "" {
		if s.keys.Lookup("phone", r.Phone) != st.PhoneHash {
			*cs = append(*cs, change{field: "联系电话", old: st.PhoneMasked, new: model.MaskPhone(r.Phone)})
			s.setPhone(st, r.Phone)
		}
	}
	return len(*cs) > n
}

func enrolmentOf(r roster.Row, studentID int64, year string, rosterID *int64, now time.Time) *model.Enrolment {
	return &model.Enrolment{StudentID: studentID, SchoolYear: year, SchoolID: r.School.ID, Stage: r.Stage, Grade: r.Grade,
		Class: r.Class, StudentNo: r.StudentNo, Major: r.Major, AgriMajor: r.AgriMajor, Boarding: r.Boarding,
		Status: r.Status, Remark: r.Remark, RosterID: rosterID, CreatedAt: now, UpdatedAt: now}
}

// sealedEnrolment is a copy of an enrolment to store, its 学籍号 sealed.
func (s *Students) sealedEnrolment(e *model.Enrolment) *model.Enrolment {
	c := *e
	c.StudentNo = s.keys.Seal(e.StudentNo)
	return &c
}

// mergeEnrolment replaces this school's record for the year with the row's.
func mergeEnrolment(old, want *model.Enrolment, year string, cs *[]change) bool {
	n := len(*cs)
	str := func(field string, dst *string, v string) {
		track(cs, field, year, *dst, v)
		*dst = v
	}
	track(cs, "年级", year, model.GradeText(old.Stage, old.Grade), model.GradeText(want.Stage, want.Grade))
	old.Stage, old.Grade = want.Stage, want.Grade
	str("班级", &old.Class, want.Class)
	if old.StudentNo != want.StudentNo { // recorded masked: a national 学籍号 holds the ID number
		*cs = append(*cs, change{field: model.FieldStudentNo, year: year, old: model.MaskStudentNo(old.StudentNo), new: model.MaskStudentNo(want.StudentNo)})
		old.StudentNo = want.StudentNo
	}
	str("专业", &old.Major, want.Major)
	str("学籍状态", &old.Status, want.Status)
	str("备注", &old.Remark, want.Remark)
	track(cs, "是否涉农专业", year, yesNo(&old.AgriMajor), yesNo(&want.AgriMajor))
	track(cs, "是否寄宿", year, yesNo(old.Boarding), yesNo(want.Boarding))
	old.AgriMajor, old.Boarding = want.AgriMajor, want.Boarding
	return len(*cs) > n
}

// applyDifficulty keeps one difficulty record per student and year. A row
// without level or categories removes the record this school identified
// (the history keeps it); a record another school made is left alone.
func (s *Students) applyDifficulty(tx *gorm.DB, a model.Actor, r roster.Row, studentID int64, year string,
	old *model.DifficultyRecord, created *[]*model.DifficultyRecord, cs *[]change, write bool, now time.Time) error {
	cats := strings.Join(r.Categories, "、")
	var userID *int64
	if a.UserID != 0 {
		id := a.UserID
		userID = &id
	}
	switch {
	case old == nil && r.Level == "" && cats == "":
		return nil
	case old == nil:
		*created = append(*created, &model.DifficultyRecord{StudentID: studentID, SchoolYear: year, Level: r.Level,
			Categories: cats, SchoolID: r.School.ID, IdentifiedBy: userID, IdentifiedAt: now, UpdatedAt: now})
		*cs = append(*cs, change{field: "困难认定", year: year, new: strings.Trim(model.LevelLabel(r.Level)+" "+cats, " ")})
		return nil
	case r.Level == "" && cats == "":
		if old.SchoolID != r.School.ID {
			return nil
		}
		*cs = append(*cs, change{field: "困难认定", year: year, old: strings.Trim(model.LevelLabel(old.Level)+" "+old.Categories, " "), new: "（已取消认定）"})
		if write {
			return tx.Delete(old).Error
		}
		return nil
	}
	n := len(*cs)
	track(cs, "困难等级", year, model.LevelLabel(old.Level), model.LevelLabel(r.Level))
	track(cs, "困难类型", year, old.Categories, cats)
	// The same level confirmed by the school the student is at now makes the
	// record that school's: it may later withdraw it.
	if (len(*cs) == n && old.SchoolID == r.School.ID) || !write {
		return nil
	}
	old.Level, old.Categories, old.SchoolID, old.IdentifiedBy, old.IdentifiedAt, old.UpdatedAt = r.Level, cats, r.School.ID, userID, now, now
	return tx.Save(old).Error
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "是"
	}
	return "否"
}
