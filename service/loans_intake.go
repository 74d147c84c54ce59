package service

import (
	"errors"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"studentaid/model"
)

// loanIntake takes applications in sets, as the roster import does: what the
// rules read (the files of the persons, their other applications, their
// difficulty records, the year's deadline and figures) is loaded once per
// chunk, the rules run in memory, and the new rows are inserted in batches.
// A single application is a set of one, so both ways apply the same rules.
type loanIntake struct {
	s   *Loans
	tx  *gorm.DB
	a   model.Actor
	now time.Time

	deadlines  map[string]time.Time
	figures    map[string]model.LoanFigures
	students   map[string]*model.Student           // by ID hash; ID 0 until flushed
	apps       map[string][]*model.LoanApplication // by ID hash: on file and taken
	difficulty map[int64]string                    // the latest record's evidence by student
}

// takenApp is an application that passed the rules, waiting to be stored.
type takenApp struct {
	app      model.LoanApplication
	student  *model.Student
	returned bool // takes the place of the year's returned application
}

func (s *Loans) newIntake(tx *gorm.DB, a model.Actor) *loanIntake {
	return &loanIntake{s: s, tx: tx, a: a, now: s.now(), deadlines: map[string]time.Time{}, figures: map[string]model.LoanFigures{},
		students: map[string]*model.Student{}, apps: map[string][]*model.LoanApplication{}, difficulty: map[int64]string{}}
}

// load reads the files and applications of the persons of vs not yet known.
func (in *loanIntake) load(vs []validApplication) error {
	var hashes []string
	for _, v := range vs {
		if _, ok := in.students[v.hash]; !ok {
			in.students[v.hash] = nil
			hashes = append(hashes, v.hash)
		}
	}
	if len(hashes) == 0 {
		return nil
	}
	var found []*model.Student
	if err := in.tx.Where("id_hash IN ?", hashes).Find(&found).Error; err != nil {
		return err
	}
	byID := map[int64]string{}
	ids := make([]int64, 0, len(found))
	for _, st := range found {
		in.students[st.IDHash] = st
		byID[st.ID] = st.IDHash
		ids = append(ids, st.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	var apps []*model.LoanApplication
	if err := in.tx.Where("student_id IN ?", ids).Order("school_year").Find(&apps).Error; err != nil {
		return err
	}
	for _, l := range apps {
		in.apps[byID[l.StudentID]] = append(in.apps[byID[l.StudentID]], l)
	}
	var recs []model.DifficultyRecord
	if err := in.tx.Where("student_id IN ?", ids).Order("school_year").Find(&recs).Error; err != nil {
		return err
	}
	for _, r := range recs {
		in.difficulty[r.StudentID] = "认定：" + r.SchoolYear + model.LevelLabel(r.Level) // the latest year wins
	}
	return nil
}

func (in *loanIntake) yearRules(year string) (time.Time, model.LoanFigures, error) {
	d, ok := in.deadlines[year]
	if !ok {
		var err error
		if d, err = in.s.deadline(in.tx, year); err != nil {
			return d, model.LoanFigures{}, err
		}
		in.deadlines[year] = d
	}
	f, ok := in.figures[year]
	if !ok {
		var err error
		if f, err = figuresOn(in.tx, schoolYearStart(year)); err != nil {
			return d, f, err
		}
		in.figures[year] = f
	}
	return d, f, nil
}

// take applies POLICY.md's rules to a checked application: the deadline,
// the person's household county, one application per person and school
// year anywhere, the annual limit in force at the school year's start
// (tuition and accommodation first) and the cumulative limit.
func (in *loanIntake) take(v validApplication) (*takenApp, error) {
	req := v.in
	deadline, figs, err := in.yearRules(req.SchoolYear)
	if err != nil {
		return nil, err
	}
	if today := model.Civil(in.now.In(model.Shanghai()).Date()); today.After(deadline) {
		return nil, ruleErr("deadline_passed", "%s学年的贷款申请已于 %s 截止", req.SchoolYear, deadline.Format("2006-01-02"))
	}
	st := in.students[v.hash]
	if st != nil && st.Name != req.Name {
		return nil, ruleErr("name_mismatch", "姓名与电子档案中该身份证号的姓名不一致，请核对")
	}
	fileRegion := ""
	if st != nil {
		fileRegion = st.HomeRegion
	}
	// The file's household region, when it has one, is not overridden by
	// what an officer types: a move is corrected in the file first (audited).
	if fileRegion != "" && req.HomeRegion != "" && req.HomeRegion != fileRegion {
		return nil, newErr(CodeConflict, "home_region_differs", "电子档案中该学生的户籍地区为 %s，与填写的 %s 不一致；户籍已迁移的，请先在电子档案中更正户籍地区", fileRegion, req.HomeRegion)
	}
	home := firstNonEmpty(fileRegion, req.HomeRegion, v.id.RegionCode())
	if home != in.a.RegionCode {
		return nil, newErr(CodeForbidden, "not_home_county", "该学生户籍地（%s）不在本县（区），应向户籍所在县级资助中心申请", home)
	}
	var cumulative model.Fen
	var returned *model.LoanApplication
	kind := model.LoanFirst
	for _, o := range in.apps[v.hash] {
		switch {
		case o.SchoolYear == req.SchoolYear && o.Status == model.LoanReturned && o.RegionCode == in.a.RegionCode:
			returned = o // a returned application is taken again, corrected
		case o.SchoolYear == req.SchoolYear:
			return nil, newErr(CodeConflict, "loan_exists", "该学生%s学年已有贷款申请（每人每学年只能申请一次）", req.SchoolYear)
		case o.Status != model.LoanReturned:
			kind = model.LoanRenewal
			if o.Level == req.Level && o.EntryYear == req.EntryYear {
				cumulative += o.GrantedFen // the same course
			}
		}
	}
	limit := figs.Limit(req.Level)
	// The cumulative limit: the annual limit in force over the years of the
	// course. A new course (专升本, 研究生) is a new credit with its own limit.
	if remaining := limit*model.Fen(req.Years) - cumulative; remaining <= 0 {
		return nil, ruleErr("cumulative_limit", "该学生本学历阶段累计贷款 %s 元已达学制内累计额度 %s 元，不能再续贷",
			cumulative.Yuan(), (limit * model.Fen(req.Years)).Yuan())
	} else {
		limit = min(limit, remaining)
	}
	difficulty, err := in.evidence(st, req.Difficulty)
	if err != nil {
		return nil, err
	}
	if st == nil {
		st = in.s.newLoanStudent(v, in.now)
		in.students[v.hash] = st
	}
	school, living := model.LoanGrant(limit, req.TuitionFen, req.AccommodationFen, req.LivingFen)
	s := in.s
	t := &takenApp{student: st, returned: returned != nil, app: model.LoanApplication{SchoolYear: req.SchoolYear, RegionCode: home,
		Kind: kind, Name: req.Name, CoName: req.CoBorrower.Name, CoIDEnc: s.keys.Seal(v.coID.Value), CoIDHash: s.idLookup(v.coID),
		CoIDMasked: v.coID.Masked(), CoRelation: req.CoBorrower.Relation, CoPhoneEnc: s.keys.Seal(v.phone), CoPhoneMasked: model.MaskPhone(v.phone),
		University: req.University, UniversityCode: req.UniversityCode, Level: req.Level, Years: req.Years, EntryYear: req.EntryYear,
		TuitionFen: req.TuitionFen, AccommodationFen: req.AccommodationFen, LivingFen: req.LivingFen, LimitFen: figs.Limit(req.Level),
		GrantedFen: school + living, GrantedSchoolFen: school, GrantedLivingFen: living, Difficulty: difficulty,
		Status: model.LoanReceived, CreatedBy: actorName(in.a), CreatedAt: in.now, UpdatedAt: in.now}}
	if returned != nil {
		t.app.ID, t.app.CreatedBy, t.app.CreatedAt = returned.ID, returned.CreatedBy, returned.CreatedAt
		*returned = t.app
	} else {
		in.apps[v.hash] = append(in.apps[v.hash], &t.app)
	}
	return t, nil
}

// evidence is the family-difficulty evidence: a statement's type when given,
// else the latest difficulty record in the file.
func (in *loanIntake) evidence(st *model.Student, statement string) (string, error) {
	if statement != "" {
		if utf8.RuneCountInString(statement) > 40 {
			return "", fieldErr("difficulty", "家庭经济困难证明类型不超过 40 个字")
		}
		return "证明：" + statement, nil
	}
	if st != nil && in.difficulty[st.ID] != "" {
		return in.difficulty[st.ID], nil
	}
	return "", ruleErr("no_difficulty", "电子档案中没有该学生的家庭经济困难认定，请提供困难证明并填写其类型（difficulty）")
}

// newLoanStudent opens the electronic file of a person the service does not
// know yet: the same person is never a second record (uk_students_id).
func (s *Loans) newLoanStudent(v validApplication, now time.Time) *model.Student {
	st := &model.Student{IDType: string(v.id.Type), IDHash: v.hash, IDEnc: s.keys.Seal(v.id.Value), IDMasked: v.id.Masked(),
		Name: v.in.Name, HomeRegion: v.in.HomeRegion, CreatedAt: now, UpdatedAt: now}
	if bd, ok := v.id.BirthDate(); ok {
		st.BirthDate = &bd
	}
	if male, ok := v.id.Male(); ok {
		st.Sex = map[bool]string{true: "男", false: "女"}[male]
	}
	return st
}

// flush stores the taken applications in batches: the new files, the new
// applications (a returned one is updated in place) and their first events.
func (in *loanIntake) flush(taken []*takenApp) error {
	per := EngineOf(in.tx).loanInsertRows()
	var students []*model.Student
	for _, t := range taken {
		if t.student.ID == 0 && !containsStudent(students, t.student) {
			students = append(students, t.student)
		}
	}
	if len(students) > 0 {
		if err := in.tx.CreateInBatches(students, per).Error; err != nil {
			return translate(err, "学生")
		}
	}
	var fresh []*model.LoanApplication
	var events []model.LoanEvent
	for _, t := range taken {
		t.app.StudentID = t.student.ID
		if t.returned {
			if err := in.tx.Save(&t.app).Error; err != nil {
				return err
			}
			events = append(events, model.LoanEvent{ApplicationID: t.app.ID, At: in.now, Actor: actorName(in.a),
				FromStatus: model.LoanReturned, ToStatus: model.LoanReceived})
			continue
		}
		fresh = append(fresh, &t.app)
	}
	if len(fresh) > 0 {
		err := in.tx.CreateInBatches(fresh, per).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return newErr(CodeConflict, "loan_exists", "该学生本学年已有贷款申请（每人每学年只能申请一次）")
		}
		if err != nil {
			return err
		}
	}
	for _, l := range fresh {
		events = append(events, model.LoanEvent{ApplicationID: l.ID, At: in.now, Actor: actorName(in.a), ToStatus: model.LoanReceived})
	}
	if len(events) == 0 {
		return nil
	}
	return in.tx.CreateInBatches(events, per).Error
}

func containsStudent(list []*model.Student, st *model.Student) bool {
	for _, x := range list {
		if x == st {
			return true
		}
	}
	return false
}

// loanChunk is how many applications an import reads at once; how many
// rows one INSERT carries is the engine's (Engine.loanInsertRows).
const loanChunk = 1000

// takeAll runs a checked set through the rules chunk by chunk; bad rows come
// back by their index, the rest are stored.
func (in *loanIntake) takeAll(vs []validApplication, rowErr func(i int, err error) error) (int, error) {
	created := 0
	for start := 0; start < len(vs); start += loanChunk {
		chunk := vs[start:min(start+loanChunk, len(vs))]
		if err := in.load(chunk); err != nil {
			return created, err
		}
		var taken []*takenApp
		for i, v := range chunk {
			t, err := in.take(v)
			if err != nil {
				if err := rowErr(start+i, err); err != nil {
					return created, err
				}
				continue
			}
			taken = append(taken, t)
		}
		if err := in.flush(taken); err != nil {
			return created, err
		}
		created += len(taken)
	}
	return created, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
