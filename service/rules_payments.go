package service

import (
	"fmt"
	"time"

	"studentaid/model"
)

// Anomaly rules about getting the money out: repeated failed payments
// (rule 8) and approved aid or batches left unpaid (rule 9, 滞留).

// Rule 8: payments that failed two or more times to the same account. Counted
// per account, whoever the lines were for: an account that fails for two
// students (siblings on a guardian's card) is as wrong as one failing twice
// for one student, and the fix is the same, so it is one finding.

func (sc *anomalyScan) repeatedFailures() error {
	var rows []struct {
		AccountHash   string
		AccountMasked string
		N             int
		Students      int
		StudentID     int64
		SchoolID      int64
		Term          string
		LastReason    string
	}
	if err := sc.db.Table("batch_lines bl").Select(`bl.account_hash, MAX(bl.account_masked) AS account_masked,
			COUNT(*) AS n, COUNT(DISTINCT bl.student_id) AS students, MAX(bl.student_id) AS student_id,
			MAX(bl.school_id) AS school_id, MAX(b.term) AS term, MAX(bl.fail_reason) AS last_reason`).
		Joins("JOIN batches b ON b.id = bl.batch_id").
		// A failed line gives up its open_entitlement_id: the NULL range of
		// that unique key holds the failed lines and the top-ups, a few
		// among all the lines.
		Where("bl.open_entitlement_id IS NULL AND bl.status = ?", model.LineFailed).
		Group("bl.account_hash").Having("COUNT(*) >= ?", sc.th.FailedPayments).Scan(&rows).Error; err != nil {
		return err
	}
	students, err := studentsOf(sc, rows, func(i int) int64 { return rows[i].StudentID })
	if err != nil {
		return err
	}
	for _, r := range rows {
		st, sch := students[r.StudentID], sc.school(r.SchoolID)
		d := studentDetail(st, sch)
		d["account"], d["failures"], d["students"], d["fail_reason"] = r.AccountMasked, r.N, r.Students, r.LastReason
		who := personOf(st) + " 的资助"
		if r.Students > 1 {
			who = fmt.Sprintf("%s 等 %d 名学生的资助", personOf(st), r.Students)
		}
		sc.add(finding{rule: model.RuleRepeatedFailure, key: fingerprint(model.RuleRepeatedFailure, r.AccountHash),
			region: sch.RegionCode, schoolYear: model.Term(r.Term).SchoolYear(), term: r.Term, schoolID: sch.ID, studentID: r.StudentID,
			summary: fmt.Sprintf("%s向账户 %s 发放失败 %d 次（%s），请核实账户", who, r.AccountMasked, r.N, r.LastReason),
			details: d})
	}
	return nil
}

// Rule 9: 滞留. Approved aid not in a batch N days after approval, per school
// list; and approved batches not paid N days after approval. The cut-off is
// computed from the service clock and passed as a parameter.

func (sc *anomalyScan) staleApproved() error {
	cutoff := sc.now.AddDate(0, 0, -sc.th.StaleDays)
	var rows []struct {
		ListID   int64
		SchoolID int64
		Program  string
		Term     string
		N        int
		TotalFen model.Fen
		Oldest   string // MIN of a time: SQLite answers text, MySQL a time
	}
	if err := sc.db.Table("entitlements").Select(`list_id, school_id, program, term, COUNT(*) AS n, SUM(amount_fen) AS total_fen,
			MIN(approved_at) AS oldest`).
		Where("status = ? AND approved_at < ?", model.EntApproved, cutoff).
		Group("list_id, school_id, program, term").Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		sch := sc.school(r.SchoolID)
		oldest := parseDBTime(r.Oldest).In(model.Shanghai()).Format("2006-01-02")
		sc.add(finding{rule: model.RuleStaleApproved, key: fingerprint(model.RuleStaleApproved, r.ListID),
			region: sch.RegionCode, schoolYear: model.Term(r.Term).SchoolYear(), term: r.Term, schoolID: sch.ID,
			summary: fmt.Sprintf("%s %s 学期%s有 %d 人 %s 元自 %s 审核通过后超过 %d 天未纳入发放批次", sch.Name, r.Term,
				programName(r.Program), r.N, r.TotalFen.Yuan(), oldest, sc.th.StaleDays),
			details: map[string]any{"school_id": sch.ID, "school_name": sch.Name, "program": r.Program, "term": r.Term,
				"entitlements": r.N, "total_fen": r.TotalFen, "approved_since": oldest, "list_id": r.ListID}})
	}
	return nil
}

// staleTopUps is rule 9 for approved 补发: a top-up is owed money like an
// approved entitlement, and one left out of batches past the limit is as
// stuck. One finding per school, program and term, as for the lists.
func (sc *anomalyScan) staleTopUps() error {
	cutoff := sc.now.AddDate(0, 0, -sc.th.StaleDays)
	var rows []struct {
		SchoolID int64
		Program  string
		Term     string
		N        int
		TotalFen model.Fen
		Oldest   string // MIN of a time: SQLite answers text, MySQL a time
	}
	if err := sc.db.Table("adjustments adj").Select(`ent.school_id, ent.program, ent.term, COUNT(*) AS n,
			SUM(adj.amount_fen) AS total_fen, MIN(adj.approved_at) AS oldest`).
		Joins("JOIN entitlements ent ON ent.id = adj.entitlement_id").
		Where("adj.status = ? AND adj.amount_fen > 0 AND adj.approved_at < ?", model.AdjApproved, cutoff).
		Group("ent.school_id, ent.program, ent.term").Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		sch := sc.school(r.SchoolID)
		oldest := parseDBTime(r.Oldest).In(model.Shanghai()).Format("2006-01-02")
		sc.add(finding{rule: model.RuleStaleApproved, key: fingerprint(model.RuleStaleApproved, "top-up", r.SchoolID, r.Program, r.Term),
			region: sch.RegionCode, schoolYear: model.Term(r.Term).SchoolYear(), term: r.Term, schoolID: sch.ID,
			summary: fmt.Sprintf("%s %s 学期%s有 %d 笔补发 %s 元自 %s 审核通过后超过 %d 天未纳入发放批次", sch.Name, r.Term,
				programName(r.Program), r.N, r.TotalFen.Yuan(), oldest, sc.th.StaleDays),
			details: map[string]any{"school_id": sch.ID, "school_name": sch.Name, "program": r.Program, "term": r.Term,
				"top_ups": r.N, "total_fen": r.TotalFen, "approved_since": oldest}})
	}
	return nil
}

// parseDBTime reads an aggregate of a time column, which SQLite returns as
// the text it stores and database/sql renders from MySQL's time as RFC 3339.
func parseDBTime(v string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (sc *anomalyScan) staleBatches() error {
	cutoff := sc.now.AddDate(0, 0, -sc.th.StaleDays)
	var rows []model.Batch
	if err := sc.db.Where("status = ? AND approved_at < ?", model.BatchApproved, cutoff).
		Order("id").Find(&rows).Error; err != nil {
		return err
	}
	for _, b := range rows {
		approved := b.ApprovedAt.In(model.Shanghai()).Format("2006-01-02")
		sc.add(finding{rule: model.RuleStaleBatch, key: fingerprint(model.RuleStaleBatch, b.ID),
			region: b.RegionCode, schoolYear: model.Term(b.Term).SchoolYear(), term: b.Term,
			summary: fmt.Sprintf("批次 %s（%d 人，%s 元）于 %s 审核，超过 %d 天仍未发放", b.Number, b.LineCount, b.TotalFen.Yuan(),
				approved, sc.th.StaleDays),
			details: map[string]any{"batch_id": b.ID, "number": b.Number, "program": b.Program, "term": b.Term,
				"lines": b.LineCount, "total_fen": b.TotalFen, "approved_at": approved}})
	}
	return nil
}
