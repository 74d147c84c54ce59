package service

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

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
}

// GenerateResult is what a batch job run made.
type GenerateResult struct {
	DryRun  bool        `json:"dry_run"`
	Batches []BatchMade `json:"batches"`
	Held    []Held      `json:"held"`
}

// queued is an approved entitlement with the file data its line freezes.
type queued struct {
	EntitlementID int64
	StudentID     int64
	SchoolID      int64
	SchoolCode    string
	SchoolName    string
	Stage         string
	Grade         int
	Class         string
	Name          string
	IDType        string
	IDEnc         string
	IDMasked      string
	StudentNo     string
	Level         string
	AnnualFen     model.Fen
	AmountFen     model.Fen
	BankName      string
	AccountEnc    string
	AccountHash   string
	AccountMasked string
	Holder        string
	Guardian      string
	FailedSame    int // failed lines to this same account
}

// GenerateBatches makes one batch per county and term from the program's
// approved entitlements that are in no open batch, each in one transaction
// with its ledger: a failure leaves no half batch. Running it again with
// nothing new makes nothing.
func (s *Service) GenerateBatches(ctx context.Context, a model.Actor, program string, dryRun bool, runID *int64) (GenerateResult, error) {
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
		Where("ent.program = ? AND ent.status = ?", p.Code, model.EntApproved)
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

func (s *Service) generateBatch(ctx context.Context, a model.Actor, p model.Program, region string, term model.Term, dryRun bool, runID *int64) (*BatchMade, []Held, error) {
	var made *BatchMade
	var held []Held
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var rows []queued
		// A line that failed to the account the file still has is held back
		// until the account is corrected: paying it again would fail again.
		if err := tx.Table("entitlements ent").Select(`ent.id AS entitlement_id, ent.student_id, ent.school_id,
			sc.code AS school_code, sc.name AS school_name, ent.stage, ent.grade, COALESCE(e.class, '') AS class, s.name,
			s.id_type, s.id_enc, s.id_masked, COALESCE(e.student_no, '') AS student_no, ent.level, ent.annual_fen,
			ent.amount_fen, s.bank_name, s.account_enc, s.account_hash, s.account_masked, s.holder, s.guardian,
			(SELECT COUNT(*) FROM batch_lines bl WHERE bl.entitlement_id = ent.id AND bl.status = 'failed'
			   AND bl.account_hash = s.account_hash) AS failed_same`).
			Joins("JOIN students s ON s.id = ent.student_id").
			Joins("JOIN schools sc ON sc.id = ent.school_id").
			Joins("LEFT JOIN enrolments e ON e.student_id = ent.student_id AND e.school_id = ent.school_id AND e.school_year = ?", term.SchoolYear()).
			Where("ent.program = ? AND ent.term = ? AND ent.status = ? AND sc.region_code = ?", p.Code, string(term), model.EntApproved, region).
			Order("sc.code, ent.grade, class, s.name, ent.id").Scan(&rows).Error; err != nil {
			return err
		}
		var lines []model.BatchLine
		for _, r := range rows {
			switch {
			case r.AccountEnc == "":
				held = append(held, Held{r.EntitlementID, r.StudentID, "缺少银行账户，请在学生档案中补录后再发放"})
				continue
			case r.FailedSame > 0:
				held = append(held, Held{r.EntitlementID, r.StudentID, "上次发放失败的银行账户尚未更正"})
				continue
			case r.Holder == "监护人" && r.Guardian == "":
				held = append(held, Held{r.EntitlementID, r.StudentID, "持卡人为监护人但未登记监护人姓名"})
				continue
			}
			holderName := r.Name
			if r.Holder == "监护人" {
				holderName = r.Guardian
			}
			ent := r.EntitlementID
			lines = append(lines, model.BatchLine{Seq: len(lines) + 1, EntitlementID: r.EntitlementID, OpenEntitlementID: &ent,
				StudentID: r.StudentID, SchoolID: r.SchoolID, SchoolCode: r.SchoolCode, SchoolName: r.SchoolName,
				GradeText: gradeText(r.Stage, r.Grade), Class: r.Class, Name: r.Name, IDType: r.IDType, IDEnc: r.IDEnc,
				IDMasked: r.IDMasked, StudentNo: r.StudentNo, Level: r.Level, AnnualFen: r.AnnualFen, AmountFen: r.AmountFen,
				BankName: r.BankName, AccountEnc: r.AccountEnc, AccountHash: r.AccountHash, AccountMasked: r.AccountMasked,
				Holder: r.Holder, HolderName: holderName, Status: model.LinePending})
		}
		if len(lines) == 0 {
			return nil
		}
		var seq int
		if err := tx.Model(&model.Batch{}).Select("COALESCE(MAX(seq), 0)").
			Where("region_code = ? AND program = ? AND term = ?", region, p.Code, string(term)).Scan(&seq).Error; err != nil {
			return err
		}
		b := model.Batch{Number: fmt.Sprintf("%s-%s-%s-%03d", region, strings.ToUpper(p.Code), term, seq+1), RegionCode: region,
			Program: p.Code, Term: string(term), Seq: seq + 1, Status: model.BatchGenerated, LineCount: len(lines),
			JobRunID: runID, CreatedBy: actorName(a), CreatedAt: s.now()}
		for _, l := range lines {
			b.TotalFen += l.AmountFen
		}
		made = &BatchMade{Number: b.Number, RegionCode: region, Program: p.Code, Term: string(term), Lines: len(lines), TotalFen: b.TotalFen}
		if dryRun {
			return nil
		}
		doc, err := s.ledgerOf(tx, b, lines)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := (ledger.Options{TmpDir: s.opt.TempDir}).WriteLedger(&buf, doc); err != nil {
			return err
		}
		b.Ledger, b.LedgerSHA256, b.LinesSHA256 = buf.Bytes(), sha256Hex(buf.Bytes()), ledger.LinesHash(doc.Lines)
		if err := tx.Create(&b).Error; err != nil {
			return err
		}
		for i := range lines {
			lines[i].BatchID = b.ID
		}
		if err := insertAll(tx, lines); err != nil {
			return err
		}
		if err := s.fault("batch:lines_written"); err != nil {
			return err
		}
		ids := make([]int64, len(lines))
		for i, l := range lines {
			ids[i] = l.EntitlementID
		}
		upd := tx.Model(&model.Entitlement{}).Where("id IN ? AND status = ?", ids, model.EntApproved).
			Updates(map[string]any{"status": model.EntBatched, "updated_at": b.CreatedAt})
		if upd.Error != nil {
			return upd.Error
		}
		if upd.RowsAffected != int64(len(ids)) {
			return conflict("资助记录在生成批次时被修改，请重试")
		}
		made.ID = b.ID
		return s.audit(tx, a, "generate", "batch", strconv.FormatInt(b.ID, 10), nil, map[string]any{
			"number": b.Number, "lines": b.LineCount, "total_fen": b.TotalFen, "ledger_sha256": b.LedgerSHA256})
	})
	if err != nil {
		return nil, nil, err
	}
	return made, held, nil
}

// fault lets tests and fault scripts make a step fail on purpose.
func (s *Service) fault(point string) error {
	if s.opt.Fault == nil {
		return nil
	}
	return s.opt.Fault(point)
}

// ledgerOf turns a batch and its frozen lines into the ledger document; full
// ID and account numbers are opened here and only here.
func (s *Service) ledgerOf(tx *gorm.DB, b model.Batch, lines []model.BatchLine) (ledger.Batch, error) {
	p, _ := model.ProgramByCode(b.Program)
	var region model.Region
	if err := tx.First(&region, "code = ?", b.RegionCode).Error; err != nil {
		return ledger.Batch{}, err
	}
	doc := ledger.Batch{Number: b.Number, RegionCode: b.RegionCode, RegionName: region.Name, Program: b.Program,
		ProgramName: p.Name, Term: model.Term(b.Term), GeneratedAt: b.CreatedAt, Lines: make([]ledger.Line, 0, len(lines))}
	bySchool := map[string]int{}
	for _, l := range lines {
		id, err := s.keys.Open(l.IDEnc)
		if err != nil {
			return doc, err
		}
		acct, err := s.keys.Open(l.AccountEnc)
		if err != nil {
			return doc, err
		}
		doc.Lines = append(doc.Lines, ledger.Line{Seq: l.Seq, SchoolName: l.SchoolName, Grade: l.GradeText, Class: l.Class,
			Name: l.Name, IDType: l.IDType, IDNumber: id, StudentNo: l.StudentNo, Level: model.LevelLabel(l.Level),
			BankName: l.BankName, BankAccount: acct, Holder: l.Holder, HolderName: l.HolderName,
			AnnualStandard: l.AnnualFen, Amount: l.AmountFen})
		i, ok := bySchool[l.SchoolCode]
		if !ok {
			i = len(doc.Schools)
			bySchool[l.SchoolCode] = i
			doc.Schools = append(doc.Schools, ledger.SchoolTotal{Code: l.SchoolCode, Name: l.SchoolName})
		}
		doc.Schools[i].Count++
		doc.Schools[i].Amount += l.AmountFen
	}
	return doc, nil
}
