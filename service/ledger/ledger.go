// Package ledger writes a disbursement batch as Excel workbooks — the 发放台账
// that county finance pays from and auditors check, and the bank's 代发明细
// upload files — and reads the bank's result sheets back. It works on plain
// values filled by the batch service and knows nothing of the database.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// Batch is a frozen disbursement batch as the ledger and bank files show it.
type Batch struct {
	Number      string // 430921-BOARDING-2025-2026-1-001
	RegionCode  string
	RegionName  string // 南县
	Program     string // boarding
	ProgramName string // 义务教育家庭经济困难寄宿生生活补助
	Term        model.Term
	GeneratedAt time.Time
	Schools     []SchoolTotal
	Lines       []Line
}

// SchoolTotal is one school's row on the 汇总 sheet.
type SchoolTotal struct {
	Code, Name string
	Count      int
	Amount     model.Fen
}

// Line is one student's payment, with every field already as display text.
type Line struct {
	Seq         int
	SchoolName  string
	Grade       string // 三年级
	Class       string
	Name        string
	IDType      string // 居民身份证; empty means 居民身份证
	IDNumber    string
	StudentNo   string
	Level       string // 特别困难
	BankName    string
	BankAccount string
	Holder      string // 持卡人: 本人 or 监护人
	HolderName  string // 户名: the student's name for 本人, the guardian's for 监护人
	Remark      string

	AnnualStandard model.Fen
	Amount         model.Fen
}

// Sheet names and the detail columns as POLICY.md lists them.
const (
	SummarySheet = "汇总"
	DetailSheet  = "明细"
)

var detailHeader = [...]string{
	"序号", "学校名称", "年级", "班级", "姓名", "身份证件号", "学籍号", "困难等级", "资助项目", "学期",
	"年标准(元)", "本次金额(元)", "开户银行", "银行卡号", "持卡人", "备注",
}

// MaxLedgerLines is the most detail lines one 明细 sheet can take: Excel's
// 1,048,576 rows less the header. It also keeps the sheet's XML (about
// 1 KB a line with typical fields) well below the 4 GiB at which the zip
// entry would need ZIP64 headers, which fixedTimeZip does not patch.
const MaxLedgerLines = 1_048_575

// lineHashVersion names the serialisation below; change it with the format.
const lineHashVersion = "studentaid-ledger-lines-v1\n"

// LinesHash is the hex SHA-256 printed on the 汇总 sheet, binding the
// signed summary page to the exact detail lines.
//
// Canonical form (v1), UTF-8: the line "studentaid-ledger-lines-v1", then
// one line per detail line in batch order, each with these fields separated
// by a tab and ended by "\n":
//
//	Seq, SchoolName, Grade, Class, Name, IDType, IDNumber, StudentNo, Level,
//	BankName, BankAccount, Holder, HolderName, Remark,
//	AnnualStandard, Amount
//
// Seq is a decimal integer; the two amounts are yuan with two decimals and
// no separators (Fen.Plain, "1250.00"); in text fields a backslash, tab,
// newline and carriage return are written as \\, \t, \n and \r so that no
// field can imitate a separator. Fields are taken as stored, untrimmed.
func LinesHash(lines []Line) string {
	h := sha256.New()
	_, _ = io.WriteString(h, lineHashVersion)
	var buf []byte
	for i := range lines {
		buf = appendCanonicalLine(buf[:0], &lines[i])
		_, _ = h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func appendCanonicalLine(buf []byte, l *Line) []byte {
	buf = strconv.AppendInt(buf, int64(l.Seq), 10)
	for _, s := range [...]string{l.SchoolName, l.Grade, l.Class, l.Name, l.IDType, l.IDNumber,
		l.StudentNo, l.Level, l.BankName, l.BankAccount, l.Holder, l.HolderName, l.Remark} {
		buf = append(buf, '\t')
		buf = appendEscaped(buf, s)
	}
	buf = append(buf, '\t')
	buf = append(buf, l.AnnualStandard.Plain()...)
	buf = append(buf, '\t')
	buf = append(buf, l.Amount.Plain()...)
	return append(buf, '\n')
}

func appendEscaped(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf = append(buf, `\\`...)
		case '\t':
			buf = append(buf, `\t`...)
		case '\n':
			buf = append(buf, `\n`...)
		case '\r':
			buf = append(buf, `\r`...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// Title is the ledger's heading, {县区}{学年学期}{项目}发放台账.
func (b Batch) Title() string {
	return b.RegionName + b.Term.Label() + b.ProgramName + "发放台账"
}

// validate refuses a batch without what the ledger's heading needs.
func (b Batch) validate() error {
	if b.Number == "" {
		return errors.New("ledger: batch has no number")
	}
	if _, err := model.ParseTerm(string(b.Term)); err != nil {
		return fmt.Errorf("ledger: batch %s: %w", b.Number, err)
	}
	if b.GeneratedAt.IsZero() {
		return fmt.Errorf("ledger: batch %s has no generation time", b.Number)
	}
	return nil
}

// checkTotals refuses a ledger whose summary would not match its lines: the
// signed 汇总 page must never disagree with 明细.
func (b Batch) checkTotals(lines int, lineSum model.Fen) error {
	var count int
	var schoolSum model.Fen
	for _, s := range b.Schools {
		count += s.Count
		schoolSum += s.Amount
	}
	if count != lines || schoolSum != lineSum {
		return fmt.Errorf("ledger: batch %s: schools total %d lines %s yuan but the detail has %d lines %s yuan",
			b.Number, count, schoolSum.Plain(), lines, lineSum.Plain())
	}
	return nil
}

// LineSource yields a batch's lines in order; it stops at the first error
// yield returns. A source may be read from the database row by row, so a
// ledger of a million lines never holds them all.
type LineSource func(yield func(*Line) error) error

// Widths are the 明细 column widths, measured before the first row is
// streamed (the stream writer fixes columns up front).
type Widths struct{ w [len(detailHeader)]int }

// NewWidths starts from the header texts and the batch-wide columns.
func NewWidths(b Batch) Widths {
	var w Widths
	for i, h := range detailHeader {
		w.w[i] = displayWidth(h)
	}
	w.w[8] = max(w.w[8], displayWidth(b.ProgramName))
	w.w[9] = max(w.w[9], displayWidth(b.Term.Label()))
	return w
}

// Measure widens the columns to fit a line.
func (w *Widths) Measure(l *Line) {
	for col, s := range [...]string{1: l.SchoolName, 2: l.Grade, 3: l.Class, 4: l.Name, 5: l.IDNumber,
		6: l.StudentNo, 7: l.Level, 12: l.BankName, 13: l.BankAccount, 14: l.Holder, 15: l.Remark} {
		if s != "" {
			w.w[col] = max(w.w[col], displayWidth(s))
		}
	}
	w.w[0] = max(w.w[0], intWidth(l.Seq))
	w.w[10] = max(w.w[10], amountWidth(l.AnnualStandard))
	w.w[11] = max(w.w[11], amountWidth(l.Amount))
}

// WriteLedgerStream writes the ledger with 明细 read from src (b.Lines is not
// used): count is the number of lines src will yield, widths their measured
// columns. 明细 is written first and the in-memory 汇总 filled afterwards,
// when the lines' hash and totals are known. It returns the lines' hash.
func (o Options) WriteLedgerStream(w io.Writer, b Batch, widths Widths, count int, src LineSource) (string, error) {
	if err := b.validate(); err != nil {
		return "", err
	}
	if count > MaxLedgerLines {
		return "", fmt.Errorf("ledger: batch %s has %d lines, more than one sheet holds (%d)", b.Number, count, MaxLedgerLines)
	}
	f := excelize.NewFile(excelize.Options{TmpDir: o.TmpDir})
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return "", err
	}
	if _, err := f.NewSheet(DetailSheet); err != nil {
		return "", err
	}
	// Before any row is streamed: the stream writer emits sheet views with
	// its first row, so the active tab must be settled by then.
	f.SetActiveSheet(0)
	st, err := newStyles(f)
	if err != nil {
		return "", err
	}
	d, err := writeDetailSheet(f, st, b, widths, count, src)
	if err != nil {
		return "", fmt.Errorf("ledger: %s sheet: %w", DetailSheet, err)
	}
	if d.lines != count {
		return "", fmt.Errorf("ledger: batch %s: expected %d lines, the source gave %d", b.Number, count, d.lines)
	}
	if err := b.checkTotals(d.lines, d.sum); err != nil {
		return "", err
	}
	if err := writeSummarySheet(f, st, b, d.hash); err != nil {
		return "", fmt.Errorf("ledger: %s sheet: %w", SummarySheet, err)
	}
	return d.hash, writeDeterministic(f, w, b.GeneratedAt, b.Title(), b.Number)
}

// writeSummarySheet lays out the page finance signs: batch facts, one row
// per school, the total in figures and in 大写, the detail hash and the
// sign-off lines.
func writeSummarySheet(f *excelize.File, st styles, b Batch, linesHash string) error {
	const sh = SummarySheet
	cw := &cellWriter{f: f, sheet: sh}
	summaryFacts(cw, st, b)
	row, total, nameWidth, amountW := summarySchools(cw, st, b)
	summaryFooter(cw, st, row, total, linesHash)
	cw.colWidth("A", 10)
	cw.colWidth("B", 16)
	cw.colWidth("C", widthFor(max(nameWidth, 24)))
	cw.colWidth("D", 10)
	// Bold totals are wider than the plain digits they were measured as.
	cw.colWidth("E", widthFor(amountW)+2)
	if cw.err != nil {
		return cw.err
	}
	return setPrintLayout(f, sh, false, true)
}

// summaryFacts writes the title and the batch's facts (rows 1–6).
func summaryFacts(cw *cellWriter, st styles, b Batch) {
	cw.set("A1", st.title, b.Title())
	cw.merge("A1", "E1")
	cw.rowHeight(1, 48)
	facts := [][2]string{
		{"批次号", b.Number},
		{"生成时间", b.GeneratedAt.In(model.Shanghai()).Format("2006-01-02 15:04")},
		{"县区", b.RegionName + "（" + b.RegionCode + "）"},
		{"资助项目", b.ProgramName},
		{"学期", b.Term.Label()},
	}
	for i, fact := range facts {
		r := strconv.Itoa(2 + i)
		cw.set("A"+r, st.label, fact[0])
		cw.set("B"+r, st.plain, fact[1])
		cw.merge("B"+r, "E"+r)
	}
}

// summarySchools writes one row per school and the 合计 row; it returns the
// total's row, the total, and the widths the name and amount columns need.
func summarySchools(cw *cellWriter, st styles, b Batch) (row int, total model.Fen, nameWidth, amountW int) {
	const headerRow = 8
	for i, h := range [...]string{"序号", "学校标识码", "学校名称", "人数", "金额(元)"} {
		cw.set(cellName(i+1, headerRow), st.header, h)
	}
	nameWidth, amountW = displayWidth("学校名称"), displayWidth("金额(元)")
	var count int
	row = headerRow
	for i, s := range b.Schools {
		row++
		r := strconv.Itoa(row)
		cw.set("A"+r, st.integer, i+1)
		cw.set("B"+r, st.text, s.Code)
		cw.set("C"+r, st.text, s.Name)
		cw.set("D"+r, st.integer, s.Count)
		cw.amount("E"+r, st.amount, s.Amount)
		count += s.Count
		total += s.Amount
		nameWidth = max(nameWidth, displayWidth(s.Name))
		amountW = max(amountW, amountWidth(s.Amount))
	}
	row++
	r := strconv.Itoa(row)
	cw.set("A"+r, st.totalText, "合计")
	cw.set("B"+r, st.totalText, "")
	cw.set("C"+r, st.totalText, "")
	cw.merge("A"+r, "C"+r)
	cw.set("D"+r, st.totalInteger, count)
	cw.amount("E"+r, st.totalAmount, total)
	return row, total, nameWidth, max(amountW, amountWidth(total))
}

// summaryFooter writes the 大写 total, the detail hash and the sign-off
// lines below the total's row.
func summaryFooter(cw *cellWriter, st styles, row int, total model.Fen, linesHash string) {
	// Long enough to wrap on paper (the hash alone is 64 characters), and
	// Excel does not grow a merged row by itself.
	row += 2
	for _, text := range [...]string{"合计金额（大写）：" + total.Capital(), "明细数据 SHA-256：" + linesHash} {
		r := strconv.Itoa(row)
		cw.set("A"+r, st.plain, text)
		cw.merge("A"+r, "E"+r)
		cw.rowHeight(row, 32)
		row++
	}
	// Sign-off as on paper ledgers: a blank to sign after each role.
	const blank = "________________"
	row++
	for _, pair := range [...][2]string{{"制表人：", "审核人："}, {"财政部门负责人：", "日期："}} {
		r := strconv.Itoa(row)
		cw.set("A"+r, st.plain, pair[0]+blank)
		cw.merge("A"+r, "B"+r)
		cw.set("C"+r, st.plain, pair[1]+blank)
		cw.merge("C"+r, "E"+r)
		cw.rowHeight(row, 30)
		row++
	}
}

// cellWriter keeps the first error so the sheet layout reads top to bottom.
type cellWriter struct {
	f     *excelize.File
	sheet string
	err   error
}

func (c *cellWriter) set(cell string, style int, value any) {
	if c.err != nil {
		return
	}
	if s, ok := value.(string); ok {
		c.err = c.f.SetCellStr(c.sheet, cell, s)
	} else {
		c.err = c.f.SetCellValue(c.sheet, cell, value)
	}
	if c.err == nil {
		c.err = c.f.SetCellStyle(c.sheet, cell, cell, style)
	}
}

func (c *cellWriter) amount(cell string, style int, f model.Fen) {
	if c.err != nil {
		return
	}
	var v excelize.Cell
	if v, c.err = amountCell(style, f); c.err == nil {
		c.set(cell, style, v.Value)
	}
}

func (c *cellWriter) merge(from, to string) {
	if c.err == nil {
		c.err = c.f.MergeCell(c.sheet, from, to)
	}
}

func (c *cellWriter) rowHeight(row int, height float64) {
	if c.err == nil {
		c.err = c.f.SetRowHeight(c.sheet, row, height)
	}
}

func (c *cellWriter) colWidth(col string, width float64) {
	if c.err == nil {
		c.err = c.f.SetColWidth(c.sheet, col, col, width)
	}
}

// colWidths sets the widths of the columns from A on, in order.
func (c *cellWriter) colWidths(widths ...float64) {
	for i, w := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		c.colWidth(col, w)
	}
}

// newSheetFile opens a workbook whose one sheet is named sheet, with the
// styles; the caller closes the file.
func newSheetFile(sheet string) (*excelize.File, styles, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		f.Close()
		return nil, styles{}, err
	}
	st, err := newStyles(f)
	if err != nil {
		f.Close()
		return nil, styles{}, err
	}
	return f, st, nil
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

// detailDigest is what streaming 明细 learned about the lines.
type detailDigest struct {
	lines int
	sum   model.Fen
	hash  string
}

// startDetailSheet sets the detail sheet's page, columns, frozen header and
// filter, and writes the header row.
func startDetailSheet(f *excelize.File, st styles, widths Widths, count int) (*excelize.StreamWriter, error) {
	// Page setup goes on the worksheet before the stream writer takes it over.
	if err := setPrintLayout(f, DetailSheet, true, false); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(DetailSheet)
	if err != nil {
		return nil, err
	}
	for i, w := range widths.w {
		if err := sw.SetColWidth(i+1, i+1, widthFor(w)); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	// The filter range lives in the worksheet part the stream writer emits
	// at Flush, so it can be declared now, before the rows.
	last := cellName(len(detailHeader), count+1)
	if err := f.AutoFilter(DetailSheet, "A1:"+last, nil); err != nil {
		return nil, err
	}

	header := make([]any, len(detailHeader))
	for i, h := range detailHeader {
		header[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	return sw, sw.SetRow("A1", header, excelize.RowOpts{Height: 30})
}

// writeDetailSheet streams 明细 from src, hashing the lines as they pass
// (the same canonical form as LinesHash).
func writeDetailSheet(f *excelize.File, st styles, b Batch, widths Widths, count int, src LineSource) (detailDigest, error) {
	var d detailDigest
	sw, err := startDetailSheet(f, st, widths, count)
	if err != nil {
		return d, err
	}
	// One set of cells reused for every row keeps allocations per row to
	// the values themselves.
	var cells [len(detailHeader)]excelize.Cell
	row := make([]any, len(cells))
	for i := range cells {
		cells[i].StyleID = st.text
		row[i] = &cells[i]
	}
	cells[0].StyleID = st.integer
	cells[8].Value, cells[9].Value = b.ProgramName, b.Term.Label()
	h := sha256.New()
	_, _ = io.WriteString(h, lineHashVersion)
	var canon []byte
	err = src(func(l *Line) error {
		d.lines++
		if d.lines > count {
			return fmt.Errorf("more lines than the %d announced", count)
		}
		d.sum += l.Amount
		canon = appendCanonicalLine(canon[:0], l)
		_, _ = h.Write(canon)
		cells[0].Value = l.Seq
		cells[1].Value = l.SchoolName
		cells[2].Value = l.Grade
		cells[3].Value = l.Class
		cells[4].Value = l.Name
		cells[5].Value = l.IDNumber
		cells[6].Value = l.StudentNo
		cells[7].Value = l.Level
		var err error
		if cells[10], err = amountCell(st.amount, l.AnnualStandard); err != nil {
			return err
		}
		if cells[11], err = amountCell(st.amount, l.Amount); err != nil {
			return err
		}
		cells[12].Value = l.BankName
		cells[13].Value = l.BankAccount
		cells[14].Value = l.Holder
		cells[15].Value = l.Remark
		return sw.SetRow(cellName(1, d.lines+1), row)
	})
	if err != nil {
		return d, err
	}
	d.hash = hex.EncodeToString(h.Sum(nil))
	return d, sw.Flush()
}
