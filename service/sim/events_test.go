package sim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"

	"studentaid/model"
)

var (
	simTerms  = []string{"2025-2026-1", "2025-2026-2", "2026-2027-1"}
	simYears  = []string{"2025-2026", "2026-2027"}
	levels    = []string{"特别困难", "困难", "一般困难"}
	levelCode = map[string]string{"特别困难": model.LevelSpecial, "困难": model.LevelHard, "一般困难": model.LevelGeneral}
	stdDates  = []string{"2025-07-01", "2025-08-01", "2025-09-01", "2025-11-01", "2026-02-01", "2026-09-01"}
)

// rowEv is one roster row: a person, as a school typed them.
type rowEv struct {
	Person  int
	Level   string // 困难等级 as written, "" for none
	DocType string // 身份证件类型 as written: "" (the default), 居民身份证 or a wrong 其他
	Account string
	Status  string // 学籍状态: 在读 or 转出
}

type stdEv struct {
	Program, Level, Region, From string
	Fen                          int64
}

// event is one step of the simulation; it carries everything it needs, so a
// shorter list of events still replays.
type event struct {
	Kind    string // roster, standard, cycle, batch, replay, account, recover, revoke, correct, transfer, drain
	School  int
	Year    string
	Term    string
	Rows    []rowEv
	Person  int
	Account string
	Std     stdEv
	Seed    uint64
	Level   string // correct: the level the county corrects to
	Accept  bool   // transfer: the current school accepts (else its county rejects)
}

func (e event) String() string {
	switch e.Kind {
	case "roster":
		var rows []string
		for _, r := range e.Rows {
			rows = append(rows, fmt.Sprintf("p%d/%s/%s/%s/%s", r.Person, or(r.Level, "无"), or(r.DocType, "默认"), r.Account, r.Status))
		}
		return fmt.Sprintf("roster school=%d year=%s [%s]", e.School, e.Year, strings.Join(rows, " "))
	case "standard":
		return fmt.Sprintf("standard %s level=%q region=%q from=%s fen=%d", e.Std.Program, e.Std.Level, e.Std.Region, e.Std.From, e.Std.Fen)
	case "cycle":
		return fmt.Sprintf("cycle school=%d term=%s", e.School, e.Term)
	case "batch":
		return fmt.Sprintf("batch seed=%d", e.Seed)
	case "account":
		return fmt.Sprintf("account p%d → %s", e.Person, e.Account)
	case "recover", "revoke":
		return fmt.Sprintf("%s p%d term=%s", e.Kind, e.Person, e.Term)
	case "correct":
		return fmt.Sprintf("correct p%d term=%s level=%s", e.Person, e.Term, e.Level)
	case "transfer":
		return fmt.Sprintf("transfer p%d to school=%d year=%s accept=%v", e.Person, e.School, e.Year, e.Accept)
	}
	return e.Kind
}

func or(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// generate makes n events from the seed.
func generate(seed uint64, n int) []event {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	persons := simPersons()
	schools := simSchools()
	accountSeq := 0
	account := func(p int) string {
		// Mostly the person's usual account; sometimes a new one.
		if rng.IntN(6) == 0 {
			accountSeq++
			return fmt.Sprintf("62170%02d%012d", p, 1000+accountSeq+int(seed%1000)*100)
		}
		return fmt.Sprintf("62170%02d%012d", p, 1)
	}
	pick := func(sc school) int {
		for {
			p := rng.IntN(len(persons))
			if persons[p].senior == (sc.program == "senior_grant") {
				return p
			}
		}
	}
	var out []event
	for range n {
		var e event
		switch k := rng.IntN(100); {
		case k < 26:
			e = event{Kind: "roster", School: rng.IntN(len(schools)), Year: simYears[rng.IntN(len(simYears))]}
			seen := map[int]bool{}
			for range 1 + rng.IntN(5) {
				p := pick(schools[e.School])
				if seen[p] {
					continue
				}
				seen[p] = true
				r := rowEv{Person: p, Level: levels[rng.IntN(3)], Account: account(p), Status: "在读"}
				switch rng.IntN(12) {
				case 0:
					r.Level = ""
				case 1:
					r.DocType = "其他" // the same resident ID under a wrong document type
				case 2:
					r.DocType = "居民身份证"
				case 3:
					r.Status = "转出"
				}
				e.Rows = append(e.Rows, r)
			}
		case k < 33:
			e = event{Kind: "standard", Std: genStandard(rng)}
		case k < 52:
			e = event{Kind: "cycle", School: rng.IntN(len(schools)), Term: simTerms[rng.IntN(len(simTerms))]}
		case k < 67:
			e = event{Kind: "batch", Seed: rng.Uint64()}
		case k < 70:
			e = event{Kind: "replay"}
		case k < 77:
			p := rng.IntN(len(persons))
			accountSeq++
			e = event{Kind: "account", Person: p, Account: fmt.Sprintf("62280%02d%012d", p, accountSeq)}
		case k < 83:
			e = event{Kind: "recover", Person: rng.IntN(len(persons)), Term: simTerms[rng.IntN(len(simTerms))]}
		case k < 87:
			e = event{Kind: "revoke", Person: rng.IntN(len(persons)), Term: simTerms[rng.IntN(len(simTerms))]}
		case k < 90:
			e = event{Kind: "correct", Person: rng.IntN(len(persons)), Term: simTerms[rng.IntN(len(simTerms))], Level: levels[rng.IntN(3)]}
		case k < 94:
			e = event{Kind: "transfer", School: rng.IntN(len(schools)), Year: simYears[rng.IntN(len(simYears))], Accept: rng.IntN(3) > 0}
			e.Person = pick(schools[e.School])
		default:
			e = event{Kind: "drain"}
		}
		out = append(out, e)
	}
	return append(out, event{Kind: "drain"})
}

// genStandard raises or lowers a national or county row around today's figures.
func genStandard(rng *rand.Rand) stdEv {
	s := stdEv{Program: "boarding", From: stdDates[rng.IntN(len(stdDates))]}
	base := int64(125000)
	if rng.IntN(2) == 0 {
		s.Program = "senior_grant"
		l := rng.IntN(3)
		s.Level = []string{model.LevelSpecial, model.LevelHard, model.LevelGeneral}[l]
		base = []int64{330000, 230000, 130000}[l]
	}
	s.Region = []string{"", "430921", "430923"}[rng.IntN(3)]
	s.Fen = base + int64(rng.IntN(7)-3)*4000
	return s
}

// run plays one event against the service and the oracle.
func (sm *sim) run(e event) {
	switch e.Kind {
	case "roster":
		sm.roster(e)
	case "standard":
		sm.standard(e.Std)
	case "cycle":
		sm.cycle(e.School, e.Term)
	case "batch":
		sm.batch(rand.New(rand.NewPCG(e.Seed, 1)), 4)
	case "replay":
		sm.replay()
	case "account":
		sm.changeAccount(e.Person, e.Account)
	case "recover":
		sm.recover(e.Person, e.Term)
	case "revoke":
		sm.revoke(e.Person, e.Term)
	case "correct":
		sm.correct(e.Person, e.Term, e.Level)
	case "transfer":
		sm.transfer(e)
	case "drain":
		sm.drain()
	default:
		failf("unknown event %q", e.Kind)
	}
}

var rosterHeaders = []string{"姓名", "身份证件类型", "身份证件号", "年级", "班级", "是否寄宿", "学籍状态", "家庭经济困难等级", "开户银行", "银行卡号", "持卡人"}

func (sm *sim) roster(e event) {
	sc := sm.w.schools[e.School]
	var rows [][]any
	for _, r := range e.Rows {
		boarding := "是"
		if sc.program == "senior_grant" {
			boarding = ""
		}
		p := sm.o.persons[r.Person]
		rows = append(rows, []any{p.name, r.DocType, p.id, sc.grade, "1班", boarding, r.Status, r.Level, "农商银行", r.Account, "本人"})
	}
	rr := sm.w.upload("/api/v1/rosters", sm.w.as(sc.officer), sheet(rosterHeaders, rows),
		map[string]string{"school_year": e.Year, "school_id": fmt.Sprint(sc.id), "mode": "valid_rows"})
	sm.w.expect(rr, http.StatusOK)
	var rep struct {
		Errors []struct {
			Row     int
			Column  string
			Message string
		}
	}
	decode(rr, &rep)
	refused := map[int]string{}
	for _, er := range rep.Errors {
		refused[er.Row] = er.Message
	}
	for i, r := range e.Rows {
		msg, bad := refused[i+2]
		may := sm.o.mayWrite(e.School, e.Year, r.Person)
		switch {
		case may && bad:
			failf("roster row %d (p%d) refused: %s", i+2, r.Person, msg)
		case !may && !bad:
			failf("roster row %d (p%d) accepted at school %d although enrolled at school %d in %s",
				i+2, r.Person, e.School, sm.o.owner[yearPerson{e.Year, r.Person}], e.Year)
		case !may:
			if want := "该生本学年已在其他学校注册，请办理转学"; !strings.Contains(msg, want) {
				failf("row of a student enrolled elsewhere: %q, want %q", msg, want)
			}
			owner := sm.w.schools[sm.o.owner[yearPerson{e.Year, r.Person}]]
			if owner.region != sc.region && strings.Contains(msg, owner.name) {
				failf("row error names another county's school: %q", msg)
			}
		default:
			r.Level = levelCode[r.Level]
			sm.o.applyRow(e.School, e.Year, r)
		}
	}
}

func (sm *sim) standard(s stdEv) {
	user := "admin"
	if s.Region != "" {
		user = countyOf[s.Region].officer
	}
	want := sm.o.standardAnswer(s)
	body := map[string]any{"program": s.Program, "stage": stageOf(s.Program), "region_code": s.Region, "annual_fen": s.Fen, "effective_from": s.From}
	if s.Level != "" {
		body["level"] = s.Level
	}
	rr := sm.w.do("POST", "/api/v1/standards", sm.w.as(user), body)
	sm.w.expect(rr, want)
	if want == http.StatusCreated {
		sm.o.addStandard(s)
	}
}

// cycle calculates, submits, publishes and approves one school's list.
func (sm *sim) cycle(si int, term string) {
	sc := sm.w.schools[si]
	sm.calculate(si, term)
	ref := map[string]any{"program": sc.program, "term": term, "school_id": sc.id}
	n := sm.o.approve(sc, si, term)
	rr := sm.w.do("POST", "/api/v1/entitlements/submit", sm.w.as(sc.officer), ref)
	if n == 0 {
		sm.w.expect(rr, http.StatusOK, http.StatusConflict, http.StatusUnprocessableEntity)
		return
	}
	sm.w.expect(rr, http.StatusOK)
	sm.w.expect(sm.w.do("GET", fmt.Sprintf("/api/v1/notices?program=%s&term=%s&school_id=%d", sc.program, term, sc.id), sm.w.as(sc.officer), nil), http.StatusOK)
	rr = sm.w.do("POST", "/api/v1/entitlements/approve", sm.w.as(sc.county), ref)
	sm.w.expect(rr, http.StatusOK)
	var tr struct{ Count int }
	decode(rr, &tr)
	if tr.Count != n {
		failf("approved %d at school %d for %s, oracle says %d", tr.Count, si, term, n)
	}
}

func (sm *sim) calculate(si int, term string) {
	sc := sm.w.schools[si]
	sm.w.expect(sm.w.do("POST", "/api/v1/entitlements/calculate", sm.w.as(sc.officer),
		map[string]any{"program": sc.program, "term": term, "school_id": sc.id}), http.StatusOK)
	sm.o.calculate(sc, si, term)
}
