package ledger

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// DefaultBankMaxLines is POLICY.md's default bank.max_lines_per_file: bank
// portals commonly cap one upload at 5,000 lines.
const DefaultBankMaxLines = 5000

// Sheet names of a bank payment file. The bank's import reads the first
// sheet, so the detail comes first and the part's totals after it rather
// than as a footer row the import would take for a payment.
const (
	BankDetailSheet  = "代发明细"
	BankSummarySheet = "汇总"
)

var bankHeader = [...]string{"序号", "账号", "户名", "金额", "证件类型", "证件号码", "摘要"}

// BankPart is one upload file's share of a batch, with its own count and
// total for the bank's checks.
type BankPart struct {
	Part, Parts int    // 1-based: part 2 of 3
	Lines       []Line // a window onto Batch.Lines, not a copy
	Amount      model.Fen
}

// BankParts splits lines into consecutive parts of at most maxLines (≤ 0
// means DefaultBankMaxLines). No lines give no parts.
func BankParts(lines []Line, maxLines int) []BankPart {
	if maxLines <= 0 {
		maxLines = DefaultBankMaxLines
	}
	n := (len(lines) + maxLines - 1) / maxLines
	parts := make([]BankPart, 0, n)
	for i := 0; i < len(lines); i += maxLines {
		p := BankPart{Part: len(parts) + 1, Parts: n, Lines: lines[i:min(i+maxLines, len(lines))]}
		for _, l := range p.Lines {
			p.Amount += l.Amount
		}
		parts = append(parts, p)
	}
	return parts
}

// BankFileName names a part's file so that parts sort in order and carry
// their batch: 430921-BOARDING-2025-2026-1-001-代发明细-02-of-03.xlsx.
func BankFileName(batchNumber string, p BankPart) string {
	return fmt.Sprintf("%s-代发明细-%02d-of-%02d.xlsx", batchNumber, p.Part, p.Parts)
}

// BankMemo is the 摘要 the recipient sees on the bank statement, e.g.
// "2025-2026学年第一学期义务教育家庭经济困难寄宿生生活补助".
func (b Batch) BankMemo() string { return b.Term.Label() + b.ProgramName }

// WriteBankFile writes one part with default options.
func WriteBankFile(w io.Writer, b Batch, p BankPart) error {
	return Options{}.WriteBankFile(w, b, p)
}

// WriteBankFile writes one part of the bank payment file (代发明细):
// 序号 restarting at 1 in each part as bank templates expect, 账号 and 证件号码
// as text so no digit is lost, 金额 as text with two decimals and no
// currency sign ("1250.00"), and a 汇总 sheet with the part's count and
// total. Lines the bank could not pay (no account, no holder name, amount
// not above zero) are refused before anything is written.
func (o Options) WriteBankFile(w io.Writer, b Batch, p BankPart) error {
	if err := b.validateBankPart(p); err != nil {
		return err
	}
	f := excelize.NewFile(excelize.Options{TmpDir: o.TmpDir})
	defer f.Close()
	if err := f.SetSheetName("Sheet1", BankDetailSheet); err != nil {
		return err
	}
	if _, err := f.NewSheet(BankSummarySheet); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := writeBankDetail(f, st, b, p); err != nil {
		return fmt.Errorf("ledger: bank file %s: %w", BankDetailSheet, err)
	}
	if err := writeBankSummary(f, st, b, p); err != nil {
		return fmt.Errorf("ledger: bank file %s: %w", BankSummarySheet, err)
	}
	subject := fmt.Sprintf("%s 第%d部分/共%d部分", b.Number, p.Part, p.Parts)
	return writeDeterministic(f, w, b.GeneratedAt, b.Title()+" 代发明细", subject)
}

func (b Batch) validateBankPart(p BankPart) error {
	if b.Number == "" || b.GeneratedAt.IsZero() {
		return fmt.Errorf("ledger: batch %q has no number or generation time", b.Number)
	}
	if _, err := model.ParseTerm(string(b.Term)); err != nil {
		return fmt.Errorf("ledger: batch %s: %w", b.Number, err)
	}
	if p.Part < 1 || p.Part > p.Parts {
		return fmt.Errorf("ledger: batch %s: part %d of %d", b.Number, p.Part, p.Parts)
	}
	var sum model.Fen
	for _, l := range p.Lines {
		switch {
		case l.BankAccount == "":
			return fmt.Errorf("ledger: batch %s line %d has no bank account", b.Number, l.Seq)
		case l.HolderName == "":
			return fmt.Errorf("ledger: batch %s line %d has no account holder name", b.Number, l.Seq)
		case l.Amount <= 0:
			return fmt.Errorf("ledger: batch %s line %d pays %s yuan", b.Number, l.Seq, l.Amount.Plain())
		}
		sum += l.Amount
	}
	if sum != p.Amount {
		return fmt.Errorf("ledger: batch %s part %d totals %s yuan but its lines add up to %s", b.Number, p.Part, p.Amount.Plain(), sum.Plain())
	}
	return nil
}

func writeBankDetail(f *excelize.File, st styles, b Batch, p BankPart) error {
	sw, err := f.NewStreamWriter(BankDetailSheet)
	if err != nil {
		return err
	}
	memo := b.BankMemo()
	var widths [len(bankHeader)]int
	for i, h := range bankHeader {
		widths[i] = displayWidth(h)
	}
	widths[0] = max(widths[0], intWidth(len(p.Lines)))
	widths[6] = max(widths[6], displayWidth(memo))
	for _, l := range p.Lines {
		widths[1] = max(widths[1], displayWidth(l.BankAccount))
		widths[2] = max(widths[2], displayWidth(l.HolderName))
		widths[3] = max(widths[3], amountWidth(l.Amount))
		widths[4] = max(widths[4], displayWidth(idTypeOrDefault(l.IDType)))
		widths[5] = max(widths[5], displayWidth(l.IDNumber))
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, widthFor(w)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	header := make([]any, len(bankHeader))
	for i, h := range bankHeader {
		header[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	var cells [len(bankHeader)]excelize.Cell
	row := make([]any, len(cells))
	for i := range cells {
		cells[i].StyleID = st.text
		row[i] = &cells[i]
	}
	cells[0].StyleID = st.integer
	cells[6].Value = memo
	for i, l := range p.Lines {
		cells[0].Value = i + 1
		cells[1].Value = l.BankAccount
		cells[2].Value = l.HolderName
		cells[3].Value = l.Amount.Plain()
		cells[4].Value = idTypeOrDefault(l.IDType)
		cells[5].Value = l.IDNumber
		if err := sw.SetRow(cellName(1, i+2), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// idTypeOrDefault applies the roster's default: POLICY.md, 身份证件类型
// defaults to 居民身份证.
func idTypeOrDefault(t string) string {
	if t == "" {
		return "居民身份证"
	}
	return t
}

func writeBankSummary(f *excelize.File, st styles, b Batch, p BankPart) error {
	cw := cellWriter{f: f, sheet: BankSummarySheet}
	facts := []struct {
		label string
		value any
		style int
	}{
		{"批次号", b.Number, st.text},
		{"分册", "第" + strconv.Itoa(p.Part) + "部分，共" + strconv.Itoa(p.Parts) + "部分", st.text},
		{"笔数", len(p.Lines), st.integer},
		{"总金额", p.Amount.Plain(), st.text},
		{"总金额（大写）", p.Amount.Capital(), st.text},
		{"摘要", b.BankMemo(), st.text},
		{"生成时间", b.GeneratedAt.In(model.Shanghai()).Format("2006-01-02 15:04"), st.text},
	}
	valueWidth := 0
	for i, fact := range facts {
		r := strconv.Itoa(i + 1)
		cw.set("A"+r, st.totalText, fact.label)
		cw.set("B"+r, fact.style, fact.value)
		if s, ok := fact.value.(string); ok {
			valueWidth = max(valueWidth, displayWidth(s))
		}
	}
	cw.colWidth("A", 18)
	cw.colWidth("B", widthFor(valueWidth))
	return cw.err
}
