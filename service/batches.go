package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// BatchMade is one batch a generation made (or, in a dry run, would make).
type BatchMade struct {
	ID         int64     `json:"id,omitempty"`
	Number     string    `json:"number"`
	RegionCode string    `json:"region_code"`
	Program    string    `json:"program"`
	Term       string    `json:"term"`
	Lines      int       `json:"lines"`
	TotalFen   model.Fen `json:"total_fen"`
}

// Held is approved aid a generation could not put in a batch, and why.
type Held struct {
	EntitlementID int64  `json:"entitlement_id"`
	StudentID     int64  `json:"student_id"`
	Reason        string `json:"reason"`
	// Name and SchoolName say who, for finance, who has no student files
	// to look a number up in.
	Name       string `json:"name"`
	SchoolName string `json:"school_name"`
}

// GenerateResult is what a batch job run made.
type GenerateResult struct {
	DryRun  bool        `json:"dry_run"`
	Batches []BatchMade `json:"batches"`
	Held    []Held      `json:"held"`
}

// GenerateBatches makes one batch per county and term from the program's
// approved entitlements that are in no open batch, each in one transaction
// with its ledger: a failure leaves no half batch. Running it again with
// nothing new makes nothing.
func (s *Batches) GenerateBatches(ctx context.Context, a model.Actor, program string, dryRun bool, runID *int64) (GenerateResult, error) {
	res := GenerateResult{DryRun: dryRun, Batches: []BatchMade{}, Held: []Held{}}
	p, ok := model.ProgramByCode(program)
	if !ok {
		return res, invalid("未知资助项目 %q", program)
	}
	var groups []struct {
		RegionCode string
		Term       string
	}
	q := s.db.WithContext(ctx).Table("entitlements ent").Select("DISTINCT sc.region_code, ent.term").
		Joins("JOIN schools sc ON sc.id = ent.school_id").
		Where("ent.program = ? AND (ent.status = ? OR EXISTS (SELECT 1 FROM adjustments adj WHERE adj.entitlement_id = ent.id AND adj.status = ? AND adj.amount_fen > 0))",
			p.Code, model.EntApproved, model.AdjApproved)
	if err := inScopeRegions(q, a, "sc.region_code").Order("sc.region_code, ent.term").Scan(&groups).Error; err != nil {
		return res, err
	}
	for _, g := range groups {
		made, held, err := s.generateBatch(ctx, a, p, g.RegionCode, model.Term(g.Term), dryRun, runID)
		if err != nil {
			return res, err
		}
		res.Held = append(res.Held, held...)
		if made != nil {
			res.Batches = append(res.Batches, *made)
		}
	}
	return res, nil
}

// payable is the condition for approved aid to go into a batch (s is the
// student; failedLine picks the aid's earlier lines in bl). A line that
// failed to the account the file still has is held back until the account
// is corrected: paying it again would fail again.
// An account change waiting for a second officer holds all the student's aid.
func payable(failedLine string) string {
	return `s.account_enc <> '' AND NOT (s.holder = ` + sqlGuardian + ` AND s.guardian = '')
	AND NOT EXISTS (SELECT 1 FROM batch_lines bl WHERE ` + failedLine + ` AND bl.status = 'failed'
	                AND bl.account_hash = s.account_hash)
	AND NOT ` + pendingAccountChange
}

// sqlGuardian is model.HolderGuardian as an SQL literal, for the queries
// that name the holder: a constant, so never a place for input.
const sqlGuardian = "'" + model.HolderGuardian + "'"

const pendingAccountChange = `EXISTS (SELECT 1 FROM account_changes ac WHERE ac.student_id = s.id AND ac.status = 'pending')`

var (
	payableEntitlement = payable("bl.entitlement_id = ent.id AND bl.adjustment_id IS NULL")
	payableAdjustment  = payable("bl.adjustment_id = adj.id")
)

// lineSource is the SQL of a batch's lines before they are numbered: the
// approved entitlements and the approved top-ups (补发) of one county,
// program and term that can be paid now. kind and src order a student's
// regular line before their top-up.
const lineSource = `SELECT ent.id AS entitlement_id, ent.id AS open_entitlement_id, NULL AS adjustment_id, NULL AS open_adjustment_id,
	ent.student_id, ent.school_id, sc.code AS school_code, sc.name AS school_name, ent.stage, ent.grade,
	COALESCE(e.class, '') AS class, s.name, s.id_type, s.id_enc, s.id_masked, COALESCE(e.student_no, '') AS student_no,
	ent.level, ent.annual_fen, ent.amount_fen, s.bank_name, s.account_enc, s.account_hash, s.account_masked, s.holder,
	CASE WHEN s.holder = ` + sqlGuardian + ` THEN s.guardian ELSE s.name END AS holder_name, '' AS remark, 0 AS kind, ent.id AS src
	FROM entitlements ent
	JOIN students s ON s.id = ent.student_id
	JOIN schools sc ON sc.id = ent.school_id
	LEFT JOIN enrolments e ON e.student_id = ent.student_id AND e.school_id = ent.school_id AND e.school_year = @year
	WHERE ent.program = @program AND ent.term = @term AND ent.status = 'approved' AND sc.region_code = @region AND ` + "%s" + `
	UNION ALL
	SELECT ent.id, NULL, adj.id, adj.id, ent.student_id, ent.school_id, sc.code, sc.name, ent.stage, ent.grade,
	COALESCE(e.class, ''), s.name, s.id_type, s.id_enc, s.id_masked, COALESCE(e.student_no, ''), ent.level, adj.annual_fen,
	adj.amount_fen, s.bank_name, s.account_enc, s.account_hash, s.account_masked, s.holder,
	CASE WHEN s.holder = ` + sqlGuardian + ` THEN s.guardian ELSE s.name END, '补发', 1, adj.id
	FROM adjustments adj
	JOIN entitlements ent ON ent.id = adj.entitlement_id
	JOIN students s ON s.id = ent.student_id
	JOIN schools sc ON sc.id = ent.school_id
	LEFT JOIN enrolments e ON e.student_id = ent.student_id AND e.school_id = ent.school_id AND e.school_year = @year
	WHERE adj.status = 'approved' AND adj.amount_fen > 0 AND ent.program = @program AND ent.term = @term
	AND sc.region_code = @region AND ` + "%s"

// generateBatch makes one batch in one transaction, set-based: the lines are
// inserted by one INSERT … SELECT in ledger order, and the ledger is streamed
// from them into a temporary file and stored in chunks, so memory stays flat
// however many lines there are.
func (s *Batches) generateBatch(ctx context.Context, a model.Actor, p model.Program, region string, term model.Term, dryRun bool, runID *int64) (*BatchMade, []Held, error) {
	var made *BatchMade
	var held []Held
	err := s.bulkTx(ctx, func(tx *gorm.DB) error {
		q := batchQueue{tx: tx, program: p.Code, region: region, term: term}
		var err error
		if dryRun {
			made, held, err = q.preview()
		} else {
			made, held, err = s.writeBatch(q, a, runID)
		}
		return err
	})
	if errors.Is(err, errNothingToBatch) {
		return nil, held, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return made, held, nil
}

// batchQueue is the approved aid of one program, county and term, inside
// the transaction that batches it.
type batchQueue struct {
	tx      *gorm.DB
	program string
	region  string
	term    model.Term
}

// lineTotal counts lines and their amounts.
type lineTotal struct {
	N   int
	Fen model.Fen
}

func (q batchQueue) approved() *gorm.DB {
	return q.tx.Table("entitlements ent").
		Joins("JOIN students s ON s.id = ent.student_id").
		Joins("JOIN schools sc ON sc.id = ent.school_id").
		Where("ent.program = ? AND ent.term = ? AND ent.status = ? AND sc.region_code = ?", q.program, string(q.term), model.EntApproved, q.region)
}

// source is the query of the lines the queue would become, and its args.
func (q batchQueue) source() (string, map[string]any) {
	return fmt.Sprintf(lineSource, payableEntitlement, payableAdjustment),
		map[string]any{"year": q.term.SchoolYear(), "program": q.program, "term": string(q.term), "region": q.region}
}

// held lists approved aid that cannot be paid now, with the reason. After
// the lines are in, what is still approved is exactly that, so only a dry
// run needs the payable test over the whole queue.
func (q batchQueue) held(dry bool) ([]Held, error) {
	var stuck []struct {
		EntitlementID int64
		StudentID     int64
		Name          string
		SchoolName    string
		NoAccount     bool
		NoGuardian    bool
		Unconfirmed   bool
	}
	sel := q.approved().Select(`ent.id AS entitlement_id, ent.student_id, s.name, sc.name AS school_name, s.account_enc = '' AS no_account,
		(s.holder = ` + sqlGuardian + ` AND s.guardian = '') AS no_guardian, ` + pendingAccountChange + ` AS unconfirmed`)
	if dry {
		sel = sel.Where("NOT (" + payableEntitlement + ")")
	}
	if err := sel.Order("ent.id").Scan(&stuck).Error; err != nil {
		return nil, err
	}
	var held []Held
	for _, st := range stuck {
		held = append(held, Held{EntitlementID: st.EntitlementID, StudentID: st.StudentID, Reason: heldReason(st.NoAccount, st.NoGuardian, st.Unconfirmed),
			Name: st.Name, SchoolName: st.SchoolName})
	}
	return held, nil
}

// heldReason says why approved aid that is not payable is held back: the
// first of payable's conditions it fails.
func heldReason(noAccount, noGuardian, unconfirmed bool) string {
	switch {
	case noAccount:
		return "缺少银行账户，请在学生档案中补录后再发放"
	case noGuardian:
		return "持卡人为监护人但未登记监护人姓名"
	case unconfirmed:
		return "银行账户变更待本县另一名资助专干确认"
	}
	return "上次发放失败的银行账户尚未更正"
}

// nextNumber is the sequence and number the queue's next batch gets.
func (q batchQueue) nextNumber() (int, string, error) {
	var seq int
	if err := q.tx.Model(&model.Batch{}).Select("COALESCE(MAX(seq), 0)").
		Where("region_code = ? AND program = ? AND term = ?", q.region, q.program, string(q.term)).Scan(&seq).Error; err != nil {
		return 0, "", err
	}
	return seq + 1, fmt.Sprintf("%s-%s-%s-%03d", q.region, strings.ToUpper(q.program), q.term, seq+1), nil
}

func (q batchQueue) made(number string, t lineTotal) *BatchMade {
	return &BatchMade{Number: number, RegionCode: q.region, Program: q.program, Term: string(q.term), Lines: t.N, TotalFen: t.Fen}
}

// preview is a dry run: it counts what would go in and writes nothing.
func (q batchQueue) preview() (*BatchMade, []Held, error) {
	source, args := q.source()
	var total lineTotal
	if err := q.tx.Raw("SELECT COUNT(*) AS n, COALESCE(SUM(q.amount_fen), 0) AS fen FROM ("+source+") q", args).Scan(&total).Error; err != nil {
		return nil, nil, err
	}
	held, err := q.held(true)
	if err != nil || total.N == 0 {
		return nil, held, err
	}
	_, number, err := q.nextNumber()
	if err != nil {
		return nil, nil, err
	}
	return q.made(number, total), held, nil
}

// writeBatch makes the batch row, its lines and its ledger, and marks what
// it pays as batched. It counts what went in from the inserted lines' index
// rather than the queue's joins again.
func (s *Batches) writeBatch(q batchQueue, a model.Actor, runID *int64) (*BatchMade, []Held, error) {
	tx := q.tx
	seq, number, err := q.nextNumber()
	if err != nil {
		return nil, nil, err
	}
	b := model.Batch{Number: number, RegionCode: q.region, Program: q.program, Term: string(q.term), Seq: seq,
		Status: model.BatchGenerated, JobRunID: runID, CreatedBy: actorName(a), CreatedAt: s.now()}
	if err := tx.Create(&b).Error; err != nil {
		return nil, nil, err
	}
	if n, err := q.insertLines(b.ID); err != nil || n == 0 {
		if err != nil {
			return nil, nil, err
		}
		held, err := q.held(false)
		if err != nil {
			return nil, nil, err
		}
		return nil, held, errNothingToBatch
	}
	var total lineTotal
	if err := tx.Model(&model.BatchLine{}).Select("COUNT(*) AS n, COALESCE(SUM(amount_fen), 0) AS fen").
		Where("batch_id = ?", b.ID).Scan(&total).Error; err != nil {
		return nil, nil, err
	}
	b.LineCount, b.TotalFen = total.N, total.Fen
	if err := tx.Model(&model.Batch{}).Where("id = ?", b.ID).
		Updates(map[string]any{"line_count": total.N, "total_fen": total.Fen}).Error; err != nil {
		return nil, nil, err
	}
	made := q.made(b.Number, total)
	if err := s.fault(FaultBatchAfterLinesInsert); err != nil {
		return nil, nil, err
	}
	if err := markLinesBatched(tx, b, total.N); err != nil {
		return nil, nil, err
	}
	held, err := q.held(false)
	if err != nil {
		return nil, nil, err
	}
	if err := s.storeLedger(tx, &b); err != nil {
		return nil, nil, err
	}
	made.ID = b.ID
	return made, held, s.audit(tx, inRegion(a, b.RegionCode), "generate", "batch", strconv.FormatInt(b.ID, 10), nil, map[string]any{
		"number": b.Number, "lines": b.LineCount, "total_fen": b.TotalFen, "ledger_sha256": b.LedgerSHA256})
}

// insertLines writes the queue's payable aid as the batch's lines, in
// ledger order.
func (q batchQueue) insertLines(batchID int64) (int64, error) {
	source, args := q.source()
	args["batch"], args["pending"] = batchID, model.LinePending
	ins := q.tx.Exec(`INSERT INTO batch_lines (batch_id, seq, entitlement_id, open_entitlement_id, adjustment_id,
		open_adjustment_id, student_id, school_id, school_code, school_name, stage, grade, class, name, id_type, id_enc,
		id_masked, student_no, level, annual_fen, amount_fen, bank_name, account_enc, account_hash, account_masked, holder,
		holder_name, remark, status, fail_reason)
		SELECT @batch, ROW_NUMBER() OVER (ORDER BY q.school_code, q.grade, q.class, q.name, q.kind, q.src),
		q.entitlement_id, q.open_entitlement_id, q.adjustment_id, q.open_adjustment_id, q.student_id, q.school_id,
		q.school_code, q.school_name, q.stage, q.grade, q.class, q.name, q.id_type, q.id_enc, q.id_masked, q.student_no,
		q.level, q.annual_fen, q.amount_fen, q.bank_name, q.account_enc, q.account_hash, q.account_masked, q.holder,
		q.holder_name, q.remark, @pending, ''
		FROM (`+source+`) q`, args)
	return ins.RowsAffected, ins.Error
}

// markLinesBatched marks the entitlements and adjustments the batch's lines
// pay as batched, in chunks of ids read back from the lines: an UPDATE … IN
// (subquery) is not turned into a join by every engine. Anything changed
// under the batch is a conflict.
func markLinesBatched(tx *gorm.DB, b model.Batch, lines int) error {
	var entIDs, adjIDs []int64
	if err := tx.Model(&model.BatchLine{}).Where("batch_id = ? AND open_entitlement_id IS NOT NULL", b.ID).
		Order("open_entitlement_id").Pluck("open_entitlement_id", &entIDs).Error; err != nil {
		return err
	}
	if err := tx.Model(&model.BatchLine{}).Where("batch_id = ? AND open_adjustment_id IS NOT NULL", b.ID).
		Order("open_adjustment_id").Pluck("open_adjustment_id", &adjIDs).Error; err != nil {
		return err
	}
	marked, err := markBatched(tx, "entitlements", model.EntApproved, model.EntBatched, entIDs, b.CreatedAt)
	if err != nil {
		return err
	}
	markedAdj, err := markBatched(tx, "adjustments", model.AdjApproved, model.AdjBatched, adjIDs, b.CreatedAt)
	if err != nil {
		return err
	}
	if marked+markedAdj != int64(lines) {
		return conflict("资助记录在生成批次时被修改，请重试")
	}
	return nil
}

// errNothingToBatch rolls back a batch row that found no payable line.
var errNothingToBatch = errors.New("nothing to batch")

// markBatched moves rows of table from one status to the next by id, a
// thousand at a time, and counts what moved.
func markBatched(tx *gorm.DB, table, from, to string, ids []int64, at time.Time) (int64, error) {
	var n int64
	for start := 0; start < len(ids); start += 1000 {
		res := tx.Table(table).Where("id IN ? AND status = ?", ids[start:min(start+1000, len(ids))], from).
			Updates(map[string]any{"status": to, "updated_at": at})
		if res.Error != nil {
			return n, res.Error
		}
		n += res.RowsAffected
	}
	return n, nil
}

// storeLedger stores the batch's ledger with its SHA-256 (hard rule 2), and
// the masked rendering county officers download beside it.
func (s *Batches) storeLedger(tx *gorm.DB, b *model.Batch) error {
	sum, size, err := s.storeChunks(tx, "ledger_chunks", b.ID, func(w io.Writer) (err error) {
		b.LinesSHA256, err = s.writeLedger(tx, *b, false, w)
		return err
	})
	if err != nil {
		return err
	}
	b.LedgerSHA256, b.LedgerSize = sum, size
	if err := tx.Model(&model.Batch{}).Where("id = ?", b.ID).Updates(map[string]any{
		"lines_sha256": b.LinesSHA256, "ledger_sha256": b.LedgerSHA256, "ledger_size": size}).Error; err != nil {
		return err
	}
	return s.storeMaskedLedger(tx, b)
}

// writeLedger writes the ledger of a batch from its frozen lines, reading
// them twice: once for the column widths and school totals (plain columns
// only), once streaming, when ID and account numbers are opened, one line
// at a time (and, for the masked rendering, masked at once). The same lines
// always give the same bytes.
func (s *Batches) writeLedger(db *gorm.DB, b model.Batch, masked bool, w io.Writer) (string, error) {
	p, _ := model.ProgramByCode(b.Program)
	var region model.Region
	if err := db.First(&region, "code = ?", b.RegionCode).Error; err != nil {
		return "", err
	}
	doc := ledger.Batch{Number: b.Number, RegionCode: b.RegionCode, RegionName: region.Name, Program: b.Program,
		ProgramName: p.Name, Term: model.Term(b.Term), GeneratedAt: b.CreatedAt}
	if err := db.Model(&model.BatchLine{}).Select("school_code AS code, school_name AS name, COUNT(*) AS count, SUM(amount_fen) AS amount").
		Where("batch_id = ?", b.ID).Group("school_code, school_name").Order("school_code").Scan(&doc.Schools).Error; err != nil {
		return "", err
	}
	widths, err := s.ledgerWidths(db, b, doc)
	if err != nil {
		return "", err
	}
	src := func(yield func(*ledger.Line) error) error {
		if masked {
			return s.eachLine(db, b.ID, false, func(l *ledger.Line) error { return yield(maskLine(l)) })
		}
		return s.eachLine(db, b.ID, false, yield)
	}
	return (ledger.Options{TmpDir: s.opt.TempDir}).WriteLedgerStream(w, doc, widths, b.LineCount, src)
}

// eachLine reads a batch's lines in order as the ledger and bank files show
// them, opening the sealed ID and account numbers one line at a time.
func (s *Batches) eachLine(db *gorm.DB, batchID int64, unpaidOnly bool, yield func(*ledger.Line) error) error {
	q := db.Model(&model.BatchLine{}).Select(`seq, school_name, stage, grade, class, name, id_type, id_enc,
		student_no, level, annual_fen, amount_fen, bank_name, account_enc, holder, holder_name, remark`).Where("batch_id = ?", batchID)
	if unpaidOnly {
		q = q.Where("status <> ?", model.LineFailed)
	}
	rows, err := q.Order("seq").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var l ledger.Line
	var stage, level, idEnc, acctEnc string
	var grade int
	for rows.Next() {
		if err := rows.Scan(&l.Seq, &l.SchoolName, &stage, &grade, &l.Class, &l.Name, &l.IDType, &idEnc, &l.StudentNo,
			&level, &l.AnnualStandard, &l.Amount, &l.BankName, &acctEnc, &l.Holder, &l.HolderName, &l.Remark); err != nil {
			return err
		}
		if l.IDNumber, err = s.keys.Open(idEnc); err != nil {
			return err
		}
		if l.StudentNo, err = s.keys.Open(l.StudentNo); err != nil {
			return err
		}
		if l.BankAccount, err = s.keys.Open(acctEnc); err != nil {
			return err
		}
		l.Grade, l.Level = model.GradeText(stage, grade), model.LevelLabel(level)
		if err := yield(&l); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ledgerWidths sizes 明细's columns from the widest stored values. ID and
// account columns get a fixed width; 学籍号 are opened to be measured, as
// the width their plain text had before they were sealed (so a rebuild of
// an older ledger still gives its bytes).
func (s *Batches) ledgerWidths(db *gorm.DB, b model.Batch, doc ledger.Batch) (ledger.Widths, error) {
	length := s.engine.charLength()
	var m struct {
		School, Class, Name, StudentNo, Bank, HolderName int
		Seq                                              int
		Annual, Amount                                   model.Fen
	}
	q := "COALESCE(MAX(" + length + "(%s)), 0) AS %s"
	sel := []string{fmt.Sprintf(q, "school_name", "school"), fmt.Sprintf(q, "class", "class"), fmt.Sprintf(q, "name", "name"),
		fmt.Sprintf(q, "bank_name", "bank"), fmt.Sprintf(q, "holder_name", "holder_name"),
		"COALESCE(MAX(seq), 0) AS seq", "COALESCE(MAX(annual_fen), 0) AS annual", "COALESCE(MAX(amount_fen), 0) AS amount"}
	if err := db.Model(&model.BatchLine{}).Select(strings.Join(sel, ", ")).Where("batch_id = ?", b.ID).Scan(&m).Error; err != nil {
		return ledger.Widths{}, err
	}
	var err error
	if m.StudentNo, err = s.widestStudentNo(db, b.ID); err != nil {
		return ledger.Widths{}, err
	}
	wide := func(n int) string { return strings.Repeat("国", n) } // a CJK character is two columns wide
	widest := ledger.Line{Seq: m.Seq, SchoolName: wide(m.School), Grade: "中职一年级", Class: wide(m.Class), Name: wide(m.Name),
		IDNumber: "000000000000000000", StudentNo: strings.Repeat("0", m.StudentNo), Level: "特别困难", BankName: wide(m.Bank),
		BankAccount: "0000000000000000000", Holder: model.HolderGuardian, Remark: "补发", AnnualStandard: m.Annual, Amount: m.Amount}
	widths := ledger.NewWidths(doc)
	widths.Measure(&widest)
	return widths, nil
}

// widestStudentNo is the length in characters of a batch's longest 学籍号.
func (s *Batches) widestStudentNo(db *gorm.DB, batchID int64) (int, error) {
	rows, err := db.Model(&model.BatchLine{}).Select("student_no").Where("batch_id = ? AND student_no <> ''", batchID).Rows()
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	widest := 0
	for rows.Next() {
		var sealed string
		if err := rows.Scan(&sealed); err != nil {
			return 0, err
		}
		no, err := s.keys.Open(sealed)
		if err != nil {
			return 0, err
		}
		widest = max(widest, utf8.RuneCountInString(no))
	}
	return widest, rows.Err()
}
