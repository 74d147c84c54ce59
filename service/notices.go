package service

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// NoticeSheet is a generated 公示 workbook with its period.
type NoticeSheet struct {
	Filename string
	Bytes    []byte
	List     model.AidList
}

// readableSchool loads a school the actor may see (404 otherwise).
func (s *core) readableSchool(tx *gorm.DB, a model.Actor, id int64) (model.School, error) {
	var sc model.School
	if err := tx.First(&sc, id).Error; err != nil {
		return sc, translate(err, "学校")
	}
	if !seesSchool(a, sc) {
		return model.School{}, notFound("学校")
	}
	return sc, nil
}

// Notice produces the public notice of a school's submitted list. The first
// download after a submission starts the notice period (POLICY.md: at least
// 5 working days, weekends and holidays not counted); approval waits for it.
func (s *Entitlements) Notice(ctx context.Context, a model.Actor, ref ListRef) (NoticeSheet, error) {
	var out NoticeSheet
	if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer, model.RoleAuditor) {
		return out, errRoleForbidden
	}
	p, term, err := listRequest(ref.Program, ref.Term)
	if err != nil {
		return out, err
	}
	if ref.SchoolID == 0 && a.ScopeKind() == "school" {
		ref.SchoolID = a.SchoolID
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.readableSchool(tx, a, ref.SchoolID)
		if err != nil {
			return err
		}
		var list model.AidList
		if err := tx.Where("school_id = ? AND program = ? AND term = ?", sc.ID, p.Code, string(term)).First(&list).Error; err != nil {
			return ruleErr("not_submitted", "该校名单尚未提交，提交后才能公示")
		}
		var rows []struct {
			Name      string
			Stage     string
			Grade     int
			Class     string
			Level     string
			Rule      string
			AmountFen model.Fen
		}
		if err := tx.Table("entitlements ent").Select("s.name, ent.stage, ent.grade, e.class, ent.level, ent.rule, ent.amount_fen").
			Joins("JOIN students s ON s.id = ent.student_id").
			Joins("LEFT JOIN enrolments e ON e.student_id = ent.student_id AND e.school_id = ent.school_id AND e.school_year = ?", term.SchoolYear()).
			Where("ent.list_id = ? AND ent.status IN ?", list.ID, []string{model.EntSubmitted, model.EntApproved, model.EntBatched, model.EntPaid}).
			Order("ent.grade, e.class, s.name, ent.id").Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 || list.SubmittedAt == nil {
			return ruleErr("not_submitted", "该校名单尚未提交，提交后才能公示")
		}
		if list.NoticeStartedAt == nil || list.NoticeStartedAt.Before(*list.SubmittedAt) {
			if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer) {
				return ruleErr("notice_not_started", "学校尚未开始公示")
			}
			now := s.now()
			ends := model.WorkdayCalendar{Holidays: s.opt.Holidays, ExtraWorkdays: s.opt.ExtraWorkdays}.
				AddWorkingDays(now, s.opt.NoticeWorkingDays)
			list.NoticeStartedAt, list.NoticeEndsAt, list.UpdatedAt = &now, &ends, now
			if err := tx.Save(&list).Error; err != nil {
				return err
			}
			if err := s.audit(tx, a, "start_notice", "aid_list", strconv.FormatInt(list.ID, 10), nil, map[string]any{
				"school_id": sc.ID, "program": p.Code, "term": string(term), "rows": len(rows), "ends_at": ends}); err != nil {
				return err
			}
		} else if err := s.audit(tx, a, "download", "notice", strconv.FormatInt(list.ID, 10), nil, map[string]any{"rows": len(rows)}); err != nil {
			return err
		}
		n := ledger.Notice{SchoolName: sc.Name, ProgramName: p.Name, Term: term, Start: *list.NoticeStartedAt,
			End: *list.NoticeEndsAt, WorkingDays: s.opt.NoticeWorkingDays}
		for _, r := range rows {
			tier := noticeTier(p.Tiered, r.Level, r.Rule)
			n.Rows = append(n.Rows, ledger.NoticeRow{Name: r.Name, Grade: model.GradeText(r.Stage, r.Grade), Class: r.Class, Tier: tier, Amount: r.AmountFen})
		}
		var buf bytes.Buffer
		if err := ledger.WriteNotice(&buf, n); err != nil {
			return err
		}
		out = NoticeSheet{Filename: sc.Name + string(term) + p.Name + "公示.xlsx", Bytes: buf.Bytes(), List: list}
		return nil
	})
	return out, err
}

// noticeTier is the 档次 cell of the 公示 sheet. A student eligible without a
// difficulty level (涉农, 连片) gets the base amount; a blank cell would read
// as a missing identification to the public, so the reason is shown.
func noticeTier(tiered bool, level, rule string) string {
	switch {
	case !tiered:
		return "—"
	case level != "":
		return model.LevelLabel(level)
	case rule == "涉农专业":
		return "涉农专业"
	case strings.HasPrefix(rule, "连片特困地区"):
		return "连片特困地区"
	}
	return model.LevelLabel(level)
}

// ObjectionInput is an objection raised during the notice.
type ObjectionInput struct {
	ListRef
	StudentID int64
	Content   string
}

// RecordObjection keeps who raised what against a student on a list under
// notice; the county sees it on its approval list.
func (s *Entitlements) RecordObjection(ctx context.Context, a model.Actor, in ObjectionInput) (model.Objection, error) {
	var o model.Objection
	if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer) {
		return o, errRoleForbidden
	}
	in.Content = strings.TrimSpace(in.Content)
	if in.Content == "" || len([]rune(in.Content)) > 500 {
		return o, invalid("请填写异议内容（不超过 500 字）")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var ent model.Entitlement
		err := inScopeSchools(tx.Where("student_id = ? AND program = ? AND term = ?", in.StudentID, in.Program, in.Term), a, "school_id").
			First(&ent).Error
		if err != nil {
			return translate(err, "该学生的资助记录")
		}
		o = model.Objection{ListID: ent.ListID, StudentID: in.StudentID, Content: in.Content, RecordedBy: a.Username, CreatedAt: s.now()}
		if err := tx.Create(&o).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "create", "objection", strconv.FormatInt(o.ID, 10), nil, map[string]any{
			"student_id": in.StudentID, "program": in.Program, "term": in.Term, "content": in.Content})
	})
	return o, err
}

// QuotaInput sets a school's 指标 for a program and term; nil clears a limit.
type QuotaInput struct {
	ListRef
	MaxCount  *int
	BudgetFen *model.Fen
}

// SetQuota is for county officers within their county.
func (s *Entitlements) SetQuota(ctx context.Context, a model.Actor, in QuotaInput) (model.AidList, error) {
	var list model.AidList
	if !a.Is(model.RoleCountyOfficer) {
		return list, errRoleForbidden
	}
	if _, _, err := listRequest(in.Program, in.Term); err != nil {
		return list, err
	}
	if (in.MaxCount != nil && *in.MaxCount < 0) || (in.BudgetFen != nil && *in.BudgetFen < 0) {
		return list, invalid("名额和预算不能为负数")
	}
	if _, err := s.writableSchools(ctx, a, in.SchoolID); err != nil {
		return list, err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if list, err = s.lockList(tx, in.SchoolID, in.Program, in.Term); err != nil {
			return err
		}
		before := map[string]any{"max_count": list.MaxCount, "budget_fen": list.BudgetFen}
		list.MaxCount, list.BudgetFen, list.UpdatedAt = in.MaxCount, in.BudgetFen, s.now()
		if err := tx.Save(&list).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "set_quota", "aid_list", strconv.FormatInt(list.ID, 10), before,
			map[string]any{"max_count": in.MaxCount, "budget_fen": in.BudgetFen})
	})
	return list, err
}

// ListQuotas lists the schools' lists (with quota and notice) in scope.
func (s *Entitlements) ListQuotas(ctx context.Context, a model.Actor, program, term string) ([]model.AidList, error) {
	var out []model.AidList
	q := inScopeSchools(s.db.WithContext(ctx).Model(&model.AidList{}), a, "school_id")
	if program != "" {
		q = q.Where("program = ?", program)
	}
	if term != "" {
		q = q.Where("term = ?", term)
	}
	return out, q.Order("term DESC, program, school_id").Find(&out).Error
}
