package service

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
)

// Anomaly rules about bank accounts: one account for many students (rule 2)
// and holders who are neither student nor guardian (rule 3).

// Rule 2: one bank account receiving aid for more than N students, or for
// students with different guardians (代领). "Receiving" covers the accounts on
// file (what the next batch would pay to) and the lines of every batch that
// did not fail (what was paid or is being paid).

func (sc *anomalyScan) sharedAccounts() error {
	hashes, err := sc.sharedAccountCandidates()
	if err != nil || len(hashes) == 0 {
		return err
	}
	uses, err := sc.accountUses(hashes)
	if err != nil {
		return err
	}
	students, err := sc.students(uses.ids)
	if err != nil {
		return err
	}
	schoolOf, err := sc.latestSchools(uses.ids)
	if err != nil {
		return err
	}
	for _, hash := range hashes {
		if m := uses.members[hash]; len(m) >= 2 {
			sc.sharedAccount(hash, uses.masked[hash], m, students, schoolOf)
		}
	}
	return nil
}

// sharedAccountCandidates are the accounts that may have more than one
// student, sorted.
func (sc *anomalyScan) sharedAccountCandidates() ([]string, error) {
	// A use of an account is a student's file or a line paid to it. Most
	// lines go to the account their student's file still has, so they add no use the files do not show: the candidates are the
	// accounts on more than one file, and the accounts of the few lines paid
	// to an account their student's file no longer has. A line is made from
	// the file's account, so only a student whose account changed since (a
	// 银行卡号 entry in the file's history) can have such a line: those
	// students' lines are compared, not every line. A UNION of every use
	// grouped with COUNT(DISTINCT …) is several times slower on both engines,
	// and comparing every line with its student a million key lookups.
	seen := map[string]bool{}
	var hashes []string
	collect := func(q *gorm.DB) error {
		var got []string
		if err := q.Scan(&got).Error; err != nil {
			return err
		}
		for _, h := range got {
			if !seen[h] {
				seen[h] = true
				hashes = append(hashes, h)
			}
		}
		return nil
	}
	if err := collect(sc.db.Table("students").Select("account_hash").Where("account_hash <> ''").
		Group("account_hash").Having("COUNT(*) > 1")); err != nil {
		return nil, err
	}
	var changed []int64
	if err := sc.db.Table("student_changes").Distinct("student_id").Where("field = ?", model.FieldBankAccount).
		Pluck("student_id", &changed).Error; err != nil {
		return nil, err
	}
	for _, chunk := range chunkIDs(sortedUniqueIDs(changed), rosterChunk) {
		// No DISTINCT here: SQLite would read the lines in account-index order
		// to avoid a sort, a random read per line; the rows are few.
		if err := collect(sc.db.Table("batch_lines bl").Select("bl.account_hash").
			Joins("JOIN students s ON s.id = bl.student_id").
			Where("bl.student_id IN ? AND bl.account_hash <> s.account_hash AND bl.status <> ? AND bl.account_hash <> ''",
				chunk, model.LineFailed)); err != nil {
			return nil, err
		}
	}
	sort.Strings(hashes)
	return hashes, nil
}

// accountUses are the students each account was used for, with the holder
// names it was used under.
type accountUses struct {
	members map[string]map[int64][]string // account → student → holder names
	masked  map[string]string
	ids     []int64
}

func (sc *anomalyScan) accountUses(hashes []string) (accountUses, error) {
	// Every use of each candidate, with the filter inside each arm of the
	// union so both use their account index; counted here.
	holderOnFile := "CASE WHEN holder = ? THEN guardian ELSE name END"
	u := accountUses{members: map[string]map[int64][]string{}, masked: map[string]string{}}
	for start := 0; start < len(hashes); start += rosterChunk {
		chunk := hashes[start:min(start+rosterChunk, len(hashes))]
		var rows []struct {
			AccountHash   string
			StudentID     int64
			HolderName    string
			AccountMasked string
		}
		if err := sc.db.Raw(`SELECT account_hash, id AS student_id, `+holderOnFile+` AS holder_name, account_masked FROM students WHERE account_hash IN ?
			UNION
			SELECT account_hash, student_id, holder_name, account_masked FROM batch_lines WHERE status <> ? AND account_hash IN ?`,
			model.HolderGuardian, chunk, model.LineFailed, chunk).Scan(&rows).Error; err != nil {
			return u, err
		}
		for _, r := range rows {
			if u.members[r.AccountHash] == nil {
				u.members[r.AccountHash] = map[int64][]string{}
			}
			m := u.members[r.AccountHash]
			if !slices.Contains(m[r.StudentID], r.HolderName) {
				m[r.StudentID] = append(m[r.StudentID], r.HolderName)
			}
			u.masked[r.AccountHash] = r.AccountMasked
			u.ids = append(u.ids, r.StudentID)
		}
	}
	return u, nil
}

// sharedAccount adds a finding when one account's students are too many,
// or have different guardians or holder names.
func (sc *anomalyScan) sharedAccount(hash, masked string, m map[int64][]string, students map[int64]scanStudent, schoolOf map[int64]int64) {
	sids := make([]int64, 0, len(m))
	for id := range m {
		sids = append(sids, id)
	}
	slices.Sort(sids)
	var regions, guardians, holders []string
	var list []map[string]any
	schoolIDs := map[int64]bool{}
	for _, id := range sids {
		st, sch := students[id], sc.school(schoolOf[id])
		regions = append(regions, sch.RegionCode)
		schoolIDs[sch.ID] = true
		if st.Guardian != "" && !slices.Contains(guardians, st.Guardian) {
			guardians = append(guardians, st.Guardian)
		}
		names := slices.Clone(m[id])
		slices.Sort(names)
		for _, h := range names {
			if !slices.Contains(holders, h) {
				holders = append(holders, h)
			}
		}
		d := studentDetail(st, sch)
		d["guardian"], d["holder_names"] = st.Guardian, names
		list = append(list, d)
	}
	var why []string
	if len(sids) > sc.th.AccountMaxStudents {
		why = append(why, fmt.Sprintf("为 %d 名学生领取资助（超过 %d 名）", len(sids), sc.th.AccountMaxStudents))
	}
	// Siblings under one guardian may share the guardian's card; students
	// with different guardians, or one card under different holders'
	// names, is what 代领 looks like.
	if len(guardians) > 1 {
		why = append(why, fmt.Sprintf("学生的监护人不同（%s）", strings.Join(guardians, "、")))
	} else if len(holders) > 1 {
		why = append(why, fmt.Sprintf("持卡人姓名不一致（%s）", strings.Join(holders, "、")))
	}
	if len(why) == 0 {
		return
	}
	var school int64
	if len(schoolIDs) == 1 {
		for id := range schoolIDs {
			school = id
		}
	}
	sc.add(finding{rule: model.RuleSharedAccount, key: fingerprint(model.RuleSharedAccount, hash, sids),
		region: commonRegion(regions...), schoolID: school,
		summary: fmt.Sprintf("银行账户 %s %s", masked, strings.Join(why, "；")),
		details: map[string]any{"account": masked, "students": list, "student_count": len(sids),
			"guardians": guardians, "holder_names": holders}})
}

// Rule 3: an account holder who is neither the student nor the guardian: a
// line whose 户名 is neither the student's name nor the guardian on file, and
// a file whose 持卡人 is something other than 本人 or 监护人 (or 监护人 with no
// guardian named), which no batch can pay correctly.

func (sc *anomalyScan) holderMismatch() error {
	var lines []struct {
		StudentID     int64
		HolderName    string
		LineCount     int
		SchoolID      int64
		Term          string
		AccountMasked string
		Guardian      string
	}
	if err := sc.db.Table("batch_lines bl").Select(`bl.student_id, bl.holder_name, COUNT(*) AS line_count, MAX(bl.school_id) AS school_id,
			MAX(b.term) AS term, MAX(bl.account_masked) AS account_masked, MAX(s.guardian) AS guardian`).
		Joins("JOIN students s ON s.id = bl.student_id").
		Joins("JOIN batches b ON b.id = bl.batch_id").
		Where("bl.holder_name <> bl.name AND bl.holder_name <> s.guardian").
		Group("bl.student_id, bl.holder_name").Scan(&lines).Error; err != nil {
		return err
	}
	var files []struct {
		ID     int64
		Holder string
	}
	if err := sc.db.Table("students").Select("id, holder").
		Where("account_hash <> '' AND (holder NOT IN ? OR (holder = ? AND guardian = ''))", []string{"", model.HolderSelf, model.HolderGuardian}, model.HolderGuardian).
		Scan(&files).Error; err != nil {
		return err
	}
	var ids []int64
	for _, l := range lines {
		ids = append(ids, l.StudentID)
	}
	for _, f := range files {
		ids = append(ids, f.ID)
	}
	students, err := sc.students(ids)
	if err != nil {
		return err
	}
	schoolOf, err := sc.latestSchools(ids)
	if err != nil {
		return err
	}
	for _, l := range lines {
		st, sch := students[l.StudentID], sc.school(l.SchoolID)
		guardian := l.Guardian
		if guardian == "" {
			guardian = "未登记"
		}
		d := studentDetail(st, sch)
		d["holder_name"], d["guardian"], d["lines"], d["account"], d["source"] = l.HolderName, l.Guardian, l.LineCount, l.AccountMasked, "batch_lines"
		sc.add(finding{rule: model.RuleHolderMismatch, key: fingerprint(model.RuleHolderMismatch, "line", l.StudentID, l.HolderName),
			region: sch.RegionCode, schoolYear: model.Term(l.Term).SchoolYear(), term: l.Term, schoolID: sch.ID, studentID: l.StudentID,
			summary: fmt.Sprintf("%s 的 %d 笔发放户名为“%s”，既不是学生本人，也不是登记的监护人（%s）", personOf(st), l.LineCount, l.HolderName, guardian),
			details: d})
	}
	for _, f := range files {
		st, sch := students[f.ID], sc.school(schoolOf[f.ID])
		what := fmt.Sprintf("持卡人登记为“%s”", f.Holder)
		if f.Holder == model.HolderGuardian {
			what = "持卡人为监护人，但档案中没有监护人姓名"
		}
		d := studentDetail(st, sch)
		d["holder"], d["account"], d["source"] = f.Holder, st.AccountMasked, "student_file"
		sc.add(finding{rule: model.RuleHolderMismatch, key: fingerprint(model.RuleHolderMismatch, "file", f.ID, f.Holder),
			region: sch.RegionCode, schoolID: sch.ID, studentID: f.ID,
			summary: fmt.Sprintf("%s 的银行账户%s，无法确认账户属于学生本人或监护人", personOf(st), what), details: d})
	}
	return nil
}
