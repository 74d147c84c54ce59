package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/roster"
)

// Cross-department matching (比对): a county officer uploads a list another
// department keeps (民政 低保/特困, 乡村振兴 脱贫/监测, 残联 disability
// certificates, death records) and the county's files are compared with it by
// the keyed hash of the normalised ID number. The list itself is not stored:
// only the hashes live in memory for the comparison, and only what a finding
// needs (our own student and their pending aid) is written.

// Matching list kinds.
const (
	MatchDibao      = "dibao"
	MatchPoverty    = "poverty"
	MatchDisability = "disability"
	MatchDeath      = "death"
)

type matchKind struct {
	code       string
	label      string
	categories []string // the difficulty categories the list stands for
	catLabel   string
}

var matchKinds = []matchKind{
	{MatchDibao, "民政低保/特困供养名单", []string{"农村低保", "城镇低保", "农村特困供养", "城镇特困供养"}, "低保或特困供养"},
	{MatchPoverty, "乡村振兴脱贫/监测对象名单", []string{"脱贫家庭(建档立卡)", "防返贫监测对象"}, "脱贫家庭或防返贫监测对象"},
	{MatchDisability, "残联残疾人证名单", []string{"残疾"}, "残疾"},
	{MatchDeath, "死亡人员名单", nil, ""},
}

func matchKindOf(code string) (matchKind, bool) {
	for _, k := range matchKinds {
		if k.code == code {
			return k, true
		}
	}
	return matchKind{}, false
}

// pendingAidStatuses are entitlements that may still be paid out.
var pendingAidStatuses = []string{model.EntDraft, model.EntReturned, model.EntSubmitted, model.EntApproved, model.EntBatched}

// MatchUpload is one POST /matching.
type MatchUpload struct {
	Kind       string
	SchoolYear string
	Filename   string
	File       io.ReaderAt
	Size       int64
}

// MatchRowError is a row of the list that could not be matched.
type MatchRowError struct {
	Row     int
	Column  string
	Value   string // masked
	Message string
}

// PendingAid is an entitlement that may still be paid.
type PendingAid struct {
	EntitlementID int64
	Program       string
	Term          string
	Status        string
	AmountFen     model.Fen
	SchoolID      int64
}

// MatchStudent is one of our students whose file disagrees with the list.
type MatchStudent struct {
	StudentID  int64
	Name       string
	IDMasked   string
	SchoolID   int64
	SchoolName string
	GradeText  string
	Status     string
	Level      string
	Categories string
	Problems   []string
	Pending    []PendingAid
}

// MatchResult is the report of one matching.
type MatchResult struct {
	Kind             string
	KindLabel        string
	SchoolYear       string
	Rows             int             // data rows in the file
	Invalid          []MatchRowError // rows whose ID number could not be read
	Matched          int             // distinct ID numbers that are students in scope
	Unmatched        int             // valid ID numbers that are not (not reported further)
	OnList           []MatchStudent  // on the list, and the file disagrees
	NotOnList        []MatchStudent  // marked in the file, not on the list
	NotOnListNote    string
	FindingsOpened   int // death-list findings stored as new or reopened
	FindingsResolved int
}

// maxMatchErrors caps the rows reported as unreadable.
const maxMatchErrors = 1000

// MatchDepartmentList compares a department's list with the files of the
// county officer's schools for a school year.
func (s *Matching) MatchDepartmentList(ctx context.Context, a model.Actor, up MatchUpload) (MatchResult, error) {
	res := MatchResult{Kind: up.Kind, SchoolYear: up.SchoolYear, OnList: []MatchStudent{}, NotOnList: []MatchStudent{}, Invalid: []MatchRowError{}}
	if !a.Is(model.RoleCountyOfficer) {
		return res, errRoleForbidden
	}
	kind, ok := matchKindOf(up.Kind)
	if !ok {
		return res, invalid("kind 须为 dibao（民政低保/特困）、poverty（脱贫/监测）、disability（残联）或 death（死亡）")
	}
	res.KindLabel = kind.label
	if model.ParseSchoolYear(up.SchoolYear) != nil {
		return res, invalid("school_year 格式应为 2025-2026")
	}
	list, err := roster.ReadDepartmentList(up.File, up.Size, roster.ListOptions{MaxBytes: s.opt.RosterMaxBytes,
		MaxRows: s.opt.RosterMaxRows, Now: s.opt.Now()})
	if err != nil {
		return res, departmentListError(err)
	}
	res.Rows = list.Rows
	for _, p := range list.Problems {
		res.Invalid = append(res.Invalid, MatchRowError(p))
	}
	hashes := make(map[string]string, len(list.People)) // id hash → name on the list
	for _, e := range list.People {
		hashes[s.idLookup(e.ID)] = e.Name
	}
	sum, err := fileSHA256(up.File, up.Size)
	if err != nil {
		return res, err
	}
	db := s.db.WithContext(ctx)
	onList, err := s.matchStudents(db, a, up.SchoolYear, mapKeys(hashes), nil)
	if err != nil {
		return res, err
	}
	res.Matched = len(onList)
	res.Unmatched = len(hashes) - len(onList)
	if kind.code == MatchDeath {
		if err := s.pendingAid(db, a, onList); err != nil {
			return res, err
		}
	}
	for _, st := range onList {
		if p := kind.problemsOnList(st, hashes[st.idHash]); len(p) > 0 {
			st.Problems = p
			res.OnList = append(res.OnList, st.MatchStudent)
		}
	}
	if kind.code != MatchDeath {
		marked, err := s.matchStudents(db, a, up.SchoolYear, nil, kind.categories)
		if err != nil {
			return res, err
		}
		for _, st := range marked {
			if _, on := hashes[st.idHash]; on || !hasAnyCategory(st.Categories, kind.categories) {
				continue
			}
			st.Problems = []string{fmt.Sprintf("档案中困难类型为“%s”，但不在%s上", st.Categories, kind.label)}
			res.NotOnList = append(res.NotOnList, st.MatchStudent)
		}
		res.NotOnListNote = "“不在名单上”只有在上传的是全县完整名单时才说明有问题：若只上传了部分乡镇或部分人员的名单，请忽略名单范围以外的学生。"
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if kind.code == MatchDeath {
			opened, resolved, err := s.storeDeathFindings(tx, res)
			if err != nil {
				return err
			}
			res.FindingsOpened, res.FindingsResolved = opened, resolved
		}
		return s.audit(tx, a, "match", "department_list", kind.code, nil, map[string]any{
			"kind": kind.code, "school_year": up.SchoolYear, "filename": truncateRunes(up.Filename, 100), "file_sha256": sum,
			"rows": res.Rows, "invalid": len(res.Invalid), "matched": res.Matched, "unmatched": res.Unmatched,
			"on_list_disagree": len(res.OnList), "not_on_list": len(res.NotOnList), "findings_opened": res.FindingsOpened})
	})
	if len(res.Invalid) > maxMatchErrors {
		res.Invalid = res.Invalid[:maxMatchErrors]
	}
	return res, err
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func hasAnyCategory(list string, cats []string) bool {
	for _, c := range cats {
		if hasCategory(list, c) {
			return true
		}
	}
	return false
}

// problemsOnList says how the file of a student on the list disagrees with it.
func (k matchKind) problemsOnList(st matchedStudent, listName string) []string {
	var out []string
	if listName != "" && st.Name != "" && listName != st.Name {
		out = append(out, "名单上的姓名与档案不一致，请核对是否同一人")
	}
	switch k.code {
	case MatchDeath:
		if st.Status != model.StatusDeceased {
			out = append(out, fmt.Sprintf("在死亡名单上，但学籍状态仍为“%s”", st.Status))
		}
		if len(st.Pending) > 0 {
			out = append(out, fmt.Sprintf("在死亡名单上，仍有 %d 笔待发放的资助", len(st.Pending)))
		}
		if len(out) == 1 && strings.HasPrefix(out[0], "名单上的姓名") {
			return nil // a death already recorded, with nothing pending: agreed
		}
	default:
		switch {
		case st.Level == "":
			out = append(out, fmt.Sprintf("在%s上，但未认定为家庭经济困难学生", k.label))
		case !hasAnyCategory(st.Categories, k.categories):
			out = append(out, fmt.Sprintf("在%s上，已认定困难，但困难类型未登记为%s", k.label, k.catLabel))
		}
	}
	return out
}

// matchedStudent is a student of the county with their file for the year.
type matchedStudent struct {
	MatchStudent
	idHash string
	region string
}

// matchStudents finds the students of the actor's schools enrolled in the
// year, either those with the given ID hashes or those whose difficulty
// categories mention one of cats. One query per chunk of hashes.
func (s *Matching) matchStudents(db *gorm.DB, a model.Actor, year string, hashes []string, cats []string) ([]matchedStudent, error) {
	type row struct {
		StudentID  int64
		IDHash     string
		Name       string
		IDMasked   string
		SchoolID   int64
		SchoolName string
		RegionCode string
		Stage      string
		Grade      int
		Status     string
		Level      string
		Categories string
	}
	base := func() *gorm.DB {
		q := db.Table("enrolments e").Select(`e.student_id, s.id_hash, s.name, s.id_masked, e.school_id, sc.name AS school_name,
			sc.region_code, e.stage, e.grade, e.status, COALESCE(d.level, '') AS level, COALESCE(d.categories, '') AS categories`).
			Joins("JOIN students s ON s.id = e.student_id").
			Joins("JOIN schools sc ON sc.id = e.school_id").
			Joins("LEFT JOIN difficulty_records d ON d.student_id = e.student_id AND d.school_year = e.school_year").
			Where("e.school_year = ?", year)
		return inScopeSchools(q, a, "e.school_id").Order("e.student_id, e.id")
	}
	var rows []row
	if cats != nil {
		var like []string
		var args []any
		for _, c := range cats {
			like = append(like, "d.categories LIKE ?")
			args = append(args, "%"+c+"%")
		}
		if err := base().Where("e.status IN ?", activeStatuses).Where(strings.Join(like, " OR "), args...).Scan(&rows).Error; err != nil {
			return nil, err
		}
	} else {
		for start := 0; start < len(hashes); start += rosterChunk {
			var part []row
			if err := base().Where("s.id_hash IN ?", hashes[start:min(start+rosterChunk, len(hashes))]).Scan(&part).Error; err != nil {
				return nil, err
			}
			rows = append(rows, part...)
		}
	}
	// A transferred student has two records for the year: the one that says
	// they are there (在读) speaks for the file.
	byStudent := map[int64]int{}
	var out []matchedStudent
	for _, r := range rows {
		m := matchedStudent{MatchStudent: MatchStudent{StudentID: r.StudentID, Name: r.Name, IDMasked: r.IDMasked,
			SchoolID: r.SchoolID, SchoolName: r.SchoolName, GradeText: model.GradeText(r.Stage, r.Grade), Status: r.Status,
			Level: r.Level, Categories: r.Categories}, idHash: r.IDHash, region: r.RegionCode}
		if i, ok := byStudent[r.StudentID]; ok {
			if out[i].Status != model.StatusEnrolled && r.Status == model.StatusEnrolled {
				out[i] = m
			}
			continue
		}
		byStudent[r.StudentID] = len(out)
		out = append(out, m)
	}
	return out, nil
}

// pendingAid adds each student's entitlements at schools in scope that may
// still be paid out.
func (s *Matching) pendingAid(db *gorm.DB, a model.Actor, sts []matchedStudent) error {
	idx := map[int64]int{}
	ids := make([]int64, len(sts))
	for i, st := range sts {
		idx[st.StudentID] = i
		ids[i] = st.StudentID
	}
	for _, chunk := range chunkIDs(ids, rosterChunk) {
		var rows []struct {
			PendingAid
			StudentID int64
		}
		q := db.Table("entitlements").Select("id AS entitlement_id, student_id, program, term, status, amount_fen, school_id").
			Where("student_id IN ? AND status IN ?", chunk, pendingAidStatuses)
		if err := inScopeSchools(q, a, "school_id").Order("student_id, term, program").Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			sts[idx[r.StudentID]].Pending = append(sts[idx[r.StudentID]].Pending, r.PendingAid)
		}
	}
	return nil
}

// storeDeathFindings records a finding for each student on the death list
// with aid pending. A death is not undone by a later list that leaves the
// student out; the finding resolves when the pending aid is revoked (at the
// next matching or scan).
func (s *Matching) storeDeathFindings(tx *gorm.DB, res MatchResult) (opened, resolved int, err error) {
	var found []finding
	for _, st := range res.OnList {
		if len(st.Pending) == 0 {
			continue
		}
		school := st.Pending[0].SchoolID
		var sch model.School
		if err := tx.First(&sch, school).Error; err != nil {
			return 0, 0, err
		}
		var parts []string
		pending := make([]map[string]any, 0, len(st.Pending))
		for _, p := range st.Pending {
			parts = append(parts, fmt.Sprintf("%s %s %s 元（%s）", p.Term, programName(p.Program), p.AmountFen.Yuan(), statusLabel[p.Status]))
			pending = append(pending, map[string]any{"entitlement_id": p.EntitlementID, "program": p.Program, "term": p.Term,
				"status": p.Status, "amount_fen": p.AmountFen, "school_id": p.SchoolID})
		}
		found = append(found, finding{rule: model.RuleMatchingDeath, key: fingerprint(model.RuleMatchingDeath, st.StudentID),
			region: sch.RegionCode, schoolYear: res.SchoolYear, schoolID: sch.ID, studentID: st.StudentID,
			summary: fmt.Sprintf("%s 在死亡人员名单上，仍有待发放的资助：%s", st.Name+"（"+st.IDMasked+"）", strings.Join(parts, "；")),
			details: map[string]any{"student_id": st.StudentID, "name": st.Name, "id_number": st.IDMasked, "school_id": sch.ID,
				"school_name": sch.Name, "enrolment_status": st.Status, "pending": pending, "list": "death", "school_year": res.SchoolYear}})
	}
	var d findingDiff
	now := s.now()
	if err := compareFindings(tx, found, map[string]bool{model.RuleMatchingDeath: true}, now, &d); err != nil {
		return 0, 0, err
	}
	d.resolve = nil // absence from this list proves nothing; see resolveMatchingDeath
	if err := d.write(tx, now); err != nil {
		return 0, 0, err
	}
	n, err := resolveMatchingDeath(tx, now)
	return len(d.inserts) + len(d.reopen), int(n), err
}

// resolveMatchingDeath resolves death-list findings whose student has no
// pending aid left (revoked, or paid before the list came).
func resolveMatchingDeath(tx *gorm.DB, now time.Time) (int64, error) {
	res := tx.Exec(`UPDATE anomalies SET status = ?, resolved_at = ?
		WHERE rule = ? AND status IN (?, ?) AND NOT EXISTS (
			SELECT 1 FROM entitlements ent WHERE ent.student_id = anomalies.student_id AND ent.status IN ?)`,
		model.AnomalyResolved, now, model.RuleMatchingDeath, model.AnomalyOpen, model.AnomalyExplained, pendingAidStatuses)
	return res.RowsAffected, res.Error
}

// departmentListError turns a problem with a department list's file into
// the service's error.
func departmentListError(err error) error {
	var fe *roster.FileError
	if errors.As(err, &fe) {
		return &Error{Code: fileErrorCode(fe.Kind), Reason: fe.Code, Message: fe.Message}
	}
	return err
}
