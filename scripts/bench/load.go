package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"studentaid/model"
	"studentaid/service"
)

// txHolder is the one open transaction of a pinned connection that several
// bulk writers share; the caller decides when to commit.
type txHolder struct {
	ctx  context.Context
	conn *sql.Conn
	tx   *sql.Tx
	gen  int // bumped at every commit: prepared statements die with their transaction

	relaxed bool // foreign key and unique checks are off for this session
}

func (h *txHolder) begin() (*sql.Tx, error) {
	if h.tx != nil {
		return h.tx, nil
	}
	tx, err := h.conn.BeginTx(h.ctx, nil)
	if err != nil {
		return nil, err
	}
	h.tx = tx
	return tx, nil
}

func (h *txHolder) commit() error {
	if h.tx == nil {
		return nil
	}
	err := h.tx.Commit()
	h.tx = nil
	h.gen++
	return err
}

func (h *txHolder) rollback() {
	if h.tx != nil {
		h.tx.Rollback()
		h.tx = nil
		h.gen++
	}
}

// bulk writes rows with multi-row INSERT statements of `per` rows, one
// prepared statement reused for every full batch within a transaction. It
// is how the bench loads data directly, and the insert reference of the
// roster import.
type bulk struct {
	h       *txHolder
	table   string
	cols    []string
	per     int
	stmt    *sql.Stmt
	stmtGen int
	args    []any
	n       int
	Rows    int
}

func newBulk(h *txHolder, table string, cols []string, per int) *bulk {
	return &bulk{h: h, table: table, cols: cols, per: per, args: make([]any, 0, per*len(cols))}
}

func (b *bulk) sql(rows int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO ")
	sb.WriteString(b.table)
	sb.WriteString(" (")
	sb.WriteString(strings.Join(b.cols, ", "))
	sb.WriteString(") VALUES ")
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(b.cols)), ", ") + ")"
	for i := 0; i < rows; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(one)
	}
	return sb.String()
}

// Add appends one row (len(cols) values).
func (b *bulk) Add(vals ...any) error {
	if len(vals) != len(b.cols) {
		return fmt.Errorf("%s: %d values for %d columns", b.table, len(vals), len(b.cols))
	}
	b.args = append(b.args, vals...)
	b.n++
	if b.n == b.per {
		return b.Flush()
	}
	return nil
}

// Flush writes the rows held so far.
func (b *bulk) Flush() error {
	if b.n == 0 {
		return nil
	}
	tx, err := b.h.begin()
	if err != nil {
		return err
	}
	if b.n == b.per {
		if b.stmt == nil || b.stmtGen != b.h.gen {
			if b.stmt, err = tx.PrepareContext(b.h.ctx, b.sql(b.per)); err != nil {
				return fmt.Errorf("%s: prepare: %w", b.table, err)
			}
			b.stmtGen = b.h.gen
		}
		_, err = b.stmt.ExecContext(b.h.ctx, b.args...)
	} else {
		_, err = tx.ExecContext(b.h.ctx, b.sql(b.n), b.args...)
	}
	if err != nil {
		return fmt.Errorf("%s: insert: %w", b.table, err)
	}
	b.Rows += b.n
	b.args, b.n = b.args[:0], 0
	return nil
}

// rowsPerInsert is the loaders' multi-row INSERT size: 1,000 rows, but 100
// on SQLite, whose Go driver (glebarez/go-sqlite, conn.bind) matches every
// placeholder against the argument list, a cost quadratic in the number of
// placeholders of one statement.
func rowsPerInsert(e *Env) int {
	if e.Target.Driver == "sqlite" {
		return 100
	}
	return 1000
}

// loadConn pins one connection for a load; on MySQL it skips the checks a
// bulk load of known-good rows does not need.
func loadConn(ctx context.Context, e *Env) (*txHolder, error) {
	conn, err := e.sqlDB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	if e.Target.Driver == "mysql" {
		for _, s := range []string{"SET SESSION foreign_key_checks = 0", "SET SESSION unique_checks = 0"} {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				conn.Close()
				return nil, err
			}
		}
	}
	return &txHolder{ctx: ctx, conn: conn, relaxed: e.Target.Driver == "mysql"}, nil
}

// Close ends the load; the connection goes back to the pool with its checks on.
func (h *txHolder) Close() {
	h.rollback()
	if h.relaxed {
		_, _ = h.conn.ExecContext(context.Background(), "SET SESSION foreign_key_checks = 1, unique_checks = 1")
	}
	h.conn.Close()
}

var (
	benchSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "欧阳"}
	benchGiven    = []rune("伟强磊军洋勇杰涛明超辉刚平健俊浩宇轩博文芳娜敏静丽艳娟霞玲婷雪琳颖欣怡佳悦涵萱")
	benchLevels   = []string{"special", "hard", "hard", "general", "general"}
	benchCats     = []string{"脱贫家庭(建档立卡)", "农村低保", "农村特困供养", "残疾", "孤儿"}
)

// person is one generated student with sealed personal numbers.
type person struct {
	id                               int64
	idNumber                         string
	idHash, idEnc, idMasked          string
	name, sex, guardian              string
	birth                            time.Time
	account                          string
	accountEnc, accountHash, acctMsk string
	phoneEnc, phoneHash, phoneMasked string
	studentNoEnc                     string // "G" and the ID number, sealed as the service stores it
}

// makePerson derives student i (from 0) deterministically, born in the
// school year that fits grade g of the year starting in September `year`;
// rank (unique among the students of that grade) makes the ID number unique.
func makePerson(keys *service.Keyring, i, year, grade, rank int) person {
	day := rank % 365
	seq := (rank / 365) % 1000
	// A first-grader turns 6 by 31 August of the school year's first year.
	birth := time.Date(year-6-grade, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	first17 := fmt.Sprintf("%s%s%03d", county, birth.Format("20060102"), seq)
	idn := first17 + string(model.IDCheckDigit(first17))
	sex := "女"
	if seq%2 == 1 {
		sex = "男"
	}
	surname := benchSurnames[i%len(benchSurnames)]
	name := surname + string(benchGiven[(i/7)%len(benchGiven)]) + string(benchGiven[(i/3)%len(benchGiven)])
	if i%3 == 0 {
		name = surname + string(benchGiven[(i/5)%len(benchGiven)])
	}
	acct := fmt.Sprintf("6217%015d", 100000000000000+int64(i)*7919)
	phone := fmt.Sprintf("13%09d", 100000000+i)
	idNum := model.IDNumber{Type: model.IDTypeResident, Value: idn}
	return person{
		id: int64(i + 1), idNumber: idn,
		idHash: keys.Lookup("id", string(model.IDTypeResident)+":"+idn), idEnc: keys.Seal(idn), idMasked: idNum.Masked(),
		name: name, sex: sex, guardian: surname + "家长", birth: birth,
		account: acct, accountEnc: keys.Seal(acct), accountHash: keys.Lookup("bank", acct), acctMsk: model.MaskBankAccount(acct),
		phoneEnc: keys.Seal(phone), phoneHash: keys.Lookup("phone", phone), phoneMasked: model.MaskPhone(phone),
		studentNoEnc: keys.Seal("G" + idn),
	}
}

var studentCols = []string{"id", "id_type", "id_hash", "id_enc", "id_masked", "name", "sex", "birth_date", "household",
	"home_region", "guardian", "bank_name", "account_enc", "account_hash", "account_masked", "holder", "phone_enc",
	"phone_hash", "phone_masked", "created_at", "updated_at"}

var enrolmentCols = []string{"student_id", "school_year", "school_id", "stage", "grade", "class", "student_no", "major",
	"agri_major", "boarding", "status", "remark", "created_at", "updated_at"}

var difficultyCols = []string{"student_id", "school_year", "level", "categories", "school_id", "identified_at", "updated_at"}

// cohort describes generated students: Students of them, spread round-robin
// over Schools, every 51st one (i % 51 == 50) suspended (休学) so that the
// calculation has ineligible students to report.
type cohort struct {
	Students   int
	Schools    []School
	Year       string // school year of the enrolments and difficulty records
	PrevYear   string // when set, each student also has an enrolment that year (history)
	Changes    int    // history rows per student
	Suspension bool
}

func (c cohort) school(i int) School { return c.Schools[i%len(c.Schools)] }

func (c cohort) grade(i int) (int, string) {
	g := 1 + (i/len(c.Schools))%9
	if g <= 6 {
		return g, model.StagePrimary
	}
	return g, model.StageJunior
}

func (c cohort) suspended(i int) bool { return c.Suspension && i%51 == 50 }

// rank numbers the students of one grade: unique within the grade.
func (c cohort) rank(i int) int {
	s := len(c.Schools)
	return (i/(s*9))*s + i%s
}

// loadCohort writes students, enrolments, difficulty records (and history)
// with multi-row inserts; the personal numbers are sealed with the run's key
// in a goroutine ahead of the inserts.
func loadCohort(ctx context.Context, e *Env, c cohort) error {
	h, err := loadConn(ctx, e)
	if err != nil {
		return err
	}
	defer h.Close()
	year, _ := strconv.Atoi(c.Year[:4])
	now := time.Now().UTC().Truncate(time.Microsecond)
	const chunk = 1000
	people := make(chan []person, 4)
	go func() {
		defer close(people)
		for start := 0; start < c.Students; start += chunk {
			ps := make([]person, 0, chunk)
			for i := start; i < min(start+chunk, c.Students); i++ {
				g, _ := c.grade(i)
				ps = append(ps, makePerson(e.Keys, i, year, g, c.rank(i)))
			}
			select {
			case people <- ps:
			case <-ctx.Done():
				return
			}
		}
	}()
	per := rowsPerInsert(e)
	st := newBulk(h, "students", studentCols, per)
	en := newBulk(h, "enrolments", enrolmentCols, per)
	di := newBulk(h, "difficulty_records", difficultyCols, per)
	var ch *bulk
	if c.Changes > 0 {
		ch = newBulk(h, "student_changes", []string{"student_id", "at", "actor_name", "source", "school_year", "field",
			"old_value", "new_value"}, per)
	}
	all := []*bulk{st, en, di}
	if ch != nil {
		all = append(all, ch)
	}
	chunks := 0
	for ps := range people {
		for _, p := range ps {
			if err := st.Add(p.id, string(model.IDTypeResident), p.idHash, p.idEnc, p.idMasked, p.name, p.sex, p.birth, "农村",
				county, p.guardian, "中国建设银行益阳分行", p.accountEnc, p.accountHash, p.acctMsk, "本人", p.phoneEnc,
				p.phoneHash, p.phoneMasked, now, now); err != nil {
				return err
			}
		}
		// Parents before children: SQLite checks foreign keys row by row.
		if err := st.Flush(); err != nil {
			return err
		}
		for _, p := range ps {
			i := int(p.id - 1)
			sc := c.school(i)
			g, stage := c.grade(i)
			status := model.StatusEnrolled
			if c.suspended(i) {
				status = "休学"
			}
			if c.PrevYear != "" && g > 1 {
				ps, pst := g-1, model.StagePrimary
				if ps > 6 {
					pst = model.StageJunior
				}
				if err := en.Add(p.id, c.PrevYear, sc.ID, pst, ps, strconv.Itoa(1+i%6)+"班", p.studentNoEnc, "", false, true,
					model.StatusEnrolled, "", now, now); err != nil {
					return err
				}
			}
			if err := en.Add(p.id, c.Year, sc.ID, stage, g, strconv.Itoa(1+i%6)+"班", p.studentNoEnc, "", false, true,
				status, "", now, now); err != nil {
				return err
			}
			cats := benchCats[i%len(benchCats)]
			if i%4 == 0 {
				cats += "、" + benchCats[(i+1)%len(benchCats)]
			}
			if err := di.Add(p.id, c.Year, benchLevels[i%len(benchLevels)], cats, sc.ID, now, now); err != nil {
				return err
			}
			for k := 0; k < c.Changes; k++ {
				if err := ch.Add(p.id, now, "bench", "roster:0", c.Year, "班级", strconv.Itoa(k)+"班", strconv.Itoa(k+1)+"班"); err != nil {
					return err
				}
			}
		}
		// Commit about every 20,000 students, so no transaction grows without bound.
		if chunks++; chunks%20 == 0 {
			if err := flushAll(all); err != nil {
				return err
			}
			if err := h.commit(); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := flushAll(all); err != nil {
		return err
	}
	return h.commit()
}

func flushAll(bs []*bulk) error {
	for _, b := range bs {
		if err := b.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// boardingStandard is the national boarding standard in force for the term's
// start at a stage.
func boardingStandard(ctx context.Context, e *Env, stage string) (model.Standard, error) {
	var st model.Standard
	err := e.DB.WithContext(ctx).Where("program = ? AND stage = ? AND level = '' AND region_code = '' AND effective_from <= ?",
		programCode, stage, term().Start()).Order("effective_from DESC").First(&st).Error
	return st, err
}

// insertApproved writes approved boarding entitlements for the term directly,
// one per eligible student of the cohort, with the schools' aid lists.
func insertApproved(ctx context.Context, e *Env, c cohort, every int) (int, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	std := map[string]model.Standard{}
	for _, stage := range []string{model.StagePrimary, model.StageJunior} {
		s, err := boardingStandard(ctx, e, stage)
		if err != nil {
			return 0, fmt.Errorf("standard %s: %w", stage, err)
		}
		std[stage] = s
	}
	// Lists and entitlements a (stopped) calculation already made are kept.
	var have []model.AidList
	if err := e.DB.WithContext(ctx).Where("program = ? AND term = ?", programCode, string(term())).Find(&have).Error; err != nil {
		return 0, err
	}
	lists := map[int64]int64{}
	for _, l := range have {
		lists[l.SchoolID] = l.ID
	}
	for _, sc := range c.Schools {
		if lists[sc.ID] != 0 {
			continue
		}
		l := model.AidList{SchoolID: sc.ID, Program: programCode, Term: string(term()), CreatedAt: now, UpdatedAt: now}
		if err := e.DB.WithContext(ctx).Create(&l).Error; err != nil {
			return 0, err
		}
		lists[sc.ID] = l.ID
	}
	var entitled []int64
	if err := e.DB.WithContext(ctx).Table("entitlements").Where("program = ? AND term = ?", programCode, string(term())).
		Pluck("student_id", &entitled).Error; err != nil {
		return 0, err
	}
	skip := make(map[int64]bool, len(entitled))
	for _, id := range entitled {
		skip[id] = true
	}
	h, err := loadConn(ctx, e)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	b := newBulk(h, "entitlements", []string{"student_id", "program", "term", "school_id", "list_id", "stage", "grade",
		"level", "rule", "standard_id", "annual_fen", "amount_fen", "status", "submitted_at", "approved_at", "approved_by",
		"created_at", "updated_at"}, rowsPerInsert(e))
	for i := 0; i < c.Students; i++ {
		if c.suspended(i) || (every > 1 && i%every != 0) || skip[int64(i+1)] {
			continue
		}
		sc := c.school(i)
		g, stage := c.grade(i)
		s := std[stage]
		lvl := benchLevels[i%len(benchLevels)]
		if err := b.Add(int64(i+1), programCode, string(term()), sc.ID, lists[sc.ID], stage, g, lvl,
			"寄宿生·"+model.LevelLabel(lvl), s.ID, s.AnnualFen, s.AnnualFen/2, model.EntApproved, now, now, countyUser, now, now); err != nil {
			return 0, err
		}
		if b.Rows > 0 && b.n == 0 && b.Rows%20000 == 0 {
			if err := h.commit(); err != nil {
				return 0, err
			}
		}
	}
	if err := b.Flush(); err != nil {
		return 0, err
	}
	return b.Rows, h.commit()
}

// analyze refreshes the optimizer's statistics after a bulk load.
func analyze(ctx context.Context, e *Env, tables ...string) error {
	for _, t := range tables {
		q := "ANALYZE TABLE " + t
		if e.Target.Driver == "sqlite" {
			q = "ANALYZE " + t
		}
		rows, err := e.sqlDB().QueryContext(ctx, q)
		if err != nil {
			return err
		}
		rows.Close()
	}
	return nil
}
