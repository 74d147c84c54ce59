package sim

import (
	"fmt"
	"time"

	"studentaid/configs"
	"studentaid/model"
)

// person is someone the simulation enrols; id is their resident ID number.
type person struct {
	id, name string
	senior   bool
}

// simPersons: ten pupils and six senior students, from both counties.
func simPersons() []person {
	var out []person
	for i := range 16 {
		region := "430921"
		if i%3 == 2 {
			region = "430923"
		}
		birth, senior := fmt.Sprintf("2016%02d15", i%12+1), i >= 10
		if senior {
			birth = fmt.Sprintf("2009%02d15", i%12+1)
		}
		first := fmt.Sprintf("%s%s%03d", region, birth, 100+i)
		out = append(out, person{id: first + string(model.IDCheckDigit(first)), name: fmt.Sprintf("模拟学生%c", '甲'+rune(i)), senior: senior})
	}
	return out
}

type yearPerson struct {
	year   string
	person int
}

type entKey struct {
	person        int
	program, term string
}

// oEnt is approved aid as the oracle sees it: the level on record at
// approval and the county whose standards apply.
type oEnt struct {
	level, region string
	recovered     bool // a late finding: nothing is due any more
}

type stdRow struct {
	program, stage, level, region string
	from                          time.Time
	fen                           int64
}

type listKey struct {
	school int
	term   string
}

// oracle is what POLICY.md says the service should hold, computed from the
// events alone.
type oracle struct {
	persons    []person
	owner      map[yearPerson]int // the school the person is enrolled at that year
	left       map[yearPerson]bool
	level      map[yearPerson]string
	levelBy    map[yearPerson]int // the school that identified the level
	accounts   map[int]map[string]bool
	standards  []stdRow
	ents       map[entKey]*oEnt
	drafts     map[entKey]int // school holding a draft for the person
	calculated map[listKey]bool
}

func newOracle() *oracle {
	o := &oracle{persons: simPersons(), owner: map[yearPerson]int{}, left: map[yearPerson]bool{}, level: map[yearPerson]string{},
		levelBy: map[yearPerson]int{}, accounts: map[int]map[string]bool{}, ents: map[entKey]*oEnt{}, drafts: map[entKey]int{},
		calculated: map[listKey]bool{}}
	seeds, err := configs.Standards()
	if err != nil {
		failf("standards: %v", err)
	}
	for _, sd := range seeds {
		from, _ := time.Parse("2006-01-02", sd.From)
		o.standards = append(o.standards, stdRow{sd.Program, sd.Stage, sd.Level, "", from, int64(sd.AnnualYuan * 100)})
	}
	return o
}

// mayWrite is POLICY.md "Who may change a student": the school the person is
// enrolled at this year, or any school when they are enrolled nowhere (or
// have left).
func (o *oracle) mayWrite(school int, year string, p int) bool {
	k := yearPerson{year, p}
	owner, ok := o.owner[k]
	return !ok || owner == school || o.left[k]
}

func (o *oracle) allow(p int, account string) {
	if o.accounts[p] == nil {
		o.accounts[p] = map[string]bool{}
	}
	o.accounts[p][account] = true
}

// applyRow records an accepted roster row.
func (o *oracle) applyRow(school int, year string, r rowEv) {
	k := yearPerson{year, r.Person}
	o.owner[k], o.left[k] = school, r.Status == "转出"
	switch {
	case r.Level != "":
		o.level[k], o.levelBy[k] = r.Level, school
	case o.levelBy[k] == school || o.level[k] == "":
		// A school removes only the identification it made itself.
		delete(o.level, k)
		delete(o.levelBy, k)
	}
	o.allow(r.Person, r.Account)
}

// inForce is the latest row of a region for the key on or before the day.
func (o *oracle) inForce(program, stage, level, region string, day time.Time) (stdRow, bool) {
	var best stdRow
	found := false
	on := day.In(model.Shanghai()).Format("2006-01-02")
	for _, r := range o.standards {
		if r.program == program && r.stage == stage && r.level == level && r.region == region && r.from.Format("2006-01-02") <= on &&
			(!found || r.from.After(best.from)) {
			best, found = r, true
		}
	}
	return best, found
}

// annual is POLICY.md "Which row applies": the higher of the national and
// the county row in force.
func (o *oracle) annual(program, level, region string, day time.Time) int64 {
	stage := stageOf(program)
	if program == "boarding" {
		level = ""
	}
	nat, _ := o.inForce(program, stage, level, "", day)
	if cty, ok := o.inForce(program, stage, level, region, day); ok && cty.fen > nat.fen {
		return cty.fen
	}
	return nat.fen
}

// standardAnswer is the status POST /standards should give the row.
func (o *oracle) standardAnswer(s stdEv) int {
	from, _ := time.Parse("2006-01-02", s.From)
	stage := stageOf(s.Program)
	if s.Region != "" {
		if nat, ok := o.inForce(s.Program, stage, s.Level, "", from); ok && nat.fen > s.Fen {
			return 400
		}
	}
	for _, r := range o.standards {
		if r.program == s.Program && r.stage == stage && r.level == s.Level && r.region == s.Region && r.from.Equal(from) {
			return 409
		}
	}
	return 201
}

func (o *oracle) addStandard(s stdEv) {
	from, _ := time.Parse("2006-01-02", s.From)
	o.standards = append(o.standards, stdRow{s.Program, stageOf(s.Program), s.Level, s.Region, from, s.Fen})
}

func stageOf(program string) string {
	if program == "boarding" {
		return model.StagePrimary
	}
	return model.StageSenior
}

// eligibleAt: enrolled and studying at the school that year, with a level.
func (o *oracle) eligibleAt(school int, year string, p int) bool {
	k := yearPerson{year, p}
	owner, ok := o.owner[k]
	return ok && owner == school && !o.left[k] && o.level[k] != ""
}

// calculate is what a calculation of the school's list does to drafts.
func (o *oracle) calculate(sc school, si int, term string) {
	o.calculated[listKey{si, term}] = true
	year := model.Term(term).SchoolYear()
	for p := range o.persons {
		if o.persons[p].senior != (sc.program == "senior_grant") {
			continue
		}
		k := entKey{p, sc.program, term}
		held, hasDraft := o.drafts[k]
		switch {
		case !o.eligibleAt(si, year, p):
			if hasDraft && held == si {
				delete(o.drafts, k)
			}
		case o.ents[k] == nil && (!hasDraft || held == si):
			o.drafts[k] = si
		}
	}
}

// approve turns the school's drafts into approved aid; it returns how many.
func (o *oracle) approve(sc school, si int, term string) int {
	n := 0
	year := model.Term(term).SchoolYear()
	for k, held := range o.drafts {
		if held != si || k.term != term || k.program != sc.program {
			continue
		}
		o.ents[k] = &oEnt{level: o.level[yearPerson{year, k.person}], region: sc.region}
		delete(o.drafts, k)
		n++
	}
	return n
}

// due is what POLICY.md says the person is owed for the program and term.
func (o *oracle) due(k entKey) int64 {
	e := o.ents[k]
	if e == nil || e.recovered {
		return 0
	}
	return o.annual(k.program, e.level, e.region, model.Term(k.term).Start()) / 2
}

// personOf finds a person by ID number; -1 when none.
func (o *oracle) personOf(id string) int {
	for i, p := range o.persons {
		if p.id == id {
			return i
		}
	}
	return -1
}
