package roster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Parse reads a roster workbook. A problem with the file as a whole is a
// *FileError and nothing is returned; problems in rows are collected in the
// Result so the uploader can fix them all at once.
func Parse(r io.ReaderAt, size int64, opt Options) (*Result, error) {
	opt = opt.withDefaults()
	if opt.DefaultSchool == nil && opt.LookupSchool == nil {
		return nil, errors.New("roster: Options needs DefaultSchool or LookupSchool")
	}
	if opt.DefaultSchool != nil && !validSchoolType(opt.DefaultSchool.Type) {
		return nil, fmt.Errorf("roster: school %s has unknown type %q", opt.DefaultSchool.Code, opt.DefaultSchool.Type)
	}
	if opt.SchoolYear != "" {
		if _, err := firstYear(opt.SchoolYear); err != nil {
			return nil, err
		}
	}
	if size > opt.MaxBytes {
		return nil, fileErr(TooLarge, "file_too_large", "文件大小 %s，超过上限 %s：请删除无关的工作表、图片后再上传，或按学校拆分成多个文件",
			humanSize(size), humanSize(opt.MaxBytes))
	}
	head := make([]byte, 512)
	n, err := r.ReadAt(head[:min(int64(len(head)), size)], 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	src, fe := openRows(r, size, head[:n], opt, SheetRoster)
	if fe != nil {
		return nil, fe
	}
	defer src.close()
	sheet := src.name()

	p := &parser{opt: opt, res: &Result{Sheet: sheet}, seen: map[string]int{}, dups: map[string][]int{}, schools: map[string]schoolLookup{}}
	header, ok, fe := src.next()
	if fe != nil {
		return nil, fe
	}
	if !ok {
		return nil, fileErr(NotARoster, "empty_sheet", "工作表“%s”是空的：请在第1行填写表头，从第2行起每行填写一名学生", sheet)
	}
	if fe := p.readHeader(header.cells); fe != nil {
		if fe.Code == "no_header" {
			fe = lookForHeader(fe, src)
		}
		return nil, fe
	}
	if fe := p.checkColumns(); fe != nil {
		return nil, fe
	}
	// Excel keeps 15 significant digits of a number, so an ID or account
	// number in a number cell has lost its last digits even when what is
	// left still looks like one: the reader says which cells of these
	// columns are numbers.
	watch := map[int]bool{}
	for _, col := range []string{ColIDNumber, ColBankAccount} {
		if i, ok := p.index[col]; ok {
			watch[i] = true
		}
	}
	src.setWatch(watch)
	if fe := p.readRows(sheet, src); fe != nil {
		return nil, fe
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.res, nil
}

// rowSource is a workbook's roster sheet, row by row, whatever its format.
type rowSource interface {
	name() string
	// next returns the next line (an empty row for a line with nothing),
	// ok false after the last; a *FileError ends the reading.
	next() (row sheetRow, ok bool, fe *FileError)
	// setWatch names the columns (0-based) whose number cells next reports.
	setWatch(cols map[int]bool)
	// merges lists the merged ranges that touch row 1, once next has
	// returned the last row.
	merges() []string
	close()
}

// readRows decodes the data rows while a second goroutine validates them,
// so checking rows overlaps decoding the next ones. Merged header cells,
// which an .xlsx lists after its rows, win over any problem in the rows.
func (p *parser) readRows(sheet string, src rowSource) *FileError {
	rows := make(chan sheetRow, 4096)
	validated := make(chan struct{})
	go func() {
		defer close(validated)
		for r := range rows {
			p.addRow(r)
		}
	}()
	fe := p.decodeRows(sheet, src, func(r sheetRow) { rows <- r })
	close(rows)
	<-validated
	if m := src.merges(); fe == nil && len(m) > 0 {
		return fileErr(NotARoster, "merged_header", "表头有合并单元格（%s）：请取消合并，使第1行每列一个列名，从第2行起填写数据",
			strings.Join(m, "、"))
	}
	return fe
}

// decodeRows hands over every data row with content, counting them.
func (p *parser) decodeRows(sheet string, src rowSource, emit func(sheetRow)) *FileError {
	for {
		row, ok, fe := src.next()
		if fe != nil {
			return fe
		}
		if !ok {
			break
		}
		if !hasContent(row.cells) {
			continue
		}
		p.res.Total++
		if p.res.Total > p.opt.MaxRows {
			return fileErr(TooLarge, "too_many_rows", "数据超过 %d 行：请按学校或年级拆分成多个文件上传", p.opt.MaxRows)
		}
		emit(row)
	}
	if p.res.Total == 0 {
		return fileErr(NotARoster, "empty_sheet", "工作表“%s”只有表头，没有学生数据", sheet)
	}
	return nil
}

func unreadable(sheet string) *FileError {
	return fileErr(Unreadable, "not_xlsx", "读取工作表“%s”时出错，文件可能已损坏：%s", sheet, saveAsXLSX)
}

// lookForHeader looks a few rows further when row 1 has no column names: a
// title row above the header is the most common cause, and saying so is
// more helpful than "no header".
func lookForHeader(fe *FileError, src rowSource) *FileError {
	for range 9 {
		row, ok, err := src.next()
		if err != nil || !ok {
			break
		}
		for _, c := range row.cells {
			if _, known := canonicalHeader(c); known {
				return fileErr(NotARoster, "no_header", "表头在第%d行：请删除表头上方的标题等内容，使表头位于第1行", row.line)
			}
		}
	}
	return fe
}

func hasContent(cells []string) bool {
	for _, c := range cells {
		if strings.TrimFunc(c, isBlank) != "" {
			return true
		}
	}
	return false
}

func humanSize(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}

// schoolLookup caches LookupSchool: a county roster names a few schools
// thousands of times each.
type schoolLookup struct {
	school School
	ok     bool
}

type parser struct {
	opt     Options
	res     *Result
	index   map[string]int // column header → cell index
	schools map[string]schoolLookup

	// Duplicate ID numbers are only known once the whole file is read, so
	// the cells of rows that pass are kept packed until then, and the rows
	// are made again from them at the end (see finish).
	pending [][]pendingRow // in chunks: regrowing one large slice would hold it twice
	kept    int
	stream  []Row            // passed rows not yet handed to Options.OnRows
	seen    map[string]int   // ID key → first line
	dups    map[string][]int // ID key → every line, for keys seen twice
}

// pendingRow is a row that passed, as uploaded: its line and its cells
// packed by packCells.
type pendingRow struct {
	line  int
	cells string
}

func (p *parser) readHeader(cells []string) *FileError {
	p.res.Headers = cells
	p.index = map[string]int{}
	var dup []string
	for i, c := range cells {
		h, known := canonicalHeader(c)
		if !known {
			continue
		}
		if _, twice := p.index[h]; twice {
			dup = append(dup, h)
			continue
		}
		p.index[h] = i
	}
	if len(p.index) == 0 {
		return fileErr(NotARoster, "no_header", "第1行没有找到表头（如“姓名”“身份证件号”“年级”）：请使用系统下载的花名册模板，表头必须在第1行")
	}
	if len(dup) > 0 {
		return fileErr(NotARoster, "duplicate_column", "表头中有重复的列：%s，请只保留一列", strings.Join(dup, "、"))
	}
	return nil
}

// checkColumns refuses a file without a column that every row needs, which
// would otherwise produce the same error on every row.
func (p *parser) checkColumns() *FileError {
	required := []string{}
	if p.opt.DefaultSchool == nil {
		required = append(required, ColSchoolCode)
	}
	for _, c := range columns {
		if c.Required {
			required = append(required, c.Header)
		}
	}
	if s := p.opt.DefaultSchool; s != nil {
		switch s.Type {
		case SchoolPrimary, SchoolJunior, SchoolNineYear:
			required = append(required, ColBoarding)
		case SchoolVocational:
			required = append(required, ColStudentNo, ColMajor, ColAgriMajor)
		}
	}
	var missing []string
	for _, h := range required {
		if _, ok := p.index[h]; !ok {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return fileErr(NotARoster, "missing_column", "缺少必填列：%s。请使用系统下载的花名册模板，列名须与模板一致", strings.Join(missing, "、"))
	}
	return nil
}

// addRow validates one data row and files it as pending or failed.
func (p *parser) addRow(r sheetRow) {
	// The row's cells become parts of one packed copy, so that what the
	// Row keeps (a name, a remark) shares it rather than keeping the
	// reader's strings alive beside it: the text is held once.
	packed := packCells(r.cells)
	r.cells = unpackCells(packed)
	line, cells := r.line, r.cells
	row, errs := p.validateRow(r)
	if row.IDNumber.Value != "" {
		key := string(row.IDNumber.Type) + "|" + row.IDNumber.Value
		if first, ok := p.seen[key]; ok {
			if p.dups[key] == nil {
				p.dups[key] = []int{first}
			}
			p.dups[key] = append(p.dups[key], line)
		} else {
			p.seen[key] = line
		}
	}
	if len(errs) > 0 {
		p.res.Failed = append(p.res.Failed, FailedRow{Row: line, Cells: cells, Errors: errs})
		return
	}
	if n := len(p.pending); n == 0 || len(p.pending[n-1]) == cap(p.pending[n-1]) {
		p.pending = append(p.pending, make([]pendingRow, 0, 4096))
	}
	last := &p.pending[len(p.pending)-1]
	*last = append(*last, pendingRow{line: line, cells: packed})
	p.kept++
	if p.opt.OnRows != nil && p.opt.StreamRows > 0 {
		p.stream = append(p.stream, row)
		if len(p.stream) == p.opt.StreamRows {
			p.opt.OnRows(p.stream)
			p.stream = nil
		}
	}
}

// finish turns every row of a duplicated ID number into a failure naming the
// other rows, and every row Refuse names into a failure with its reason, then
// sorts rows and errors into file order.
func (p *parser) finish() error {
	dupErr := map[int]RowError{}
	for _, lines := range p.dups {
		for _, l := range lines {
			var others []string
			for _, o := range lines {
				if o != l && len(others) < 5 {
					others = append(others, fmt.Sprintf("第%d行", o))
				}
			}
			more := ""
			if len(lines)-1 > len(others) {
				more = fmt.Sprintf("等%d行", len(lines)-1)
			}
			dupErr[l] = RowError{Row: l, Column: ColIDNumber, Message: "与" + strings.Join(others, "、") + more + "身份证件号重复：同一学生只能出现一次"}
		}
	}
	for i := range p.res.Failed {
		fr := &p.res.Failed[i]
		if e, ok := dupErr[fr.Row]; ok {
			e.Value = p.maskedCell(ColIDNumber, fr.Cells)
			fr.Errors = append(fr.Errors, e)
		}
	}
	// The final list is built once, in place: the rows are made again from
	// their packed cells straight into it (a Row is 424 bytes, so keeping
	// the rows that passed until now and copying them here would hold
	// 200,000 of them twice), Refuse is asked about slices of it, and the
	// rows it refuses are taken out of it. Each chunk of cells goes once
	// its rows are made and asked about.
	f := finalRows{p: p, rows: make([]Row, 0, p.kept)}
	for i, chunk := range p.pending {
		p.pending[i] = nil
		for _, pr := range chunk {
			if e, dup := dupErr[pr.line]; dup {
				p.failLate(pr, e)
				continue
			}
			if err := f.add(pr); err != nil {
				return err
			}
		}
	}
	if err := f.ask(); err != nil {
		return err
	}
	p.pending = nil
	clear(f.rows[len(f.rows):cap(f.rows)]) // the refused rows' text goes with them
	p.res.Rows = f.rows
	slices.SortStableFunc(p.res.Failed, func(a, b FailedRow) int { return a.Row - b.Row })
	for i := range p.res.Failed {
		errs := p.res.Failed[i].Errors
		slices.SortStableFunc(errs, func(a, b RowError) int { return columnOrder(a.Column) - columnOrder(b.Column) })
		p.res.Errors = append(p.res.Errors, errs...)
	}
	return nil
}

// rowAgain validates a row that passed once more, from its packed cells,
// and gives it text of its own. Validation depends only on the cells and
// the options (schools are looked up once and cached), so the row is the
// one that passed; its number cells no longer matter, as they only fail a
// row.
func (p *parser) rowAgain(pr pendingRow) Row {
	row, _ := p.validateRow(sheetRow{line: pr.line, cells: unpackCells(pr.cells)})
	row.ownText()
	return row
}

// ownText copies the text a Row keeps into one string of its own, so the
// packed cells it was cut from go once the duplicate check is done, not
// with the result (30 % of a large roster's memory), in one allocation a
// row. The other strings are the fixed words of a column (男, primary,
// 在读, …); a string this misses stays correct, only holds its cells.
func (r *Row) ownText() {
	fields := []*string{&r.Name, &r.IDNumber.Value, &r.StudentNo, &r.Class, &r.Major, &r.HomeRegion,
		&r.Guardian, &r.BankName, &r.BankAccount, &r.Phone, &r.Remark}
	for i := range r.Warnings {
		fields = append(fields, &r.Warnings[i].Value)
	}
	n := 0
	for _, f := range fields {
		n += len(*f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(*f)
	}
	text := b.String()
	for _, f := range fields {
		*f, text = text[:len(*f)], text[len(*f):]
	}
}

// failLate files a row that passed as failed after all: a duplicated ID
// number, or refused.
func (p *parser) failLate(pr pendingRow, e RowError) {
	cells := unpackCells(pr.cells)
	e.Value = p.maskedCell(ColIDNumber, cells)
	p.res.Failed = append(p.res.Failed, FailedRow{Row: pr.line, Cells: cells, Errors: []RowError{e}})
}

// finalRows builds the result's rows and asks opt.Refuse about them,
// refuseChunk at a time: the last len(asking) rows are not asked yet.
type finalRows struct {
	p      *parser
	rows   []Row
	asking []pendingRow // their cells, should Refuse fail them
}

func (f *finalRows) add(pr pendingRow) error {
	f.rows = append(f.rows, f.p.rowAgain(pr))
	if f.asking = append(f.asking, pr); len(f.asking) == refuseChunk {
		return f.ask()
	}
	return nil
}

// ask puts the rows not asked yet to opt.Refuse and takes out the ones it
// names.
func (f *finalRows) ask() error {
	defer func() { f.asking = f.asking[:0] }()
	if f.p.opt.Refuse == nil || len(f.asking) == 0 {
		return nil
	}
	from := len(f.rows) - len(f.asking)
	refused, err := f.p.opt.Refuse(f.rows[from:len(f.rows):len(f.rows)])
	if err != nil || len(refused) == 0 {
		return err
	}
	kept := f.rows[:from]
	for i, pr := range f.asking {
		msg, refuse := refused[pr.line]
		if !refuse {
			kept = append(kept, f.rows[from+i])
			continue
		}
		f.p.failLate(pr, RowError{Row: pr.line, Column: ColIDNumber, Message: msg})
	}
	f.rows = kept
	return nil
}

// refuseChunk is how many rows Refuse is asked about at once.
const refuseChunk = 500

// packCells keeps a row's cells as one string (length-prefixed) while it
// waits for the duplicate check: one allocation instead of a slice header
// per cell for every row of a large file.
func packCells(cells []string) string {
	n := 0
	for _, c := range cells {
		n += len(c) + binary.MaxVarintLen64
	}
	var b strings.Builder
	b.Grow(n)
	var size [binary.MaxVarintLen64]byte
	for _, c := range cells {
		b.Write(binary.AppendUvarint(size[:0], uint64(len(c))))
		b.WriteString(c)
	}
	return b.String()
}

func unpackCells(s string) []string {
	var cells []string
	for s != "" {
		n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
		if w <= 0 || n > uint64(len(s)-w) {
			break
		}
		cells = append(cells, s[w:w+int(n)])
		s = s[w+int(n):]
	}
	return cells
}
