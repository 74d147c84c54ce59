package ledger

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/roster"
)

// The loan desk's uploads: applications (from the template), the
// university's receipt list, and the lending bank's disbursement and
// repayment-status sheets. Each is read by its header row, in any column
// order, and every bad cell is a RowError in Chinese.

// sheetRow is one data row, its cells read by canonical column through the
// sheet's header (shared by its rows: a map per row would be 100,000 maps
// for the garbage collector in a large import).
type sheetRow struct {
	n     int
	cells []string
	cols  map[string]int // canonical column → index in cells
}

func (r sheetRow) get(col string) string {
	if j, ok := r.cols[col]; ok && j < len(r.cells) {
		return strings.TrimSpace(r.cells[j])
	}
	return ""
}

// readSheet reads the first sheet whose header row (within its first 20
// rows) names every required column; aliases maps the headers people use to
// the canonical column. Blank rows and a closing 合计 row are skipped.
// document names the file in the messages of the roster reader's bounds.
func readSheet(r io.ReaderAt, size, maxBytes int64, document string, aliases map[string]string, required []string) ([]sheetRow, map[string]bool, error) {
	var rows []sheetRow
	header, err := eachSheetRow(r, size, maxBytes, document, aliases, required, func(row sheetRow) error {
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return rows, header, nil
}

// eachSheetRow is readSheet handing each row to each as it is read; an
// error from each stops the reading and is returned.
func eachSheetRow(r io.ReaderAt, size, maxBytes int64, document string, aliases map[string]string, required []string, each func(sheetRow) error) (map[string]bool, error) {
	wb, err := openUpload(r, size, maxBytes, document)
	if err != nil {
		return nil, err
	}
	for i := range wb.Sheets() {
		if header, err := eachRowOfSheet(wb, i, aliases, required, each); err != nil || header != nil {
			return header, err
		}
	}
	return nil, &FileError{Code: CodeNoHeader,
		Message: "未找到表头：第一行应有以下各列：" + strings.Join(required, "、")}
}

// eachRowOfSheet hands the rows of the i-th sheet to each when its header
// row is within its first rows, and returns the header's columns; nil when
// the sheet has no such row.
func eachRowOfSheet(wb *roster.Workbook, i int, aliases map[string]string, required []string, each func(sheetRow) error) (map[string]bool, error) {
	sh, err := wb.Sheet(i)
	if err != nil {
		return nil, uploadErr(err)
	}
	defer sh.Close()
	var cols map[int]string
	var byName map[string]int
	for {
		row, ok, err := sh.Next()
		if err != nil {
			return nil, uploadErr(err)
		}
		if !ok {
			break
		}
		if cols == nil {
			if row.Line > headerSearchRows {
				break
			}
			cols = headerOf(row.Cells, aliases, required)
			byName = map[string]int{}
			for j, name := range cols {
				byName[name] = j
			}
			continue
		}
		if first := firstCell(row.Cells); first == "" || strings.HasPrefix(first, "合计") || strings.HasPrefix(first, "填写说明") {
			continue
		}
		if err := each(sheetRow{n: row.Line, cells: row.Cells, cols: byName}); err != nil {
			return nil, err
		}
	}
	if cols == nil {
		return nil, nil
	}
	header := map[string]bool{}
	for _, name := range cols {
		header[name] = true
	}
	return header, nil
}

func headerOf(cells []string, aliases map[string]string, required []string) map[int]string {
	cols := map[int]string{}
	seen := map[string]bool{}
	for j, c := range cells {
		if name, ok := aliases[normaliseHeader(c)]; ok && !seen[name] {
			cols[j], seen[name] = name, true
		}
	}
	for _, r := range required {
		if !seen[r] {
			return nil
		}
	}
	return cols
}

func firstCell(cells []string) string {
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			return c
		}
	}
	return ""
}

// sheetDate reads a date typed as text (2025-10-15, 2025/10/15, 20251015)
// or stored by Excel as a serial number.
func sheetDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006-1-2", "20060102", "2006年1月2日"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 20000 && v < 80000 {
		t, err := excelize.ExcelDateToTime(v, false)
		if err == nil {
			return model.Civil(t.Date()), true
		}
	}
	return time.Time{}, false
}

// sheetYuan reads an amount in yuan; empty is zero.
func sheetYuan(s string) (model.Fen, string) {
	if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "元")); s == "" {
		return 0, ""
	}
	f, err := model.ParseYuan(s)
	if err != nil {
		if f, err = parseNumberCellYuan(s); err != nil {
			return 0, "金额“" + s + "”无法识别，应为最多两位小数的数字（单位：元）"
		}
	}
	if f < 0 {
		return 0, "金额不能为负数"
	}
	return f, ""
}

// errs collects a row's problems.
type errs []RowError

func (e *errs) add(row int, column, format string, args ...any) {
	*e = append(*e, RowError{Row: row, Column: column, Message: fmt.Sprintf(format, args...)})
}

// LoanReceiptRow is one line of a university receipt list: the contract
// whose tuition the university confirms it received.
type LoanReceiptRow struct {
	Row        int
	ContractNo string
	On         time.Time // zero: the day of the upload
}

var receiptAliases = map[string]string{"合同编号": "合同编号", "合同号": "合同编号", "贷款合同编号": "合同编号",
	"回执日期": "回执日期", "确认日期": "回执日期", "到账日期": "回执日期"}

// ReadLoanReceipts reads a receipt list (合同编号, optional 回执日期).
func ReadLoanReceipts(r io.ReaderAt, size, maxBytes int64) ([]LoanReceiptRow, []RowError, error) {
	rows, _, err := readSheet(r, size, maxBytes, "回执清单", receiptAliases, []string{"合同编号"})
	if err != nil {
		return nil, nil, err
	}
	var out []LoanReceiptRow
	var bad errs
	for _, row := range rows {
		rr := LoanReceiptRow{Row: row.n, ContractNo: row.get("合同编号")}
		if d := row.get("回执日期"); d != "" {
			var ok bool
			if rr.On, ok = sheetDate(d); !ok {
				bad.add(row.n, "回执日期", "日期“%s”无法识别，应为 2025-10-15 格式", d)
				continue
			}
		}
		if rr.ContractNo == "" {
			bad.add(row.n, "合同编号", "合同编号为空")
			continue
		}
		out = append(out, rr)
	}
	return out, bad, nil
}

// LoanBankRow is one line of the lending bank's file: a disbursement
// (放款日期, 放款金额) or a repayment status of a year (还款年度, 还款状态).
type LoanBankRow struct {
	Row        int
	ContractNo string
	SchoolYear string // 学年 of a disbursement, when the sheet has it
	On         time.Time
	AmountFen  model.Fen
	DueYear    int
	Status     string // paid, overdue, defaulted, compensated, settled
}

// Kinds of bank file.
const (
	LoanDisbursementFile = "disbursement"
	LoanRepaymentFile    = "repayment"
)

var loanBankAliases = map[string]string{"合同编号": "合同编号", "合同号": "合同编号", "贷款合同编号": "合同编号", "学年": "学年",
	"放款日期": "放款日期", "发放日期": "放款日期", "放款金额": "放款金额", "发放金额": "放款金额", "贷款金额": "放款金额",
	"还款年度": "还款年度", "年度": "还款年度", "应还年度": "还款年度", "还款状态": "还款状态", "状态": "还款状态",
	"实还金额": "实还金额", "还款金额": "实还金额"}

// loanRepaymentStatuses reads the bank's wording of a repayment status.
var loanRepaymentStatuses = map[string]string{"正常": "paid", "已还": "paid", "按期还款": "paid", "已还款": "paid",
	"逾期": "overdue", "未还": "overdue", "违约": "defaulted", "代偿": "compensated", "已代偿": "compensated",
	"结清": "settled", "已结清": "settled", "提前结清": "settled"}

// ReadLoanBankFile reads the bank's disbursement or repayment-status sheet;
// which one it is follows from its header.
func ReadLoanBankFile(r io.ReaderAt, size, maxBytes int64) (string, []LoanBankRow, []RowError, error) {
	rows, header, err := readSheet(r, size, maxBytes, "银行文件", loanBankAliases, []string{"合同编号"})
	if err != nil {
		return "", nil, nil, err
	}
	kind := ""
	switch {
	case header["放款日期"] && header["放款金额"]:
		kind = LoanDisbursementFile
	case header["还款年度"] && header["还款状态"]:
		kind = LoanRepaymentFile
	default:
		return "", nil, nil, &FileError{Code: CodeNoHeader,
			Message: "无法识别银行文件：放款文件应有“合同编号”“放款日期”“放款金额”列，还款状态文件应有“合同编号”“还款年度”“还款状态”列"}
	}
	var out []LoanBankRow
	var bad errs
	for _, row := range rows {
		br := LoanBankRow{Row: row.n, ContractNo: row.get("合同编号"), SchoolYear: row.get("学年")}
		before := len(bad)
		if br.ContractNo == "" {
			bad.add(row.n, "合同编号", "合同编号为空")
		}
		if kind == LoanDisbursementFile {
			var ok bool
			if br.On, ok = sheetDate(row.get("放款日期")); !ok {
				bad.add(row.n, "放款日期", "日期“%s”无法识别，应为 2025-10-15 格式", row.get("放款日期"))
			}
			var msg string
			if br.AmountFen, msg = sheetYuan(row.get("放款金额")); msg != "" || br.AmountFen == 0 {
				bad.add(row.n, "放款金额", "%s", firstNonEmpty(msg, "放款金额须大于零"))
			}
			if br.SchoolYear != "" && model.ParseSchoolYear(br.SchoolYear) != nil {
				bad.add(row.n, "学年", "学年格式应为 2025-2026")
			}
		} else {
			y, err := strconv.Atoi(strings.TrimSuffix(row.get("还款年度"), "年"))
			if err != nil || y < 2000 || y > 2100 {
				bad.add(row.n, "还款年度", "还款年度应为四位年份，如 2030")
			}
			br.DueYear = y
			st, ok := loanRepaymentStatuses[strings.Join(strings.Fields(row.get("还款状态")), "")]
			if !ok {
				bad.add(row.n, "还款状态", "无法识别的还款状态“%s”，应为 正常、逾期、违约、代偿 或 结清", row.get("还款状态"))
			}
			br.Status = st
			var msg string
			if br.AmountFen, msg = sheetYuan(row.get("实还金额")); msg != "" {
				bad.add(row.n, "实还金额", "%s", msg)
			}
		}
		if len(bad) == before {
			out = append(out, br)
		}
	}
	return kind, out, bad, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
