package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// TransferRequest is POST /transfers: the receiving school (its own for a
// school officer) asks for a student by the ID number the roster row gave.
type TransferRequest struct {
	IDType     string
	IDNumber   string
	SchoolID   int64
	SchoolYear string
	Note       string
}

// TransferRow is a transfer request as the actor may see it: the current
// school's name is withheld from another county (POLICY.md "Who may change a
// student"), and CanDecide says whether the actor is the one to answer.
type TransferRow struct {
	model.Transfer
	Name           string
	IDMasked       string
	FromSchoolName string
	ToSchoolName   string
	CanDecide      bool
}

// RequestTransfer records a transfer request (转学申请) for a student
// enrolled this school year at another school, which a roster row of the
// receiving school was refused for. Nothing in the student's file changes
// until the current school or its county accepts it.
func (s *Students) RequestTransfer(ctx context.Context, a model.Actor, req TransferRequest) (TransferRow, error) {
	var out TransferRow
	if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer) {
		return out, errRoleForbidden
	}
	if a.ScopeKind() == "school" {
		req.SchoolID = a.SchoolID
	}
	if err := model.ParseSchoolYear(req.SchoolYear); err != nil {
		return out, invalid("学年格式应为 2025-2026")
	}
	id, err := s.transferID(req)
	if err != nil {
		return out, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		to, err := s.readableSchool(tx, a, req.SchoolID)
		if err != nil {
			return err
		}
		var st model.Student
		if err := tx.Where("id_hash = ?", s.idLookup(id)).First(&st).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return notFound("该身份证件号的学生档案（未在任何学校注册的学生可直接上传花名册）")
			}
			return err
		}
		var cur model.Enrolment
		err = tx.Where("student_id = ? AND school_year = ? AND status <> ? AND school_id <> ?", st.ID, req.SchoolYear,
			statusTransferredOut, to.ID).Order("id").First(&cur).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return conflict("该生%s学年未在其他学校注册，可直接上传花名册", req.SchoolYear)
		} else if err != nil {
			return err
		}
		var open int64
		if err := tx.Model(&model.Transfer{}).Where("student_id = ? AND school_year = ? AND to_school_id = ? AND status = ?",
			st.ID, req.SchoolYear, to.ID, model.TransferPending).Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return conflict("该生已有待确认的转学申请，请等待原学校或其县级资助中心处理")
		}
		t := model.Transfer{StudentID: st.ID, SchoolYear: req.SchoolYear, FromSchoolID: cur.SchoolID, ToSchoolID: to.ID,
			Status: model.TransferPending, Note: truncateRunes(strings.TrimSpace(req.Note), 250), RequestedBy: a.Username, RequestedAt: s.now()}
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		if err := s.audit(tx, a, "request", "transfer", strconv.FormatInt(t.ID, 10), nil, map[string]any{"student_id": st.ID,
			"school_year": t.SchoolYear, "from_school_id": t.FromSchoolID, "to_school_id": t.ToSchoolID}); err != nil {
			return err
		}
		out, err = s.transferRow(tx, a, t.ID)
		return err
	})
	return out, err
}

// transferID reads the ID number as a roster row would: a resident ID
// declared as another document type is the same person.
func (s *Students) transferID(req TransferRequest) (model.IDNumber, error) {
	t, err := model.ParseIDType(req.IDType)
	if err != nil {
		return model.IDNumber{}, invalid("身份证件类型：%s", err.Error())
	}
	if rid, ok := model.AsResidentID(t, req.IDNumber, s.now()); ok {
		return rid, nil
	}
	id, err := model.ParseIDNumber(t, req.IDNumber, s.now())
	if err != nil {
		return id, invalid("身份证件号：%s", err.Error())
	}
	return id, nil
}

// ListTransfers lists the transfer requests to or from schools in scope.
func (s *Students) ListTransfers(ctx context.Context, a model.Actor, status string, page Page) (List[TransferRow], error) {
	out := List[TransferRow]{Page: page.Normalize()}
	if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer) {
		return out, errRoleForbidden
	}
	db := s.reader(ctx)
	from := inScopeSchools(db.Model(&model.Transfer{}).Select("id"), a, "from_school_id")
	to := inScopeSchools(db.Model(&model.Transfer{}).Select("id"), a, "to_school_id")
	q := db.Model(&model.Transfer{}).Where("id IN (?) OR id IN (?)", from, to)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	var ts []model.Transfer
	if err := out.Page.apply(q.Order("id DESC")).Find(&ts).Error; err != nil {
		return out, err
	}
	for _, t := range ts {
		row, err := s.rowOf(db, a, t)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, row)
	}
	return out, nil
}

// AcceptTransfer lets the student go: the current school's enrolment of the
// year becomes 转出, so the receiving school's roster can enrol the student.
// Aid already approved stays where it is (one program once per term).
func (s *Students) AcceptTransfer(ctx context.Context, a model.Actor, id int64) (TransferRow, error) {
	return s.decideTransfer(ctx, a, id, model.TransferAccepted, "")
}

// RejectTransfer refuses a transfer request with a reason; nothing changes.
func (s *Students) RejectTransfer(ctx context.Context, a model.Actor, id int64, reason string) (TransferRow, error) {
	return s.decideTransfer(ctx, a, id, model.TransferRejected, strings.TrimSpace(reason))
}

func (s *Students) decideTransfer(ctx context.Context, a model.Actor, id int64, to, reason string) (TransferRow, error) {
	var out TransferRow
	if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer) {
		return out, errRoleForbidden
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		row, err := s.transferRow(tx, a, id)
		if err != nil {
			return err
		}
		if !row.CanDecide {
			return forbidden("转学申请须由学生现就读学校或其县级资助中心确认")
		}
		if row.Status != model.TransferPending {
			return conflict("该转学申请已%s，不能重复处理", map[string]string{model.TransferAccepted: "同意", model.TransferRejected: "被驳回"}[row.Status])
		}
		if to == model.TransferRejected && reason == "" {
			return invalid("请填写不同意转学的原因")
		}
		now := s.now()
		res := tx.Model(&model.Transfer{}).Where("id = ? AND status = ?", id, model.TransferPending).
			Updates(map[string]any{"status": to, "decided_by": a.Username, "decided_at": now, "reason": truncateRunes(reason, 250)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return conflict("该转学申请已由他人处理，请刷新")
		}
		if to == model.TransferAccepted {
			if err := s.releaseEnrolment(tx, a, row.Transfer, now); err != nil {
				return err
			}
		}
		if err := s.audit(tx, a, map[string]string{model.TransferAccepted: "accept", model.TransferRejected: "reject"}[to], "transfer",
			strconv.FormatInt(id, 10), map[string]any{"status": model.TransferPending},
			map[string]any{"status": to, "reason": reason, "student_id": row.StudentID}); err != nil {
			return err
		}
		out, err = s.transferRow(tx, a, id)
		return err
	})
	return out, err
}

// releaseEnrolment marks the year's enrolment at the current school 转出,
// with a line in the student's history.
func (s *Students) releaseEnrolment(tx *gorm.DB, a model.Actor, t model.Transfer, now time.Time) error {
	var e model.Enrolment
	err := tx.Where("student_id = ? AND school_year = ? AND school_id = ?", t.StudentID, t.SchoolYear, t.FromSchoolID).
		Order("id DESC").First(&e).Error
	if err != nil {
		return translate(err, t.SchoolYear+"学年的学籍记录")
	}
	if e.Status == statusTransferredOut {
		return nil
	}
	old := e.Status
	if err := tx.Model(&e).Updates(map[string]any{"status": statusTransferredOut, "updated_at": now}).Error; err != nil {
		return err
	}
	return tx.Create(&model.StudentChange{StudentID: t.StudentID, At: now, ActorName: a.Username, Source: "transfer",
		SchoolYear: t.SchoolYear, Field: "学籍状态", OldValue: old, NewValue: statusTransferredOut}).Error
}

// transferRow reads one request the actor may see (either end in scope).
func (s *Students) transferRow(tx *gorm.DB, a model.Actor, id int64) (TransferRow, error) {
	var t model.Transfer
	if err := tx.First(&t, id).Error; err != nil {
		return TransferRow{}, translate(err, "转学申请")
	}
	return s.rowOf(tx, a, t)
}

func (s *Students) rowOf(tx *gorm.DB, a model.Actor, t model.Transfer) (TransferRow, error) {
	schools, err := s.schoolsByID(tx, []int64{t.FromSchoolID, t.ToSchoolID})
	if err != nil {
		return TransferRow{}, err
	}
	from, to := schools[t.FromSchoolID], schools[t.ToSchoolID]
	seesFrom, seesTo := seesSchool(a, from), seesSchool(a, to)
	if !seesFrom && !seesTo {
		return TransferRow{}, notFound("转学申请")
	}
	var st model.Student
	if err := tx.Select("id, name, id_masked").First(&st, t.StudentID).Error; err != nil {
		return TransferRow{}, err
	}
	row := TransferRow{Transfer: t, Name: st.Name, IDMasked: st.IDMasked, ToSchoolName: to.Name, CanDecide: seesFrom}
	if seesFrom || from.RegionCode == to.RegionCode {
		row.FromSchoolName = from.Name
	} else {
		row.FromSchoolName = "外县学校"
	}
	return row, nil
}
