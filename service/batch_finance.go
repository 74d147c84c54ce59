package service

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// batchReaders may see batches of their area; finance pays them.
// batchReaders: not the system administrator, who manages accounts and jobs,
// never batches or ledgers (DESIGN.md, least privilege).
var batchReaders = []model.Role{model.RoleFinance, model.RoleCountyOfficer, model.RoleAuditor}

// BatchFilter narrows GET /batches.
type BatchFilter struct {
	RegionCode string
	Program    string
	Term       string
	Status     string
	Sort       string // one of batchSorts; empty: the newest first
	Page       Page
}

// ListBatches lists batches in the actor's area, without their ledgers.
func (s *Batches) ListBatches(ctx context.Context, a model.Actor, f BatchFilter) (List[model.Batch], error) {
	out := List[model.Batch]{Page: f.Page.Normalize()}
	q, err := s.batchQuery(ctx, a, f)
	if err != nil {
		return out, err
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	err = out.Page.apply(q.Order(batchSorts[f.Sort])).Find(&out.Items).Error
	return out, err
}

// batchQuery is the filtered, scoped list of batches, for the page and its
// export.
func (s *Batches) batchQuery(ctx context.Context, a model.Actor, f BatchFilter) (*gorm.DB, error) {
	if !a.Is(batchReaders...) {
		return nil, errRoleForbidden
	}
	if _, err := sortOrder(batchSorts, f.Sort); err != nil {
		return nil, err
	}
	q := inScopeRegions(s.reader(ctx).Model(&model.Batch{}), a, "region_code")
	if f.RegionCode != "" && !regionCodePattern.MatchString(f.RegionCode) {
		return nil, invalid("region_code 须为 6 位区域代码")
	}
	if f.RegionCode != "" {
		q = q.Where("region_code LIKE ?", model.RegionPrefix(f.RegionCode)+"%")
	}
	for col, v := range map[string]string{"program": f.Program, "term": f.Term, "status": f.Status} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	return q, nil
}

// BatchDetail is a batch with its per-school and per-status totals.
type BatchDetail struct {
	Batch   model.Batch
	Schools []BatchSchoolTotal
	Status  map[string]int
}

// BatchSchoolTotal is one school's part of a batch.
type BatchSchoolTotal struct {
	SchoolID   int64
	SchoolCode string
	SchoolName string
	LineCount  int
	TotalFen   model.Fen
}

// batch loads a batch the actor may see (404 otherwise).
func (s *Batches) batch(tx *gorm.DB, a model.Actor, id int64) (model.Batch, error) {
	var b model.Batch
	if !a.Is(batchReaders...) {
		return b, errRoleForbidden
	}
	if err := tx.First(&b, id).Error; err != nil {
		return b, translate(err, "发放批次")
	}
	if !seesRegion(a, b.RegionCode) {
		return model.Batch{}, notFound("发放批次")
	}
	return b, nil
}

// GetBatch returns a batch with its school totals.
func (s *Batches) GetBatch(ctx context.Context, a model.Actor, id int64) (BatchDetail, error) {
	db := s.db.WithContext(ctx)
	b, err := s.batch(db, a, id)
	if err != nil {
		return BatchDetail{}, err
	}
	d := BatchDetail{Batch: b, Status: map[string]int{}}
	if err := db.Model(&model.BatchLine{}).Select("school_id, school_code, school_name, COUNT(*) AS line_count, SUM(amount_fen) AS total_fen").
		Where("batch_id = ?", id).Group("school_id, school_code, school_name").Order("school_code").Scan(&d.Schools).Error; err != nil {
		return d, err
	}
	var st []struct {
		Status string
		N      int
	}
	if err := db.Model(&model.BatchLine{}).Select("status, COUNT(*) AS n").Where("batch_id = ?", id).Group("status").Scan(&st).Error; err != nil {
		return d, err
	}
	for _, x := range st {
		d.Status[x.Status] = x.N
	}
	return d, nil
}

// LedgerInfo checks the actor may download a batch's ledger, picks the
// rendering the role gets (county officers the masked one, finance and
// auditors the full one) and records the download (hard rule 3);
// CopyLedger then streams the stored bytes.
func (s *Batches) LedgerInfo(ctx context.Context, a model.Actor, id int64) (LedgerFile, error) {
	b, err := s.batch(s.db.WithContext(ctx), a, id)
	if err != nil {
		return LedgerFile{}, err
	}
	f := LedgerFile{Batch: b, SHA256: b.LedgerSHA256, Size: b.LedgerSize}
	if !a.Is(model.RoleFinance, model.RoleAuditor) {
		if err := s.ensureMaskedLedger(ctx, &f.Batch); err != nil {
			return f, err
		}
		f.SHA256, f.Size, f.Masked = *f.Batch.MaskedLedgerSHA256, *f.Batch.MaskedLedgerSize, true
	}
	s.auditAlone(ctx, a, "download", "ledger", strconv.FormatInt(id, 10), nil,
		map[string]any{"number": b.Number, "sha256": f.SHA256, "masked": f.Masked})
	return f, nil
}

// CopyLedger writes the stored rendering LedgerInfo chose chunk by chunk:
// the same bytes on every download (hard rule 2), never the whole file in
// memory. The masked one, which may have been stored just now, is read from
// the primary.
func (s *Batches) CopyLedger(ctx context.Context, f LedgerFile, w io.Writer) error {
	if f.Masked {
		return copyChunks(s.db.WithContext(ctx), s.keys, "masked_ledger_chunks", f.Batch.ID, w)
	}
	db, err := s.ledgerReader(ctx, f.Batch.ID)
	if err != nil {
		return err
	}
	return copyChunks(db, s.keys, "ledger_chunks", f.Batch.ID, w)
}

// RebuildLedger writes the ledger again from the frozen lines; it must give
// the stored bytes, which tests and auditors can check.
func (s *Batches) RebuildLedger(ctx context.Context, a model.Actor, id int64) ([]byte, error) {
	db := s.db.WithContext(ctx)
	b, err := s.batch(db, a, id)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = s.writeLedger(db, b, false, &buf)
	return buf.Bytes(), err
}

// BankFile is a payment file for the bank: one .xlsx, or a zip of numbered
// parts when the batch has more lines than one upload may carry.
type BankFile struct {
	Filename    string
	ContentType string
	Bytes       []byte
	Parts       int
}

// BankFileOf writes the bank payment file with full account and ID numbers;
// finance only, and every download is audited.
func (s *Batches) BankFileOf(ctx context.Context, a model.Actor, id int64) (BankFile, error) {
	var out BankFile
	if !a.Is(model.RoleFinance) {
		return out, errRoleForbidden
	}
	db := s.db.WithContext(ctx)
	b, err := s.batch(db, a, id)
	if err != nil {
		return out, err
	}
	if b.Status == model.BatchGenerated {
		return out, conflict("批次尚未审核，审核后才能下载银行代发文件")
	}
	p, _ := model.ProgramByCode(b.Program)
	doc := ledger.Batch{Number: b.Number, RegionCode: b.RegionCode, Program: b.Program, ProgramName: p.Name,
		Term: model.Term(b.Term), GeneratedAt: b.CreatedAt}
	if err := s.eachLine(db, id, true, func(l *ledger.Line) error { doc.Lines = append(doc.Lines, *l); return nil }); err != nil {
		return out, err
	}
	parts := ledger.BankParts(doc.Lines, s.opt.BankMaxLines)
	out.Parts = len(parts)
	opt := ledger.Options{TmpDir: s.opt.TempDir}
	if len(parts) == 1 {
		var buf bytes.Buffer
		if err := opt.WriteBankFile(&buf, doc, parts[0]); err != nil {
			return out, err
		}
		out.Filename, out.ContentType, out.Bytes = ledger.BankFileName(b.Number, parts[0]), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes()
	} else {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, p := range parts {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: ledger.BankFileName(b.Number, p), Method: zip.Deflate, Modified: b.CreatedAt})
			if err != nil {
				return out, err
			}
			if err := opt.WriteBankFile(w, doc, p); err != nil {
				return out, err
			}
		}
		if err := zw.Close(); err != nil {
			return out, err
		}
		out.Filename, out.ContentType, out.Bytes = b.Number+"-代发明细.zip", "application/zip", buf.Bytes()
	}
	s.auditAlone(ctx, a, "download", "bank_file", strconv.FormatInt(id, 10), nil, map[string]any{"number": b.Number, "parts": out.Parts, "lines": len(doc.Lines)})
	return out, nil
}

// ApproveBatch is finance's go-ahead to pay a generated batch.
func (s *Batches) ApproveBatch(ctx context.Context, a model.Actor, id int64) (model.Batch, error) {
	var b model.Batch
	if !a.Is(model.RoleFinance) {
		return b, errRoleForbidden
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if b, err = s.batch(tx, a, id); err != nil {
			return err
		}
		if b.Status != model.BatchGenerated {
			return conflict("只能审核“已生成”的批次，该批次当前状态为“%s”", batchStatusLabel[b.Status])
		}
		now := s.now()
		res := tx.Model(&model.Batch{}).Where("id = ? AND status = ?", id, model.BatchGenerated).
			Updates(map[string]any{"status": model.BatchApproved, "approved_at": now, "approved_by": a.Username})
		if res.Error != nil || res.RowsAffected != 1 {
			return firstErr(res.Error, conflict("批次状态已被他人修改，请刷新"))
		}
		b.Status, b.ApprovedAt, b.ApprovedBy = model.BatchApproved, &now, a.Username
		return s.audit(tx, a, "approve", "batch", strconv.FormatInt(id, 10),
			map[string]any{"status": model.BatchGenerated}, map[string]any{"status": model.BatchApproved, "total_fen": b.TotalFen})
	})
	return b, err
}

var batchStatusLabel = map[string]string{
	model.BatchGenerated: "已生成", model.BatchApproved: "已审核", model.BatchPaid: "已发放", model.BatchPartiallyPaid: "部分发放", model.BatchFailed: "全部失败",
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// ResultProblem is a row of a bank result sheet that cannot be applied.
type ResultProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// ResultOutcome is what an upload of bank results did.
type ResultOutcome struct {
	BatchStatus string
	Paid        int
	Failed      int
	Unchanged   int
	Pending     int
}

// ApplyBankResults reads the bank's result sheet and marks lines paid or
// failed. Every row must match a line of this batch by account and amount (or
// by 序号), or nothing is applied; a replayed file changes nothing. A failed
// line frees its entitlement for the next batch, with the bank's reason.
func (s *Batches) ApplyBankResults(ctx context.Context, a model.Actor, id int64, filename string, file io.ReaderAt, size int64) (ResultOutcome, error) {
	var out ResultOutcome
	if !a.Is(model.RoleFinance) {
		return out, errRoleForbidden
	}
	results, rowErrs, err := ledger.ReadBankResults(file, size, s.opt.RosterMaxBytes)
	if err != nil {
		return out, ledgerFileErr(err, "bank_result_")
	}
	sum, err := fileSHA256(file, size)
	if err != nil {
		return out, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		out = ResultOutcome{} // a retried attempt counts afresh
		b, err := s.batch(tx, a, id)
		if err != nil {
			return err
		}
		if b.Status == model.BatchGenerated {
			return conflict("批次尚未审核，不能登记银行结果")
		}
		// Serialise uploads of the same batch: the batch row is the lock.
		if err := tx.Exec("UPDATE batches SET status = status WHERE id = ?", id).Error; err != nil {
			return err
		}
		var lines []model.BatchLine
		if err := tx.Where("batch_id = ?", id).Order("seq").Find(&lines).Error; err != nil {
			return err
		}
		problems := make([]ResultProblem, 0, len(rowErrs))
		for _, e := range rowErrs {
			problems = append(problems, ResultProblem{Row: e.Row, Column: e.Column, Message: e.Message})
		}
		updates, probs := s.matchResults(lines, results)
		problems = append(problems, probs...)
		if len(problems) > 0 {
			e := ruleErr("bank_results_rejected", "银行结果文件有 %d 处问题，未登记任何结果，请核对后重新上传", len(problems))
			e.Details = problems
			return e
		}
		now := s.now()
		if err := s.recordResults(tx, updates, now, &out); err != nil {
			return err
		}
		if err := settleBatch(tx, b, now, &out); err != nil {
			return err
		}
		if err := tx.Create(&model.BankResultUpload{BatchID: id, FileSHA256: sum, Filename: truncateRunes(filename, 200),
			UploadedBy: a.Username, Paid: out.Paid, Failed: out.Failed, Unchanged: out.Unchanged, CreatedAt: now}).Error; err != nil {
			return err
		}
		if out.Paid+out.Failed == 0 {
			return nil // a replay: nothing to record beyond the upload itself
		}
		return s.audit(tx, a, "bank_results", "batch", strconv.FormatInt(id, 10), map[string]any{"status": b.Status},
			map[string]any{"status": out.BatchStatus, "paid": out.Paid, "failed": out.Failed, "file_sha256": sum})
	})
	return out, err
}

// recordResults writes each line's result and settles what it paid; a line
// already in the file's state is counted unchanged (a replayed file).
func (s *Batches) recordResults(tx *gorm.DB, updates []lineUpdate, now time.Time, out *ResultOutcome) error {
	for i, u := range updates {
		if i == len(updates)/2 {
			if err := s.fault(FaultBankResultsMidFile); err != nil {
				return err
			}
		}
		l := u.line
		if l.Status == u.status {
			out.Unchanged++
			continue
		}
		fields := map[string]any{"status": u.status, "fail_reason": u.reason, "result_at": now}
		if u.status == model.LineFailed {
			fields["open_entitlement_id"], fields["open_adjustment_id"] = nil, nil
			out.Failed++
		} else {
			out.Paid++
		}
		if err := tx.Model(&model.BatchLine{}).Where("id = ? AND status = ?", l.ID, model.LinePending).Updates(fields).Error; err != nil {
			return err
		}
		if err := settleLine(tx, l, u, now); err != nil {
			return err
		}
	}
	return nil
}

// settleBatch gives the batch its status once no line is pending: paid,
// partially paid, or failed when nothing was paid at all.
func settleBatch(tx *gorm.DB, b model.Batch, now time.Time, out *ResultOutcome) error {
	var counts struct{ Pending, Failed, Total int }
	if err := tx.Model(&model.BatchLine{}).Select(
		"COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending, COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed, COUNT(*) AS total").
		Where("batch_id = ?", b.ID).Scan(&counts).Error; err != nil {
		return err
	}
	out.Pending, out.BatchStatus = counts.Pending, b.Status
	if counts.Pending > 0 {
		return nil
	}
	out.BatchStatus = model.BatchPaid
	switch {
	case counts.Failed == counts.Total:
		out.BatchStatus = model.BatchFailed // nothing was paid: not "partly"
	case counts.Failed > 0:
		out.BatchStatus = model.BatchPartiallyPaid
	}
	if out.BatchStatus == b.Status {
		return nil
	}
	return tx.Model(&model.Batch{}).Where("id = ?", b.ID).Updates(map[string]any{"status": out.BatchStatus, "paid_at": now}).Error
}

// settleLine carries a bank result to what the line paid: the entitlement,
// or the top-up of a 补发 line. A failure puts it back in the queue with the
// bank's reason for the next batch.
func settleLine(tx *gorm.DB, l model.BatchLine, u lineUpdate, now time.Time) error {
	failed := u.status == model.LineFailed
	if l.AdjustmentID != nil {
		// The line keeps the bank's reason; the top-up keeps its own.
		fields := map[string]any{"status": model.AdjPaid, "updated_at": now}
		if failed {
			// Back to the queue, unless the aid is under recovery: then the
			// top-up is not paid at all (POLICY.md "Recoveries").
			var recovering int64
			if err := tx.Model(&model.Adjustment{}).Where("entitlement_id = ? AND status = ?", l.EntitlementID, model.AdjToRecover).
				Count(&recovering).Error; err != nil {
				return err
			}
			fields["status"] = model.AdjApproved
			if recovering > 0 {
				fields["status"] = model.AdjCancelled
			}
		}
		return tx.Model(&model.Adjustment{}).Where("id = ? AND status = ?", *l.AdjustmentID, model.AdjBatched).Updates(fields).Error
	}
	fields := map[string]any{"status": model.EntPaid, "updated_at": now}
	if failed {
		fields = map[string]any{"status": model.EntApproved, "reason": truncateRunes("发放失败："+u.reason, 250), "updated_at": now}
	}
	return tx.Model(&model.Entitlement{}).Where("id = ? AND status = ?", l.EntitlementID, model.EntBatched).Updates(fields).Error
}

type lineUpdate struct {
	line   model.BatchLine
	status string
	reason string
}

// matchResults pairs each result row with exactly one line of the batch.
func (s *Batches) matchResults(lines []model.BatchLine, results []ledger.Result) ([]lineUpdate, []ResultProblem) {
	bySeq := make(map[int]int, len(lines))
	byKey := map[string][]int{}
	for i, l := range lines {
		bySeq[l.Seq] = i
		k := l.AccountHash + "|" + strconv.FormatInt(int64(l.AmountFen), 10)
		byKey[k] = append(byKey[k], i)
	}
	used := map[int]int{}
	var ups []lineUpdate
	var probs []ResultProblem
	for _, r := range results {
		hash := s.keys.Lookup("bank", r.Account)
		idx := -1
		if i, ok := bySeq[r.Seq]; ok && r.Seq > 0 && lines[i].AccountHash == hash && lines[i].AmountFen == r.Amount {
			idx = i
		} else if cands := byKey[hash+"|"+strconv.FormatInt(int64(r.Amount), 10)]; len(cands) == 1 {
			idx = cands[0]
		} else if len(cands) > 1 {
			for _, c := range cands {
				// Ambiguous by account and amount (one card, several children):
				// the ID number, when the bank returns it, decides.
				if id, err := s.keys.Open(lines[c].IDEnc); err == nil && r.IDNumber != "" && strings.EqualFold(id, r.IDNumber) {
					idx = c
				}
			}
			if idx < 0 {
				probs = append(probs, ResultProblem{Row: r.Row, Message: "同一账号、同一金额对应本批次多笔，请在结果文件中保留“序号”列"})
				continue
			}
		}
		if idx < 0 {
			probs = append(probs, ResultProblem{Row: r.Row, Message: fmt.Sprintf("账号 %s、金额 %s 元在本批次中没有对应的发放明细（可能是其他批次的结果，或金额不符）",
				model.MaskBankAccount(r.Account), r.Amount.Plain())})
			continue
		}
		if prev, dup := used[idx]; dup {
			probs = append(probs, ResultProblem{Row: r.Row, Message: fmt.Sprintf("与第 %d 行重复：同一笔发放出现两次", prev)})
			continue
		}
		used[idx] = r.Row
		l := lines[idx]
		want := model.LinePaid
		if !r.Success {
			want = model.LineFailed
		}
		if l.Status != model.LinePending && l.Status != want {
			probs = append(probs, ResultProblem{Row: r.Row, Message: fmt.Sprintf("第 %d 笔此前已登记为“%s”，与本次结果不一致", l.Seq, lineStatusLabel[l.Status])})
			continue
		}
		// A bank may quote the account in its reason: kept masked like the audit log.
		reason := maskDigitRuns(r.Reason)
		if want == model.LineFailed && reason == "" {
			reason = "银行未说明原因"
		}
		ups = append(ups, lineUpdate{line: l, status: want, reason: reason})
	}
	return ups, probs
}

var lineStatusLabel = map[string]string{model.LinePending: "待发放", model.LinePaid: "发放成功", model.LineFailed: "发放失败"}
