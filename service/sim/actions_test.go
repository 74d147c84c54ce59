package sim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

type resultFile struct {
	path string
	file []byte
}

// batch runs every program's batch job; each batch is approved by its
// county's finance officer and paid, a line failing one time in failOneIn
// (0: none fails). It returns the held aid the runs reported.
func (sm *sim) batch(rng *rand.Rand, failOneIn int) (made int, held []int64) {
	for _, program := range []string{"boarding", "senior_grant"} {
		rr := sm.w.do("POST", "/api/v1/jobs/batch_"+program+"/run", sm.w.as("admin"), nil)
		sm.w.expect(rr, http.StatusOK)
		var run struct {
			Status string
			Error  string
			Made   struct {
				Batches []struct {
					ID         int64
					RegionCode string `json:"region_code"`
					TotalFen   int64  `json:"total_fen"`
				}
				Held []struct {
					StudentID int64 `json:"student_id"`
				}
			}
		}
		decode(rr, &run)
		if run.Status != "succeeded" {
			failf("batch job %s: %s %s", program, run.Status, run.Error)
		}
		for _, h := range run.Made.Held {
			held = append(held, h.StudentID)
		}
		for _, b := range run.Made.Batches {
			made++
			fin := countyOf[b.RegionCode].finance
			path := fmt.Sprintf("/api/v1/batches/%d", b.ID)
			sm.w.expect(sm.w.do("POST", path+"/approve", sm.w.as(fin), nil), http.StatusOK)
			sm.checkBankFile(path, fin, b.TotalFen)
			var lines struct {
				Items []struct {
					Seq         int
					BankAccount string `json:"bank_account"`
					AmountFen   int64  `json:"amount_fen"`
				}
			}
			decode(sm.w.do("GET", path+"/lines?page_size=200", sm.w.as(fin), nil), &lines)
			var rows [][]any
			for _, l := range lines.Items {
				status, reason := "成功", ""
				if failOneIn > 0 && rng.IntN(failOneIn) == 0 {
					status, reason = "失败", "账户状态异常"
				}
				rows = append(rows, []any{l.Seq, l.BankAccount, "某", fmt.Sprintf("%d.%02d", l.AmountFen/100, l.AmountFen%100), status, reason})
			}
			file := sheet([]string{"序号", "账号", "户名", "金额", "状态", "失败原因"}, rows)
			sm.w.expect(sm.w.upload(path+"/results", sm.w.as(fin), file, nil), http.StatusOK)
			sm.results = append(sm.results, resultFile{path, file})
		}
	}
	return made, held
}

// checkBankFile: the bank file of a batch adds up to the batch's total.
func (sm *sim) checkBankFile(path, fin string, total int64) {
	rr := sm.w.do("GET", path+"/bank-file", sm.w.as(fin), nil)
	sm.w.expect(rr, http.StatusOK)
	f, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
	if err != nil {
		failf("bank file: %v", err)
	}
	defer f.Close()
	var sum int64
	for _, name := range f.GetSheetList() {
		if !strings.HasPrefix(name, "代发明细") {
			continue
		}
		rows, _ := f.GetRows(name)
		for _, r := range rows[1:] {
			if len(r) < 4 || r[0] == "" || strings.HasPrefix(r[0], "合计") {
				continue
			}
			sum += yuanToFen(r[3])
		}
	}
	if sum != total {
		failf("%s: bank file pays %d fen, batch total %d", path, sum, total)
	}
}

func yuanToFen(s string) int64 {
	whole, frac, _ := strings.Cut(strings.ReplaceAll(s, ",", ""), ".")
	y, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt((frac + "00")[:2], 10, 64)
	if err1 != nil || err2 != nil {
		failf("bank file amount %q", s)
	}
	return y*100 + f
}

// replay uploads the last bank result file again: it must change nothing.
func (sm *sim) replay() {
	if len(sm.results) == 0 {
		return
	}
	last := sm.results[len(sm.results)-1]
	fin := "finance_nanxian"
	if !sm.batchIn(last.path, "430921") {
		fin = "finance_anhua"
	}
	rr := sm.w.upload(last.path+"/results", sm.w.as(fin), last.file, nil)
	sm.w.expect(rr, http.StatusOK)
	var out struct{ Paid, Failed int }
	decode(rr, &out)
	if out.Paid+out.Failed != 0 {
		failf("replayed results changed %d lines", out.Paid+out.Failed)
	}
}

func (sm *sim) batchIn(path, region string) bool {
	id := path[strings.LastIndex(path, "/")+1:]
	var r string
	sm.w.env.DB.Raw("SELECT region_code FROM batches WHERE id = ?", id).Scan(&r)
	return r == region
}

// writerOf is the school that may change the person's file now: where they
// are enrolled in the latest school year they are enrolled at all.
func (sm *sim) writerOf(p int) (int, bool) {
	for i := len(simYears) - 1; i >= 0; i-- {
		if si, ok := sm.o.owner[yearPerson{simYears[i], p}]; ok {
			return si, true
		}
	}
	return 0, false
}

// studentIDs are the service's records of a person (more than one is a bug
// the checks report).
func (sm *sim) studentIDs(p int) []int64 {
	var out []int64
	for id, q := range sm.studentPersons() {
		if q == p {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (sm *sim) changeAccount(p int, account string) {
	si, ok := sm.writerOf(p)
	ids := sm.studentIDs(p)
	if !ok || len(ids) == 0 {
		return
	}
	sc := sm.w.schools[si]
	rr := sm.w.do("PATCH", fmt.Sprintf("/api/v1/students/%d", ids[0]), sm.w.as(sc.officer), map[string]any{"bank_account": account})
	sm.w.expect(rr, http.StatusOK)
	sm.o.allow(p, account)
	sm.confirmAccountChange(rr)
}

// entitlementOf finds the person's entitlement with the status through the
// county's list; 0 when there is none.
func (sm *sim) entitlementOf(p int, program, term, status, county string) int64 {
	ids := sm.studentIDs(p)
	var l struct {
		Items []struct {
			ID        int64
			StudentID int64 `json:"student_id"`
		}
	}
	decode(sm.w.do("GET", fmt.Sprintf("/api/v1/entitlements?program=%s&term=%s&status=%s&page_size=200", program, term, status),
		sm.w.as(county), nil), &l)
	for _, it := range l.Items {
		if slices.Contains(ids, it.StudentID) {
			return it.ID
		}
	}
	return 0
}

func programOf(p person) string {
	if p.senior {
		return "senior_grant"
	}
	return "boarding"
}

// recover records a late finding on paid aid: nothing is due any more.
func (sm *sim) recover(p int, term string) {
	k := entKey{p, programOf(sm.o.persons[p]), term}
	e := sm.o.ents[k]
	if e == nil || e.recovered {
		return
	}
	county := countyOf[e.region].officer
	id := sm.entitlementOf(p, k.program, term, "paid", county)
	if id == 0 {
		return
	}
	rr := sm.w.do("POST", "/api/v1/entitlements/recover", sm.w.as(county), map[string]any{"ids": []int64{id}, "reason": "虚报家庭经济困难"})
	// 409: a top-up is awaiting the bank's result; the county tries again later.
	sm.w.expect(rr, http.StatusOK, http.StatusConflict)
	e.recovered = rr.Code == http.StatusOK
}

// correct is the county's 认定更正 of the level a paid term was approved
// with: from then on the corrected level decides what is due.
func (sm *sim) correct(p int, term, level string) {
	k := entKey{p, programOf(sm.o.persons[p]), term}
	e := sm.o.ents[k]
	if e == nil || e.recovered {
		return
	}
	county := countyOf[e.region].officer
	id := sm.entitlementOf(p, k.program, term, "paid", county)
	if id == 0 {
		return
	}
	rr := sm.w.do("POST", fmt.Sprintf("/api/v1/entitlements/%d/correct", id), sm.w.as(county), map[string]any{"level": level, "reason": "认定等级录入错误"})
	if levelCode[level] == e.level {
		sm.w.expect(rr, http.StatusBadRequest)
		return
	}
	// 409: a top-up is awaiting the bank's result, or the adjustment would
	// reuse a standard (settled by hand); the county tries again later.
	sm.w.expect(rr, http.StatusOK, http.StatusConflict)
	if rr.Code == http.StatusOK {
		e.level = levelCode[level]
	}
}

// transfer: a school asks for a pupil enrolled elsewhere that year; the
// current school accepts (the pupil is 转出 there, and may be enrolled
// anew), or its county rejects and nothing changes.
func (sm *sim) transfer(e event) {
	sc := sm.w.schools[e.School]
	k := yearPerson{e.Year, e.Person}
	owner, enrolled := sm.o.owner[k]
	rr := sm.w.do("POST", "/api/v1/transfers", sm.w.as(sc.officer), map[string]any{"id_number": sm.o.persons[e.Person].id, "school_year": e.Year})
	if !enrolled || owner == e.School || sm.o.left[k] {
		sm.w.expect(rr, http.StatusNotFound, http.StatusConflict)
		return
	}
	sm.w.expect(rr, http.StatusCreated)
	var tr struct{ ID int64 }
	decode(rr, &tr)
	from := sm.w.schools[owner]
	path := fmt.Sprintf("/api/v1/transfers/%d", tr.ID)
	if !e.Accept {
		sm.w.expect(sm.w.do("POST", path+"/reject", sm.w.as(from.county), map[string]any{"reason": "未办理转学手续"}), http.StatusOK)
		return
	}
	sm.w.expect(sm.w.do("POST", path+"/accept", sm.w.as(from.officer), nil), http.StatusOK)
	sm.o.left[k] = true
}

// revoke withdraws approved aid not yet in a batch.
func (sm *sim) revoke(p int, term string) {
	k := entKey{p, programOf(sm.o.persons[p]), term}
	e := sm.o.ents[k]
	if e == nil {
		return
	}
	county := countyOf[e.region].officer
	id := sm.entitlementOf(p, k.program, term, "approved", county)
	if id == 0 {
		return
	}
	sm.w.expect(sm.w.do("POST", "/api/v1/entitlements/revoke", sm.w.as(county), map[string]any{"ids": []int64{id}, "reason": "核实不符"}), http.StatusOK)
	delete(sm.o.ents, k)
}

// drain settles everything: lists recalculated, adjustments approved, held
// accounts corrected, batches paid without failures, until nothing moves;
// then every person must have been paid what is due.
func (sm *sim) drain() {
	keys := make([]listKey, 0, len(sm.o.calculated))
	for k := range sm.o.calculated {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b listKey) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	for round := 0; ; round++ {
		if round == 8 {
			failf("drain: the queue does not empty")
		}
		for _, k := range keys {
			sm.calculate(k.school, k.term)
		}
		approved := sm.approveAdjustments()
		made, held := sm.batch(nil, 0)
		for _, sid := range held {
			if p, ok := sm.studentPersons()[sid]; ok {
				sm.changeAccount(p, fmt.Sprintf("62290%02d%012d", p, sm.fresh()))
			}
		}
		if approved+made+len(held) == 0 {
			break
		}
	}
	sm.checkDue()
}

func (sm *sim) fresh() int {
	sm.seq++
	return sm.seq
}

func (sm *sim) approveAdjustments() int {
	n := 0
	for _, county := range []string{"county_nanxian", "county_anhua"} {
		var l struct{ Items []struct{ ID int64 } }
		decode(sm.w.do("GET", "/api/v1/adjustments?status=draft&page_size=200", sm.w.as(county), nil), &l)
		if len(l.Items) == 0 {
			continue
		}
		var ids []int64
		for _, it := range l.Items {
			ids = append(ids, it.ID)
		}
		sm.w.expect(sm.w.do("POST", "/api/v1/adjustments/approve", sm.w.as(county), map[string]any{"ids": ids}), http.StatusOK)
		n += len(ids)
	}
	return n
}
