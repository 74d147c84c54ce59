package service

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// accountFields are the changes that redirect a payment.
var accountFields = map[string]bool{"银行卡号": true, "开户银行": true, "持卡人": true}

// holdAccountChange records a pending account change when a write changes
// where a student with approved, unpaid aid is paid (POLICY.md "Who may
// change a student"): one officer alone must not be able to send aid to a
// new account. The aid stays out of batches until another officer of the
// county confirms. It returns nil when nothing needs holding.
func (s *Students) holdAccountChange(tx *gorm.DB, a model.Actor, before, after model.Student, cs []change) (*model.AccountChange, error) {
	changed := false
	for _, c := range cs {
		changed = changed || accountFields[c.field]
	}
	if !changed {
		return nil, nil
	}
	var held struct {
		Fen    model.Fen
		Region string
	}
	if err := tx.Raw(`SELECT COALESCE(SUM(q.fen), 0) AS fen, COALESCE(MIN(q.region), '') AS region FROM (
		SELECT ent.amount_fen AS fen, sc.region_code AS region FROM entitlements ent JOIN schools sc ON sc.id = ent.school_id
		WHERE ent.student_id = ? AND ent.status = ?
		UNION ALL
		SELECT adj.amount_fen, sc.region_code FROM adjustments adj JOIN entitlements ent ON ent.id = adj.entitlement_id
		JOIN schools sc ON sc.id = ent.school_id WHERE ent.student_id = ? AND adj.status = ? AND adj.amount_fen > 0) q`,
		before.ID, model.EntApproved, before.ID, model.AdjApproved).Scan(&held).Error; err != nil {
		return nil, err
	}
	if held.Fen == 0 {
		return nil, nil
	}
	ac := &model.AccountChange{StudentID: before.ID, RegionCode: held.Region, OldBankName: before.BankName,
		OldAccountEnc: before.AccountEnc, OldAccountHash: before.AccountHash, OldAccountMasked: before.AccountMasked,
		OldHolder: before.Holder, NewBankName: after.BankName, NewAccountMasked: after.AccountMasked, NewHolder: after.Holder,
		HeldFen: held.Fen, Status: model.AccountChangePending, MadeByID: a.UserID, MadeBy: actorName(a), MadeAt: s.now()}
	if err := tx.Create(ac).Error; err != nil {
		return nil, err
	}
	return ac, s.audit(tx, a, "create", "account_change", strconv.FormatInt(ac.ID, 10), nil, accountChangeAudit(*ac))
}

func accountChangeAudit(ac model.AccountChange) map[string]any {
	return map[string]any{"student_id": ac.StudentID, "old_account": ac.OldAccountMasked, "new_account": ac.NewAccountMasked,
		"old_holder": ac.OldHolder, "new_holder": ac.NewHolder, "held_fen": ac.HeldFen, "status": ac.Status}
}

// AccountChangeRow is a change with the student's name and masked ID.
type AccountChangeRow struct {
	model.AccountChange
	Name     string
	IDMasked string
}

// ListAccountChanges lists account changes of the actor's county or city.
func (s *Students) ListAccountChanges(ctx context.Context, a model.Actor, status string, page Page) (List[AccountChangeRow], error) {
	out := List[AccountChangeRow]{Page: page.Normalize()}
	if !a.Is(model.RoleCountyOfficer, model.RoleAuditor) {
		return out, errRoleForbidden
	}
	q := s.reader(ctx).Table("account_changes ac").Joins("JOIN students st ON st.id = ac.student_id")
	if a.ScopeKind() != "all" {
		q = q.Where("ac.region_code LIKE ?", model.RegionPrefix(a.RegionCode)+"%")
	}
	if status != "" {
		q = q.Where("ac.status = ?", status)
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	err := out.Page.apply(q.Select("ac.*, st.name, st.id_masked").Order("ac.id")).Scan(&out.Items).Error
	return out, err
}

// ConfirmAccountChange releases the held aid to the next batch.
func (s *Students) ConfirmAccountChange(ctx context.Context, a model.Actor, id int64) (model.AccountChange, error) {
	return s.decideAccountChange(ctx, a, id, model.AccountChangeConfirmed, "")
}

// RejectAccountChange restores the old account and holder.
func (s *Students) RejectAccountChange(ctx context.Context, a model.Actor, id int64, reason string) (model.AccountChange, error) {
	return s.decideAccountChange(ctx, a, id, model.AccountChangeRejected, strings.TrimSpace(reason))
}

func (s *Students) decideAccountChange(ctx context.Context, a model.Actor, id int64, to, reason string) (model.AccountChange, error) {
	var ac model.AccountChange
	if !a.Is(model.RoleCountyOfficer) {
		return ac, errRoleForbidden
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&ac, id).Error; err != nil {
			return translate(err, "账户变更")
		}
		switch {
		case !model.RegionCovers(a.RegionCode, ac.RegionCode):
			return notFound("账户变更")
		case ac.MadeByID == a.UserID:
			return newErr(CodeForbidden, "same_officer", "账户变更须由本县另一名资助专干确认，不能由提交变更的人确认")
		case ac.Status != model.AccountChangePending:
			return conflict("该账户变更已处理（%s）", model.AccountChangeStatusLabel(ac.Status))
		case to == model.AccountChangeRejected && reason == "":
			return invalid("驳回须填写原因（reason）")
		}
		now := s.now()
		ac.Status, ac.DecidedBy, ac.DecidedAt, ac.Reason = to, actorName(a), &now, truncateRunes(reason, 250)
		if err := tx.Save(&ac).Error; err != nil {
			return err
		}
		if to == model.AccountChangeRejected {
			if err := s.restoreAccount(tx, a, ac, now); err != nil {
				return err
			}
		}
		return s.audit(tx, a, to, "account_change", strconv.FormatInt(ac.ID, 10), nil, accountChangeAudit(ac))
	})
	return ac, err
}

// restoreAccount puts the old account back, with the history of the file.
func (s *Students) restoreAccount(tx *gorm.DB, a model.Actor, ac model.AccountChange, now time.Time) error {
	if err := tx.Model(&model.Student{}).Where("id = ?", ac.StudentID).Updates(map[string]any{"bank_name": ac.OldBankName,
		"account_enc": ac.OldAccountEnc, "account_hash": ac.OldAccountHash, "account_masked": ac.OldAccountMasked,
		"holder": ac.OldHolder, "updated_at": now}).Error; err != nil {
		return err
	}
	return tx.Create(&model.StudentChange{StudentID: ac.StudentID, At: now, ActorName: a.Username, Source: "account_change",
		Field: "银行卡号", OldValue: ac.NewAccountMasked, NewValue: ac.OldAccountMasked + "（变更被驳回，恢复原账户）"}).Error
}
