package sim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
)

// studentPersons maps every student record to the person its ID number names.
func (sm *sim) studentPersons() map[int64]int {
	var rows []struct {
		ID    int64
		IDEnc string
	}
	if err := sm.w.env.DB.Raw("SELECT id, id_enc FROM students").Scan(&rows).Error; err != nil {
		failf("students: %v", err)
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		id, err := sm.w.env.Keys.Open(r.IDEnc)
		if err != nil {
			failf("open ID: %v", err)
		}
		if p := sm.o.personOf(id); p >= 0 {
			out[r.ID] = p
		}
	}
	return out
}

type lineRow struct {
	BatchID       int64
	EntitlementID int64
	AdjustmentID  *int64
	StudentID     int64
	AccountEnc    string
	AmountFen     int64
	Status        string
	Program       string
	Term          string
}

// check verifies the invariants that hold after every step.
func (sm *sim) check() {
	persons := sm.studentPersons()
	var ents []struct {
		ID                    int64
		StudentID             int64
		Program, Term, Status string
	}
	if err := sm.w.env.DB.Raw("SELECT id, student_id, program, term, status FROM entitlements").Scan(&ents).Error; err != nil {
		failf("entitlements: %v", err)
	}
	open := map[entKey]int{}
	for _, e := range ents {
		switch e.Status {
		case "submitted", "approved", "batched", "paid":
			k := entKey{persons[e.StudentID], e.Program, e.Term}
			if open[k]++; open[k] > 1 {
				failf("person p%d has %d open or paid entitlements for %s %s", k.person, open[k], k.program, k.term)
			}
		}
	}
	var lines []lineRow
	if err := sm.w.env.DB.Raw(`SELECT bl.batch_id, bl.entitlement_id, bl.adjustment_id, bl.student_id, bl.account_enc, bl.amount_fen,
		bl.status, ent.program, ent.term FROM batch_lines bl JOIN entitlements ent ON ent.id = bl.entitlement_id`).Scan(&lines).Error; err != nil {
		failf("lines: %v", err)
	}
	regular := map[entKey]int{}
	for _, l := range lines {
		p, ok := persons[l.StudentID]
		if !ok {
			failf("a line pays student %d, who is no simulated person", l.StudentID)
		}
		if l.Status == "failed" {
			continue
		}
		if l.AdjustmentID == nil {
			k := entKey{p, l.Program, l.Term}
			if regular[k]++; regular[k] > 1 {
				failf("person p%d has %d open or paid lines for %s %s", p, regular[k], k.program, k.term)
			}
		}
		acct, err := sm.w.env.Keys.Open(l.AccountEnc)
		if err != nil {
			failf("open account: %v", err)
		}
		if !sm.o.accounts[p][acct] {
			failf("batch %d pays p%d into account %s, which the person's own school never entered", l.BatchID, p, acct)
		}
	}
	sm.checkBatches()
	sm.checkRecoveries()
}

// checkBatches: every batch's total and count are those of its lines.
func (sm *sim) checkBatches() {
	var bad []struct {
		ID int64
	}
	err := sm.w.env.DB.Raw(`SELECT b.id FROM batches b LEFT JOIN (SELECT batch_id, COUNT(*) AS n, SUM(amount_fen) AS fen
		FROM batch_lines GROUP BY batch_id) l ON l.batch_id = b.id
		WHERE b.line_count <> COALESCE(l.n, 0) OR b.total_fen <> COALESCE(l.fen, 0)`).Scan(&bad).Error
	if err != nil {
		failf("batches: %v", err)
	}
	if len(bad) > 0 {
		failf("batch %d: total or count differs from its lines", bad[0].ID)
	}
}

// received and recovered per entitlement, from paid lines and recoveries.
func (sm *sim) money() (received, recovered map[int64]int64) {
	received, recovered = map[int64]int64{}, map[int64]int64{}
	var rows []struct {
		EntitlementID int64
		Fen           int64
	}
	if err := sm.w.env.DB.Raw("SELECT entitlement_id, SUM(amount_fen) AS fen FROM batch_lines WHERE status = 'paid' GROUP BY entitlement_id").
		Scan(&rows).Error; err != nil {
		failf("paid: %v", err)
	}
	for _, r := range rows {
		received[r.EntitlementID] = r.Fen
	}
	rows = nil
	if err := sm.w.env.DB.Raw("SELECT entitlement_id, -SUM(amount_fen) AS fen FROM adjustments WHERE status = 'to_recover' GROUP BY entitlement_id").
		Scan(&rows).Error; err != nil {
		failf("recovered: %v", err)
	}
	for _, r := range rows {
		recovered[r.EntitlementID] = r.Fen
	}
	return received, recovered
}

// checkRecoveries: POLICY.md "never more than received".
func (sm *sim) checkRecoveries() {
	received, recovered := sm.money()
	for id, fen := range recovered {
		if fen > received[id] {
			failf("entitlement %d: %d fen recovered, only %d received", id, fen, received[id])
		}
	}
}

// checkDue, once the queue is drained: paid − recovered = due for every
// person, program and term.
func (sm *sim) checkDue() {
	persons := sm.studentPersons()
	received, recovered := sm.money()
	var ents []struct {
		ID            int64
		StudentID     int64
		Program, Term string
	}
	if err := sm.w.env.DB.Raw("SELECT id, student_id, program, term FROM entitlements").Scan(&ents).Error; err != nil {
		failf("entitlements: %v", err)
	}
	net := map[entKey]int64{}
	for _, e := range ents {
		k := entKey{persons[e.StudentID], e.Program, e.Term}
		net[k] += received[e.ID] - recovered[e.ID]
	}
	keys := map[entKey]bool{}
	for k := range net {
		keys[k] = true
	}
	for k := range sm.o.ents {
		keys[k] = true
	}
	var all []entKey
	for k := range keys {
		all = append(all, k)
	}
	sort.Slice(all, func(i, j int) bool { return fmt.Sprint(all[i]) < fmt.Sprint(all[j]) })
	for _, k := range all {
		if due := sm.o.due(k); net[k] != due {
			failf("p%d %s %s: paid − recovered = %d fen, due %d", k.person, k.program, k.term, net[k], due)
		}
	}
}

// checkAudit: the audit chain verifies.
func (sm *sim) checkAudit() {
	rr := sm.w.do("GET", "/api/v1/audit/verify", sm.w.as("auditor_yiyang"), nil)
	sm.w.expect(rr, http.StatusOK)
	var v struct{ OK bool }
	decode(rr, &v)
	if !v.OK {
		failf("audit chain broken: %s", rr.Body.String())
	}
}

// confirmAccountChange: when a PATCH (by a school officer) holds aid for a
// second officer, the county officer of the county paying the aid confirms.
func (sm *sim) confirmAccountChange(rr *httptest.ResponseRecorder) {
	var res struct {
		AccountChange *struct {
			ID         int64
			Status     string
			RegionCode string `json:"region_code"`
		} `json:"account_change"`
	}
	decode(rr, &res)
	if res.AccountChange == nil || res.AccountChange.Status != "pending" {
		return
	}
	county := countyOf[res.AccountChange.RegionCode].officer
	sm.w.expect(sm.w.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/confirm", res.AccountChange.ID), sm.w.as(county), nil), http.StatusOK)
}
