package ledger_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/ledger"
)

// sampleBatch is a small batch whose lines carry the awkward values a real
// roster brings: leading zeros, an X check digit, formula-like remarks.
func sampleBatch() ledger.Batch {
	lines := []ledger.Line{
		{Seq: 1, SchoolName: "南县第一中学", Grade: "七年级", Class: "3班", Name: "张三", IDType: "居民身份证",
			IDNumber: "43092120100101123X", StudentNo: "G43092120100101123X", Level: "特别困难",
			BankName: "南县农村商业银行", BankAccount: "0012345678901234", Holder: "本人", HolderName: "张三",
			Remark: "=HYPERLINK(\"http://example.invalid\",\"点我\")", AnnualStandard: 150000, Amount: 75000},
		{Seq: 2, SchoolName: "南县第一中学", Grade: "八年级", Class: "+1", Name: "李四", IDType: "居民身份证",
			IDNumber: "430921200903020021", StudentNo: "G430921200903020021", Level: "困难",
			BankName: "中国农业银行", BankAccount: "6228480000000000017", Holder: "监护人", HolderName: "李大山",
			Remark: "-1", AnnualStandard: 150000, Amount: 75000},
		{Seq: 3, SchoolName: "南县明山头镇中心小学", Grade: "三年级", Class: "@SUM(A1)", Name: "阿依古丽·买买提",
			IDType: "居民身份证", IDNumber: "430921201505050044", StudentNo: "G430921201505050044", Level: "一般困难",
			BankName: "中国邮政储蓄银行", BankAccount: "6210980000000000009", Holder: "本人", HolderName: "阿依古丽·买买提",
			Remark: "\t=1+1", AnnualStandard: 125000, Amount: 62550},
	}
	return ledger.Batch{
		Number:      "430921-BOARDING-2025-2026-1-001",
		RegionCode:  "430921",
		RegionName:  "南县",
		Program:     "boarding",
		ProgramName: "义务教育家庭经济困难寄宿生生活补助",
		Term:        "2025-2026-1",
		GeneratedAt: time.Date(2025, 9, 20, 2, 30, 45, 0, time.UTC),
		Schools: []ledger.SchoolTotal{
			{Code: "2143000123", Name: "南县第一中学", Count: 2, Amount: 150000},
			{Code: "0143000456", Name: "南县明山头镇中心小学", Count: 1, Amount: 62550},
		},
		Lines: lines,
	}
}

func writeLedger(t testing.TB, b ledger.Batch) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := streamLedger(ledger.Options{}, &buf, b); err != nil {
		t.Fatalf("WriteLedgerStream: %v", err)
	}
	return buf.Bytes()
}

func openWorkbook(t testing.TB, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open written workbook: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// zipPart returns one part of the package, for what excelize has no getter for.
func zipPart(t testing.TB, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("no part %s", name)
	return ""
}

func cellValue(t testing.TB, f *excelize.File, sheet, cell string, raw bool) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: raw})
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, cell, err)
	}
	return v
}

func numFmtOf(t testing.TB, f *excelize.File, sheet, cell string) (int, string) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	custom := ""
	if st.CustomNumFmt != nil {
		custom = *st.CustomNumFmt
	}
	return st.NumFmt, custom
}

func TestWriteLedgerSummarySheet(t *testing.T) {
	b := sampleBatch()
	data := writeLedger(t, b)
	f := openWorkbook(t, data)

	if got := f.GetSheetList(); len(got) != 2 || got[0] != "汇总" || got[1] != "明细" {
		t.Fatalf("sheets = %v", got)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet = %d, want 汇总", f.GetActiveSheetIndex())
	}
	want := map[string]string{
		"A1":  "南县2025-2026学年第一学期义务教育家庭经济困难寄宿生生活补助发放台账",
		"A2":  "批次号",
		"B2":  "430921-BOARDING-2025-2026-1-001",
		"A3":  "生成时间",
		"B3":  "2025-09-20 10:30", // 02:30 UTC is 10:30 in Shanghai
		"B4":  "南县（430921）",
		"B5":  "义务教育家庭经济困难寄宿生生活补助",
		"B6":  "2025-2026学年第一学期",
		"A8":  "序号",
		"B8":  "学校标识码",
		"C8":  "学校名称",
		"D8":  "人数",
		"E8":  "金额(元)",
		"A9":  "1",
		"B9":  "2143000123",
		"C9":  "南县第一中学",
		"D9":  "2",
		"E9":  "1,500.00",
		"A10": "2",
		"B10": "0143000456",
		"C10": "南县明山头镇中心小学",
		"D10": "1",
		"E10": "625.50",
		"A11": "合计",
		"D11": "3",
		"E11": "2,125.50",
		"A13": "合计金额（大写）：人民币贰仟壹佰贰拾伍元伍角",
		"A14": "明细数据 SHA-256：" + ledger.LinesHash(b.Lines),
		"A16": "制表人：________________",
		"C16": "审核人：________________",
		"A17": "财政部门负责人：________________",
		"C17": "日期：________________",
	}
	for cell, w := range want {
		if got := cellValue(t, f, "汇总", cell, false); got != w {
			t.Errorf("汇总!%s = %q, want %q", cell, got, w)
		}
	}
	if got := cellValue(t, f, "汇总", "E11", true); got != "2125.5" {
		t.Errorf("total raw value = %q", got)
	}
	if typ, _ := f.GetCellType("汇总", "B10"); typ != excelize.CellTypeSharedString {
		t.Errorf("school code cell type = %v, want a string", typ)
	}
	merged, err := f.GetMergeCells("汇总")
	if err != nil {
		t.Fatal(err)
	}
	var title bool
	for _, m := range merged {
		if m.GetStartAxis() == "A1" && m.GetEndAxis() == "E1" {
			title = true
		}
	}
	if !title {
		t.Error("title is not merged across A1:E1")
	}
	if _, custom := numFmtOf(t, f, "汇总", "E11"); custom != "#,##0.00" {
		t.Errorf("total format = %q", custom)
	}
}

func TestWriteLedgerDetailSheet(t *testing.T) {
	b := sampleBatch()
	data := writeLedger(t, b)
	f := openWorkbook(t, data)
	const sh = "明细"

	header := []string{"序号", "学校名称", "年级", "班级", "姓名", "身份证件号", "学籍号", "困难等级", "资助项目", "学期",
		"年标准(元)", "本次金额(元)", "开户银行", "银行卡号", "持卡人", "备注"}
	rows, err := f.GetRows(sh)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("明细 has %d rows, want header + 3", len(rows))
	}
	if strings.Join(rows[0], "|") != strings.Join(header, "|") {
		t.Errorf("header = %v", rows[0])
	}
	wantRow := []string{"1", "南县第一中学", "七年级", "3班", "张三", "43092120100101123X", "G43092120100101123X", "特别困难",
		"义务教育家庭经济困难寄宿生生活补助", "2025-2026学年第一学期", "1,500.00", "750.00", "南县农村商业银行",
		"0012345678901234", "本人", `=HYPERLINK("http://example.invalid","点我")`}
	if strings.Join(rows[1], "|") != strings.Join(wantRow, "|") {
		t.Errorf("row 2 = %q\nwant    %q", rows[1], wantRow)
	}

	for _, cell := range []string{"F2", "N2", "F3", "N3", "G2"} {
		if typ, _ := f.GetCellType(sh, cell); typ != excelize.CellTypeInlineString {
			t.Errorf("%s type = %v, want a string cell", cell, typ)
		}
		if numFmt, _ := numFmtOf(t, f, sh, cell); numFmt != 49 {
			t.Errorf("%s number format = %d, want 49 (text)", cell, numFmt)
		}
	}
	if got := cellValue(t, f, sh, "N2", true); got != "0012345678901234" {
		t.Errorf("account lost its leading zeros: %q", got)
	}

	for cell, raw := range map[string]string{"K2": "1500", "L2": "750", "K4": "1250", "L4": "625.5"} {
		if typ, _ := f.GetCellType(sh, cell); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("%s type = %v, want a number", cell, typ)
		}
		if got := cellValue(t, f, sh, cell, true); got != raw {
			t.Errorf("%s raw = %q, want %q", cell, got, raw)
		}
		if _, custom := numFmtOf(t, f, sh, cell); custom != "#,##0.00" {
			t.Errorf("%s format = %q, want #,##0.00", cell, custom)
		}
	}
	if got := cellValue(t, f, sh, "L4", false); got != "625.50" {
		t.Errorf("L4 shown as %q", got)
	}

	panes, err := f.GetPanes(sh)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the header row frozen", panes)
	}
	sheetXML := zipPart(t, data, "xl/worksheets/sheet2.xml")
	// excelize writes the range with $ signs, which Excel accepts.
	if !strings.Contains(strings.ReplaceAll(sheetXML, "$", ""), `<autoFilter ref="A1:P4"`) {
		t.Error("no auto-filter over A1:P4 in 明细")
	}
	var filterName bool
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && dn.RefersTo == "'明细'!$A$1:$P$4" {
			filterName = true
		}
	}
	if !filterName {
		t.Errorf("no _FilterDatabase name for 明细: %+v", f.GetDefinedName())
	}

	// Nothing may show as ####: every column is at least as wide as its
	// widest shown value.
	for c := 1; c <= len(header); c++ {
		col, _ := excelize.ColumnNumberToName(c)
		width, err := f.GetColWidth(sh, col)
		if err != nil {
			t.Fatal(err)
		}
		for r := range rows {
			if c-1 < len(rows[r]) && width < float64(textWidth(rows[r][c-1])) {
				t.Errorf("column %s width %.0f < %q", col, width, rows[r][c-1])
			}
		}
	}
}

func textWidth(s string) int {
	w := 0
	for _, r := range s {
		if r < 0x1100 {
			w++
		} else {
			w += 2
		}
	}
	return min(w, 58)
}

// TestWriteLedgerNeutralisesFormulas checks that text which Excel would take
// for a formula (= + - @, or those behind a tab or CR) is stored as a plain
// string with the text format: no <f> element, the value kept as typed. A
// string cell is never evaluated on open; the "@" format keeps it text even
// if a user edits the cell. A leading apostrophe is not needed in xlsx (and
// would be shown); it only matters for CSV exports, which this package does
// not make.
func TestWriteLedgerNeutralisesFormulas(t *testing.T) {
	b := sampleBatch()
	evil := []string{"=1+1", "+8613800000000", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
		`=cmd|' /C calc'!A0`, "=HYPERLINK(\"http://example.invalid\")"}
	b.Lines = nil
	b.Schools = []ledger.SchoolTotal{{Code: "=1+2", Name: "+学校", Count: len(evil), Amount: 100 * model.Fen(len(evil))}}
	for i, s := range evil {
		b.Lines = append(b.Lines, ledger.Line{Seq: i + 1, SchoolName: s, Grade: s, Class: s, Name: s,
			IDNumber: s, StudentNo: s, Level: s, BankName: s, BankAccount: s, Holder: s, HolderName: s,
			Remark: s, AnnualStandard: 200, Amount: 100})
	}
	data := writeLedger(t, b)
	f := openWorkbook(t, data)
	for i, s := range evil {
		for _, col := range []string{"B", "C", "D", "E", "F", "G", "H", "M", "N", "O", "P"} {
			cell := col + strconv.Itoa(i+2)
			if formula, _ := f.GetCellFormula("明细", cell); formula != "" {
				t.Errorf("明细!%s has formula %q", cell, formula)
			}
			if got := cellValue(t, f, "明细", cell, true); got != s {
				t.Errorf("明细!%s = %q, want %q", cell, got, s)
			}
		}
	}
	for _, cell := range []string{"B9", "C9"} {
		if formula, _ := f.GetCellFormula("汇总", cell); formula != "" {
			t.Errorf("汇总!%s has formula %q", cell, formula)
		}
	}
	if got := cellValue(t, f, "汇总", "B9", false); got != "=1+2" {
		t.Errorf("汇总!B9 = %q", got)
	}
	for _, part := range []string{"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} {
		if strings.Contains(zipPart(t, data, part), "<f>") {
			t.Errorf("%s contains a formula element", part)
		}
	}
}

func TestWriteLedgerIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("waits across a second boundary")
	}
	b := sampleBatch()
	first := sha256.Sum256(writeLedger(t, b))
	// Anything taken from the wall clock would now differ by at least a
	// second, which zip and docProps timestamps would show.
	time.Sleep(1100 * time.Millisecond)
	data := writeLedger(t, b)
	if second := sha256.Sum256(data); first != second {
		t.Fatalf("two writes of one batch differ: %x vs %x", first, second)
	}

	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !zf.Modified.Equal(b.GeneratedAt) {
			t.Errorf("%s modified %v, want the batch time %v", zf.Name, zf.Modified, b.GeneratedAt)
		}
	}
	core := zipPart(t, data, "docProps/core.xml")
	for _, want := range []string{">2025-09-20T02:30:45Z</dcterms:created>", ">2025-09-20T02:30:45Z</dcterms:modified>", "430921-BOARDING-2025-2026-1-001"} {
		if !strings.Contains(core, want) {
			t.Errorf("core.xml lacks %q:\n%s", want, core)
		}
	}

	// A different batch time must change the bytes, or the test above
	// would pass for the wrong reason.
	b.GeneratedAt = b.GeneratedAt.Add(time.Minute)
	if sha256.Sum256(writeLedger(t, b)) == first {
		t.Error("changing GeneratedAt did not change the bytes")
	}
}

func TestWriteLedgerRejectsInconsistentBatch(t *testing.T) {
	tests := map[string]func(*ledger.Batch){
		"school amounts differ from lines": func(b *ledger.Batch) { b.Schools[0].Amount++ },
		"school counts differ from lines":  func(b *ledger.Batch) { b.Schools[1].Count = 2 },
		"no number":                        func(b *ledger.Batch) { b.Number = "" },
		"bad term":                         func(b *ledger.Batch) { b.Term = "2025-2026-3" },
		"no generation time":               func(b *ledger.Batch) { b.GeneratedAt = time.Time{} },
		"amount beyond Excel precision": func(b *ledger.Batch) {
			b.Lines[0].Amount += 1e15
			b.Schools[0].Amount += 1e15
		},
	}
	for name, spoil := range tests {
		t.Run(name, func(t *testing.T) {
			b := sampleBatch()
			spoil(&b)
			if err := streamLedger(ledger.Options{}, io.Discard, b); err == nil {
				t.Error("WriteLedgerStream accepted it")
			}
		})
	}
}

func TestWriteLedgerEmptyBatch(t *testing.T) {
	b := sampleBatch()
	b.Lines, b.Schools = nil, nil
	f := openWorkbook(t, writeLedger(t, b))
	// Without schools the total row follows the header directly.
	for cell, want := range map[string]string{"A9": "合计", "D9": "0", "A11": "合计金额（大写）：人民币零元整"} {
		if got := cellValue(t, f, "汇总", cell, false); got != want {
			t.Errorf("汇总!%s = %q, want %q", cell, got, want)
		}
	}
	if rows, _ := f.GetRows("明细"); len(rows) != 1 {
		t.Errorf("明细 has %d rows, want the header only", len(rows))
	}
}

func TestLinesHash(t *testing.T) {
	lines := sampleBatch().Lines
	h := ledger.LinesHash(lines)
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("hash %q is not hex SHA-256", h)
	}
	if ledger.LinesHash(lines) != h {
		t.Error("hash is not stable")
	}
	// The documented canonical form, rebuilt independently.
	var sb strings.Builder
	sb.WriteString("studentaid-ledger-lines-v1\n")
	esc := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	for _, l := range lines {
		fields := []string{strconv.Itoa(l.Seq), l.SchoolName, l.Grade, l.Class, l.Name, l.IDType, l.IDNumber,
			l.StudentNo, l.Level, l.BankName, l.BankAccount, l.Holder, l.HolderName, l.Remark}
		for i := 1; i < len(fields); i++ {
			fields[i] = esc.Replace(fields[i])
		}
		fields = append(fields, l.AnnualStandard.Plain(), l.Amount.Plain())
		sb.WriteString(strings.Join(fields, "\t") + "\n")
	}
	if sum := sha256.Sum256([]byte(sb.String())); h != hexString(sum[:]) {
		t.Errorf("hash does not follow the documented canonical form")
	}

	// Every field matters, and a tab inside a field cannot pose as a separator.
	changed := append([]ledger.Line(nil), lines...)
	changed[2].HolderName += " "
	if ledger.LinesHash(changed) == h {
		t.Error("changing HolderName kept the hash")
	}
	a := []ledger.Line{{Name: "a\tb", Class: ""}}
	c := []ledger.Line{{Name: "a", Class: "b"}}
	if ledger.LinesHash(a) == ledger.LinesHash(c) {
		t.Error("tab in a field collides with the separator")
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, x := range b {
		out = append(out, digits[x>>4], digits[x&15])
	}
	return string(out)
}

// TestAmountCellsAreExact checks the claim in amountCell: the number written
// for n fen reads back as exactly n fen, for every size up to Excel's
// 15 significant digits.
func TestAmountCellsAreExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []model.Fen{0, 1, 5, 10, 99, 140950, 999_999_999_999_999, -62550}
	for range 200_000 {
		values = append(values, model.Fen(r.Int64N(1_000_000_000_000_000)))
	}
	for _, f := range values {
		s := strconv.FormatFloat(float64(f)/100, 'f', -1, 64)
		if significant := len(strings.TrimLeft(strings.NewReplacer(".", "", "-", "").Replace(s), "0")); significant > 15 {
			t.Fatalf("%d fen needs %d significant digits: %s", f, significant, s)
		}
		if back, err := model.ParseYuan(s); err != nil || back != f {
			t.Fatalf("%d fen written as %s reads back as %d (%v)", f, s, back, err)
		}
	}
}

// bigBatch is n lines over 10 schools with realistic field lengths.
func bigBatch(n int) ledger.Batch {
	b := sampleBatch()
	b.Lines = make([]ledger.Line, n)
	b.Schools = make([]ledger.SchoolTotal, 10)
	for i := range b.Schools {
		b.Schools[i] = ledger.SchoolTotal{Code: "21430001" + strconv.Itoa(10+i), Name: "南县第" + strconv.Itoa(i+1) + "中学"}
	}
	for i := range b.Lines {
		s := &b.Schools[i%10]
		id := "4309212010" + strconv.Itoa(10000000 + i)[:8]
		b.Lines[i] = ledger.Line{Seq: i + 1, SchoolName: s.Name, Grade: "七年级", Class: strconv.Itoa(i%12+1) + "班",
			Name: "学生" + strconv.Itoa(i), IDType: "居民身份证", IDNumber: id, StudentNo: "G" + id, Level: "困难",
			BankName: "南县农村商业银行", BankAccount: "62210000" + strconv.Itoa(10000000000+i), Holder: "本人",
			HolderName: "学生" + strconv.Itoa(i), AnnualStandard: 150000, Amount: 75000}
		s.Count++
		s.Amount += 75000
	}
	return b
}

// TestWriteLedgerMillionLines is the size the stream writer is there for.
// It takes a minute and a few hundred MB for the input alone, so it runs
// only when LEDGER_LARGE=1.
func TestWriteLedgerMillionLines(t *testing.T) {
	if os.Getenv("LEDGER_LARGE") == "" {
		t.Skip("set LEDGER_LARGE=1 to write a 1,000,000-line ledger")
	}
	b := bigBatch(1_000_000)
	out, err := os.CreateTemp(t.TempDir(), "ledger-*.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	if err := streamLedger(ledger.Options{TmpDir: t.TempDir()}, out, b); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	info, _ := out.Stat()
	t.Logf("1,000,000 lines: %s, %d MiB file, heap in use %d MiB (input alone %d MiB), total allocated %d MiB",
		time.Since(start).Round(time.Millisecond), info.Size()>>20, after.HeapInuse>>20, before.HeapInuse>>20,
		(after.TotalAlloc-before.TotalAlloc)>>20)
}

func BenchmarkWriteLedger100k(b *testing.B) {
	batch := bigBatch(100_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := streamLedger(ledger.Options{}, io.Discard, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamWriterBare100k writes the same detail cells with a bare
// excelize StreamWriter and no styles, widths or summary: the floor that
// BenchmarkWriteLedger100k is measured against.
func BenchmarkStreamWriterBare100k(b *testing.B) {
	batch := bigBatch(100_000)
	b.ReportAllocs()
	for b.Loop() {
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		row := make([]any, 16)
		for i, l := range batch.Lines {
			row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = l.Seq, l.SchoolName, l.Grade, l.Class, l.Name, l.IDNumber, l.StudentNo, l.Level
			row[8], row[9], row[10], row[11] = batch.ProgramName, "2025-2026学年第一学期", float64(l.AnnualStandard)/100, float64(l.Amount)/100
			row[12], row[13], row[14], row[15] = l.BankName, l.BankAccount, l.Holder, l.Remark
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, row); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
		_ = f.Close()
	}
}

// streamLedger writes a batch whose lines are in memory (b.Lines) the way
// the service streams them from the database: widths measured first, then
// the lines in order.
func streamLedger(o ledger.Options, w io.Writer, b ledger.Batch) error {
	widths := ledger.NewWidths(b)
	for i := range b.Lines {
		widths.Measure(&b.Lines[i])
	}
	_, err := o.WriteLedgerStream(w, b, widths, len(b.Lines), func(yield func(*ledger.Line) error) error {
		for i := range b.Lines {
			if err := yield(&b.Lines[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}
