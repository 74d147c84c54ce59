package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"studentaid/model"
)

// StudentFilter narrows GET /students.
type StudentFilter struct {
	SchoolID   int64
	SchoolYear string
	Q          string // a name (prefix) or a full ID number (exact)
	// Program keeps the enrolments with aid under that program (an
	// entitlement at the same school in one of the year's terms).
	Program string
	Sort    string // one of studentSorts; empty: school, year, grade, class (the index's order)
	Page    Page
}

// StudentRow is one student's enrolment as lists show it: masked, no bank.
type StudentRow struct {
	StudentID  int64
	Name       string
	IDMasked   string
	Sex        string
	SchoolID   int64
	SchoolName string
	SchoolYear string
	Stage      string
	Grade      int
	Class      string
	Boarding   *bool
	Status     string
	Level      string
}

// studentListOrder is the order of idx_enrolments_list: a page is read from
// the index and stops at its LIMIT. Within a class that is the order the
// school's roster listed its students in.
const studentListOrder = "e.school_id, e.school_year DESC, e.grade, e.class, e.student_id"

// ListStudents lists enrolments in the actor's scope, one row per student,
// school and year. The enrolments of a page are chosen from enrolments alone
// (joined to students only to filter by name or ID number) and only that
// page's rows are joined to their students and difficulty records; school
// names come from schoolsByID.
func (s *Students) ListStudents(ctx context.Context, a model.Actor, f StudentFilter) (List[StudentRow], error) {
	out := List[StudentRow]{Page: f.Page.Normalize()}
	if a.Is(model.RoleFinance) {
		return out, errRoleForbidden
	}
	if a.Is(model.RoleAdmin) {
		return out, errStudentData
	}
	db := s.reader(ctx)
	q, visible, err := s.studentQuery(db, a, f)
	if err != nil || !visible {
		return out, err
	}
	// Totals of unsearched lists are reused briefly (Options.CountCache):
	// paging through a county would otherwise count it on every page.
	searched := strings.TrimSpace(f.Q) != ""
	key, now := fmt.Sprintf("students|%s|%s|%d|%d|%s|%s", a.ScopeKind(), a.RegionCode, a.SchoolID, f.SchoolID, f.SchoolYear, f.Program), s.now()
	if n, ok := s.counts.get(key, now, s.opt.CountCache); ok && !searched {
		out.Total = n
	} else if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	} else if !searched {
		s.counts.put(key, out.Total, now, s.opt.CountCache)
	}
	if f.Sort != "" {
		out.Items, err = s.sortedStudentRows(db, out.Page.apply(q), f.Sort)
		return out, err
	}
	out.Items, err = s.studentRows(db, out.Page.apply(q.Select("e.id").Order(studentListOrder)))
	return out, err
}

// studentSorts are the orders a list can be asked in besides the index's,
// each ending on the enrolment's id so that pages never overlap. "so" is the
// students table, joined only for the name.
var studentSorts = map[string]string{
	"name":         "so.name, e.id",
	"-name":        "so.name DESC, e.id",
	"school_year":  "e.school_year, e.id",
	"-school_year": "e.school_year DESC, e.id",
	"grade":        "e.grade, e.id",
	"-grade":       "e.grade DESC, e.id",
	"class":        "e.class, e.id",
	"-class":       "e.class DESC, e.id",
}

// sortedStudentRows reads a page in another order than the index's: the
// page's enrolments in that order first, then their rows, put back in it.
func (s *Students) sortedStudentRows(db, page *gorm.DB, sort string) ([]StudentRow, error) {
	if strings.TrimPrefix(sort, "-") == "name" {
		page = page.Joins("JOIN students so ON so.id = e.student_id")
	}
	var keys []struct {
		ID         int64
		StudentID  int64
		SchoolID   int64
		SchoolYear string
	}
	if err := page.Select("e.id, e.student_id, e.school_id, e.school_year").Order(studentSorts[sort]).Scan(&keys).Error; err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return []StudentRow{}, nil
	}
	type key struct {
		student, school int64
		year            string
	}
	at := map[key]int{}
	ids := make([]int64, len(keys))
	for i, k := range keys {
		at[key{k.StudentID, k.SchoolID, k.SchoolYear}] = i
		ids[i] = k.ID
	}
	// In chunks: an export may hold more ids than SQLite takes in one query.
	items := make([]StudentRow, 0, len(ids))
	for chunk := range slices.Chunk(ids, 1000) {
		rows, err := s.studentRows(db, db.Table("enrolments e").Select("e.id").Where("e.id IN ?", chunk))
		if err != nil {
			return nil, err
		}
		items = append(items, rows...)
	}
	slices.SortFunc(items, func(x, y StudentRow) int {
		return cmp.Compare(at[key{x.StudentID, x.SchoolID, x.SchoolYear}], at[key{y.StudentID, y.SchoolID, y.SchoolYear}])
	})
	return items, nil
}

// studentRows reads the rows of the enrolments whose ids the query selects,
// in studentListOrder.
func (s *Students) studentRows(db *gorm.DB, ids *gorm.DB) ([]StudentRow, error) {
	var items []StudentRow
	if err := db.Table("(?) p", ids).
		Joins("JOIN enrolments e ON e.id = p.id").
		Joins("JOIN students st ON st.id = e.student_id").
		Joins("LEFT JOIN difficulty_records d ON d.student_id = e.student_id AND d.school_year = e.school_year").
		Select(`e.student_id, st.name, st.id_masked, st.sex, e.school_id, e.school_year, e.stage, e.grade, e.class,
		e.boarding, e.status, d.level`).
		Scan(&items).Error; err != nil {
		return nil, err
	}
	schoolIDs := make([]int64, len(items))
	for i, it := range items {
		schoolIDs[i] = it.SchoolID
	}
	schools, err := s.schoolsByID(db, schoolIDs)
	for i := range items {
		items[i].SchoolName = schools[items[i].SchoolID].Name
	}
	// The page's rows in studentListOrder, sorted here: an ORDER BY on the
	// joined page would cost the database a temporary table per request.
	slices.SortFunc(items, func(x, y StudentRow) int {
		return cmp.Or(cmp.Compare(x.SchoolID, y.SchoolID), -strings.Compare(x.SchoolYear, y.SchoolYear),
			cmp.Compare(x.Grade, y.Grade), strings.Compare(x.Class, y.Class), cmp.Compare(x.StudentID, y.StudentID))
	})
	return items, err
}

// studentQuery is GET /students's filter over enrolments e. With a school
// given, whether the actor sees it is decided here (visible false: an empty
// list), so the query needs no scope subquery.
func (s *Students) studentQuery(db *gorm.DB, a model.Actor, f StudentFilter) (*gorm.DB, bool, error) {
	if f.Sort != "" {
		if _, err := sortOrder(studentSorts, f.Sort); err != nil {
			return nil, false, err
		}
	}
	q := db.Table("enrolments e")
	if f.SchoolID != 0 {
		schools, err := s.schoolsByID(db, []int64{f.SchoolID})
		if err != nil {
			return nil, false, err
		}
		if sc, ok := schools[f.SchoolID]; !ok || !seesSchool(a, sc) {
			return nil, false, nil
		}
		q = q.Where("e.school_id = ?", f.SchoolID)
	} else {
		q = inScopeSchools(q, a, "e.school_id")
	}
	if f.SchoolYear != "" {
		q = q.Where("e.school_year = ?", f.SchoolYear)
	}
	if f.Program != "" {
		if _, ok := model.ProgramByCode(f.Program); !ok {
			return nil, false, invalid("未知资助项目 %q", truncateRunes(f.Program, 32))
		}
		// SUBSTR(term, 1, 9) is the term's school year on both engines.
		q = q.Where(`EXISTS (SELECT 1 FROM entitlements ent WHERE ent.student_id = e.student_id AND ent.program = ?
			AND ent.school_id = e.school_id AND SUBSTR(ent.term, 1, 9) = e.school_year)`, f.Program)
	}
	if qs := strings.TrimSpace(f.Q); qs != "" {
		if utf8.RuneCountInString(qs) > maxQueryRunes {
			return nil, false, invalid("查询内容不能超过 %d 个字（姓名或完整的身份证件号）", maxQueryRunes)
		}
		q = s.searchStudents(q.Joins("JOIN students s ON s.id = e.student_id"), "s", qs)
	}
	return q, true, nil
}

// maxQueryRunes bounds q: a name or an ID number is far shorter, and a long
// LIKE pattern is work (or an error) for the database.
const maxQueryRunes = 64

// StudentFile is the electronic file (电子档案) of one student.
type StudentFile struct {
	Student      model.Student
	Account      string // full account for finance and auditors, masked otherwise
	Enrolments   []EnrolmentView
	Difficulty   []model.DifficultyRecord
	Changes      []model.StudentChange
	Entitlements []EntitlementRow
	Payments     []Payment
	// AccountChange is the change a PATCH left waiting for a second officer.
	AccountChange *model.AccountChange
}

// EnrolmentView is an enrolment with its school's name, code and region.
type EnrolmentView struct {
	model.Enrolment
	SchoolName   string
	SchoolCode   string
	SchoolRegion string
}

// visibleStudent loads a student the actor may see: one with an enrolment
// at a school in scope.
func (s *Students) visibleStudent(tx *gorm.DB, a model.Actor, id int64) (model.Student, bool, error) {
	var st model.Student
	if err := tx.First(&st, id).Error; err != nil {
		return st, false, translate(err, "学生")
	}
	var n int64
	err := inScopeSchools(tx.Model(&model.Enrolment{}).Where("student_id = ?", id), a, "school_id").Count(&n).Error
	return st, n > 0, err
}

// GetStudentFile returns the whole file: identity, enrolments and difficulty
// records by year, entitlements and payments, and the change history. The
// enrolments come first: they decide whether the actor may see the file at
// all, without a query of their own.
func (s *Students) GetStudentFile(ctx context.Context, a model.Actor, id int64) (StudentFile, error) {
	db := s.db.WithContext(ctx)
	var f StudentFile
	if a.Is(model.RoleAdmin) {
		return f, errStudentData
	}
	if err := db.Table("enrolments e").
		Select("e.*, sc.name AS school_name, sc.code AS school_code, sc.region_code AS school_region").
		Joins("JOIN schools sc ON sc.id = e.school_id").Where("e.student_id = ?", id).
		Order("e.school_year DESC, e.id").Scan(&f.Enrolments).Error; err != nil {
		return f, err
	}
	if !slices.ContainsFunc(f.Enrolments, func(e EnrolmentView) bool {
		return seesSchool(a, model.School{ID: e.SchoolID, RegionCode: e.SchoolRegion})
	}) {
		return StudentFile{}, notFound("学生")
	}
	for i := range f.Enrolments {
		var err error
		if f.Enrolments[i].StudentNo, err = s.keys.Open(f.Enrolments[i].StudentNo); err != nil {
			return StudentFile{}, err
		}
	}
	if err := db.First(&f.Student, id).Error; err != nil {
		return StudentFile{}, translate(err, "学生")
	}
	f.Account = f.Student.AccountMasked
	if a.Is(model.RoleFinance, model.RoleAuditor) && f.Student.AccountEnc != "" {
		var err error
		if f.Account, err = s.keys.Open(f.Student.AccountEnc); err != nil {
			return f, err
		}
	}
	if err := db.Where("student_id = ?", id).Order("school_year DESC").Find(&f.Difficulty).Error; err != nil {
		return f, err
	}
	if err := db.Where("student_id = ?", id).Order("id DESC").Limit(500).Find(&f.Changes).Error; err != nil {
		return f, err
	}
	var err error
	if f.Entitlements, err = s.studentEntitlements(db, id); err != nil {
		return f, err
	}
	f.Payments, err = s.studentPayments(db, id)
	return f, err
}

// StudentPatch corrects a file; nil fields are left alone. Enrolment fields
// need SchoolYear and change that year's record at a school in scope.
type StudentPatch struct {
	Guardian    *string
	BankName    *string
	BankAccount *string
	Holder      *string
	Phone       *string
	SchoolYear  string
	Boarding    *bool
	Status      *string
	Class       *string
	Remark      *string
}

var enrolmentStatuses = model.EnrolmentStatuses

// PatchStudent applies corrections with history and audit in one transaction.
func (s *Students) PatchStudent(ctx context.Context, a model.Actor, id int64, p StudentPatch) (StudentFile, error) {
	if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer) {
		return StudentFile{}, errRoleForbidden
	}
	if err := checkPatchText(&p); err != nil {
		return StudentFile{}, err
	}
	var held *model.AccountChange
	err := s.tx(ctx, func(tx *gorm.DB) error {
		st, ok, err := s.visibleStudent(tx, a, id)
		if err != nil {
			return err
		}
		// Outside scope answers as a missing student does, so that ids
		// cannot be probed for which exist.
		if !ok {
			return notFound("学生")
		}
		if err := enrolledElsewhereNow(tx, a, id); err != nil {
			return err
		}
		var cs []change
		prior := st
		if err := s.patchIdentity(&st, p, &cs); err != nil {
			return err
		}
		if err := s.patchEnrolment(tx, a, id, p, &cs); err != nil {
			return err
		}
		if len(cs) == 0 {
			return nil
		}
		if held, err = s.holdAccountChange(tx, a, prior, st, cs); err != nil {
			return err
		}
		now := s.now()
		st.UpdatedAt = now
		if err := tx.Save(&st).Error; err != nil {
			return err
		}
		hist := make([]model.StudentChange, 0, len(cs))
		before, after := map[string]string{}, map[string]string{}
		for _, c := range cs {
			hist = append(hist, model.StudentChange{StudentID: id, At: now, ActorName: a.Username, Source: "edit",
				SchoolYear: c.year, Field: c.field, OldValue: c.old, NewValue: c.new})
			before[c.field], after[c.field] = c.old, c.new
		}
		if err := insertAll(tx, hist); err != nil {
			return err
		}
		return s.audit(tx, a, "update", "student", strconv.FormatInt(id, 10), before, after)
	})
	if err != nil {
		return StudentFile{}, err
	}
	f, err := s.GetStudentFile(ctx, a, id)
	f.AccountChange = held
	return f, err
}

func (s *Students) patchIdentity(st *model.Student, p StudentPatch, cs *[]change) error {
	if p.BankAccount != nil {
		acct := ""
		if strings.TrimSpace(*p.BankAccount) != "" {
			var err error
			if acct, err = model.ParseBankAccount(*p.BankAccount); err != nil {
				return invalid("银行卡号：%s", err.Error())
			}
		}
		if acct == "" || s.keys.Lookup("bank", acct) != st.AccountHash {
			masked := ""
			if acct != "" {
				masked = model.MaskBankAccount(acct)
			}
			track(cs, model.FieldBankAccount, "", st.AccountMasked, masked)
			s.setAccount(st, acct)
		}
	}
	if p.Phone != nil {
		phone := ""
		if strings.TrimSpace(*p.Phone) != "" {
			var err error
			if phone, err = model.ParsePhone(*p.Phone); err != nil {
				return invalid("联系电话：%s", err.Error())
			}
		}
		if phone == "" || s.keys.Lookup("phone", phone) != st.PhoneHash {
			track(cs, "联系电话", "", st.PhoneMasked, model.MaskPhone(phone))
			s.setPhone(st, phone)
		}
	}
	if p.Holder != nil && *p.Holder != "" && *p.Holder != model.HolderSelf && *p.Holder != model.HolderGuardian {
		return invalid("持卡人须为“本人”或“监护人”")
	}
	for _, f := range []struct {
		field string
		dst   *string
		v     *string
	}{{"监护人姓名", &st.Guardian, p.Guardian}, {"开户银行", &st.BankName, p.BankName}, {"持卡人", &st.Holder, p.Holder}} {
		if f.v != nil {
			v := strings.TrimSpace(*f.v)
			track(cs, f.field, "", *f.dst, v)
			*f.dst = v
		}
	}
	if st.Holder == model.HolderGuardian && st.Guardian == "" {
		return invalid("持卡人为监护人时须填写监护人姓名")
	}
	return nil
}

func (s *Students) patchEnrolment(tx *gorm.DB, a model.Actor, studentID int64, p StudentPatch, cs *[]change) error {
	if p.Boarding == nil && p.Status == nil && p.Class == nil && p.Remark == nil {
		return nil
	}
	if p.SchoolYear == "" {
		return invalid("修改寄宿、学籍状态、班级或备注时须指定学年（school_year）")
	}
	var e model.Enrolment
	err := inScopeSchools(tx.Where("student_id = ? AND school_year = ?", studentID, p.SchoolYear), a, "school_id").
		Order("id DESC").First(&e).Error
	if err != nil {
		return translate(err, p.SchoolYear+"学年的学籍记录")
	}
	if p.Status != nil && !contains(enrolmentStatuses, *p.Status) {
		return invalid("学籍状态须为 %s 之一", strings.Join(enrolmentStatuses, "、"))
	}
	n := len(*cs)
	if p.Boarding != nil {
		track(cs, "是否寄宿", p.SchoolYear, yesNo(e.Boarding), yesNo(p.Boarding))
		e.Boarding = p.Boarding
	}
	for _, f := range []struct {
		field string
		dst   *string
		v     *string
	}{{"学籍状态", &e.Status, p.Status}, {"班级", &e.Class, p.Class}, {"备注", &e.Remark, p.Remark}} {
		if f.v != nil {
			track(cs, f.field, p.SchoolYear, *f.dst, strings.TrimSpace(*f.v))
			*f.dst = strings.TrimSpace(*f.v)
		}
	}
	if len(*cs) == n {
		return nil
	}
	e.UpdatedAt = s.now()
	return tx.Save(&e).Error
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
