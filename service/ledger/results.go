package ledger

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/roster"
)

// Result is one line of the bank's result sheet.
type Result struct {
	Row        int // the sheet's row number, for messages
	Seq        int // 序号 when the sheet has it, else 0
	Account    string
	Amount     model.Fen
	Success    bool
	Reason     string
	HolderName string
	IDNumber   string // 证件号码 when the sheet has it
}

// RowError is a problem with one row, in words the uploader can act on.
type RowError struct {
	Row     int
	Column  string
	Message string
}

func (e RowError) Error() string {
	return fmt.Sprintf("第%d行 %s：%s", e.Row, e.Column, e.Message)
}

// FileError is a problem with the upload as a whole; Code says which (not a
// workbook, too large, or a workbook without the expected header) and the
// service answers with the matching error.
type FileError struct {
	Code string
	// Reason is the bound of the roster's reader a file too large passed
	// (zip_bomb, cell_too_large, row_too_large, content_too_large), the
	// code rosters answer with; empty otherwise.
	Reason  string
	Message string
}

func (e *FileError) Error() string { return e.Message }

// Codes of FileError.
const (
	CodeInvalidFile = "invalid"
	CodeTooLarge    = "too_large"
	CodeNoHeader    = "missing_header"
)

// Limits for an upload beyond the caller's maxBytes and the bounds of the
// roster's reader (roster.OpenWorkbook): a workbook has a few dozen parts,
// and its header is near the top.
const (
	maxZipEntries    = 1000
	headerSearchRows = 20
)

// resultColumns maps the headers banks use to the field they fill. Headers
// are compared after dropping spaces, a leading * and a trailing (元).
var resultColumns = map[string]string{
	"账号": "账号", "帐号": "账号", "银行账号": "账号", "银行帐号": "账号", "银行卡号": "账号", "卡号": "账号",
	"收款账号": "账号", "收款人账号": "账号", "收款帐号": "账号", "账户": "账号", "收款账户": "账号",
	"金额": "金额", "交易金额": "金额", "代发金额": "金额", "发放金额": "金额", "实发金额": "金额",
	"状态": "状态", "交易状态": "状态", "处理状态": "状态", "处理结果": "状态", "交易结果": "状态", "代发状态": "状态",
	"失败原因": "失败原因", "错误原因": "失败原因", "失败说明": "失败原因", "错误信息": "失败原因", "处理说明": "失败原因",
	"户名": "户名", "姓名": "户名", "账户名称": "户名", "账户名": "户名", "收款人": "户名", "收款人姓名": "户名", "收款人户名": "户名",
	"序号":   "序号",
	"证件号码": "证件号码", "证件号": "证件号码", "身份证号": "证件号码", "身份证号码": "证件号码", "身份证件号": "证件号码",
}

var requiredResultColumns = [...]string{"账号", "金额", "状态"}

// resultStatuses reads the bank's wording; anything else, such as 处理中,
// is reported rather than guessed.
var resultStatuses = map[string]bool{
	"成功": true, "已成功": true, "交易成功": true, "处理成功": true, "代发成功": true,
	"失败": false, "交易失败": false, "处理失败": false, "代发失败": false, "退票": false, "已退票": false,
}

// ReadBankResults reads the bank's result workbook. The first sheet with a
// header row (within its first 20 rows) naming 账号, 金额 and 状态 is read;
// 失败原因, 户名, 序号 and 证件号码 are taken when present. Rows with
// problems are returned as RowErrors and left out of the results; a file
// that cannot be read at all, or passes the bounds of the roster's reader,
// is a *FileError.
func ReadBankResults(r io.ReaderAt, size, maxBytes int64) ([]Result, []RowError, error) {
	wb, err := openUpload(r, size, maxBytes, "代发结果")
	if err != nil {
		return nil, nil, err
	}
	for i := range wb.Sheets() {
		results, rowErrs, found, err := readResultSheet(wb, i)
		if err != nil {
			return nil, nil, err
		}
		if found {
			return results, rowErrs, nil
		}
	}
	return nil, nil, &FileError{Code: CodeNoHeader,
		Message: "未找到表头：结果文件应有“账号”“金额”“状态”列（可另有“失败原因”“户名”“序号”“证件号码”）"}
}

// readResultSheet reads the i-th sheet when it has the header row; found
// is false when it has not.
func readResultSheet(wb *roster.Workbook, i int) (results []Result, rowErrs []RowError, found bool, err error) {
	sh, err := wb.Sheet(i)
	if err != nil {
		return nil, nil, false, uploadErr(err)
	}
	defer sh.Close()
	var cols map[string]int
	for cols == nil {
		row, ok, err := sh.Next()
		if err != nil {
			return nil, nil, false, uploadErr(err)
		}
		if !ok || row.Line > headerSearchRows {
			return nil, nil, false, nil
		}
		if cols, err = resultHeader(row); err != nil {
			return nil, nil, false, err
		}
	}
	sh.WatchNumbers(cols["账号"], cols["金额"])
	results, rowErrs, err = readResultRows(sh, cols)
	return results, rowErrs, true, err
}

// openUpload opens an uploaded workbook with the roster's reader after
// checking its size; document names the file in the reader's messages.
func openUpload(r io.ReaderAt, size, maxBytes int64, document string) (*roster.Workbook, error) {
	if size > maxBytes {
		return nil, &FileError{Code: CodeTooLarge,
			Message: fmt.Sprintf("文件过大（%d 字节），上限为 %d 字节", size, maxBytes)}
	}
	wb, err := roster.OpenWorkbook(r, size, roster.Options{Document: document})
	if err != nil {
		return nil, uploadErr(err)
	}
	if err := checkArchive(r, size); err != nil {
		return nil, err
	}
	return wb, nil
}

// uploadErr is the FileError of the roster reader's refusal: past a bound,
// too large with the reader's code and message, as for a roster; anything
// else is not a workbook (an .xls, a damaged file).
func uploadErr(err error) error {
	var fe *roster.FileError
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Kind == roster.TooLarge {
		return &FileError{Code: CodeTooLarge, Reason: fe.Code, Message: fe.Message}
	}
	return notAWorkbook()
}

func notAWorkbook() *FileError {
	return &FileError{Code: CodeInvalidFile,
		Message: "文件不是有效的 .xlsx 工作簿；如为 .xls 或加密文件，请在 Excel 中另存为 .xlsx 后上传"}
}

// checkArchive asks of the zip directory what the roster's checks do not:
// a workbook's few parts, and its content types.
func checkArchive(r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil || len(zr.File) > maxZipEntries {
		return notAWorkbook()
	}
	for _, zf := range zr.File {
		if strings.EqualFold(zf.Name, "[Content_Types].xml") {
			return nil
		}
	}
	return notAWorkbook()
}

// resultHeader returns the column of each field when row is the header
// row, nil when it is not.
func resultHeader(row roster.SheetRow) (map[string]int, error) {
	cols := map[string]int{}
	for j, cell := range row.Cells {
		field, ok := resultColumns[normaliseHeader(cell)]
		if !ok {
			continue
		}
		if prev, dup := cols[field]; dup {
			return nil, &FileError{Code: CodeNoHeader,
				Message: fmt.Sprintf("第%d行表头中“%s”出现了两次（第%s列和第%s列）", row.Line, field, columnName(prev), columnName(j))}
		}
		cols[field] = j
	}
	for _, name := range requiredResultColumns {
		if _, ok := cols[name]; !ok {
			return nil, nil
		}
	}
	return cols, nil
}

func normaliseHeader(s string) string {
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimLeft(s, "*＊")
	for _, unit := range []string{"(元)", "（元）"} {
		s = strings.TrimSuffix(s, unit)
	}
	return s
}

func columnName(i int) string {
	name, _ := excelize.ColumnNumberToName(i + 1)
	return name
}

// readResultRows reads the rows under the header.
func readResultRows(sh *roster.Sheet, cols map[string]int) ([]Result, []RowError, error) {
	var results []Result
	var rowErrs []RowError
	for {
		sr, ok, err := sh.Next()
		if err != nil {
			return nil, nil, uploadErr(err)
		}
		if !ok {
			return results, rowErrs, nil
		}
		row := sr.Cells
		get := func(field string) string {
			if j, ok := cols[field]; ok && j < len(row) {
				return strings.TrimSpace(row[j])
			}
			return ""
		}
		if isBlankOrTotal(row, get("账号"), get("状态")) {
			continue
		}
		n := sr.Line
		res := Result{Row: n, Reason: get("失败原因"), HolderName: get("户名"), IDNumber: get("证件号码")}
		var errs []RowError
		bad := func(column, message string) { errs = append(errs, RowError{Row: n, Column: column, Message: message}) }

		if s := get("序号"); s != "" {
			if seq, err := strconv.Atoi(s); err != nil || seq < 1 {
				bad("序号", "序号应为正整数，实际为“"+s+"”")
			} else {
				res.Seq = seq
			}
		}
		account, msg := normaliseAccount(get("账号"), slices.Contains(sr.Numbers, cols["账号"]))
		if msg != "" {
			bad("账号", msg)
		}
		res.Account = account
		amount, msg := parseResultAmount(get("金额"), slices.Contains(sr.Numbers, cols["金额"]))
		if msg != "" {
			bad("金额", msg)
		}
		res.Amount = amount
		status := get("状态")
		success, known := resultStatuses[strings.Join(strings.Fields(status), "")]
		if !known {
			bad("状态", "无法识别的状态“"+status+"”，应为“成功”或“失败”（也可为 交易成功、交易失败、退票 等）")
		}
		res.Success = success
		if len(errs) > 0 {
			rowErrs = append(rowErrs, errs...)
			continue
		}
		results = append(results, res)
	}
}

// isBlankOrTotal skips empty rows and a closing 合计/总计 row, which banks
// add under the data and which carry no account.
func isBlankOrTotal(row []string, account, status string) bool {
	first := ""
	for _, c := range row {
		if c = strings.TrimSpace(c); c != "" {
			first = c
			break
		}
	}
	if first == "" {
		return true
	}
	return account == "" && status == "" && (strings.HasPrefix(first, "合计") || strings.HasPrefix(first, "总计"))
}

// normaliseAccount keeps the digits of an account, allowing the spaces and
// dashes banks print for readability and full-width digits.
func normaliseAccount(s string, numberCell bool) (string, string) {
	if s == "" {
		return "", "账号为空"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '-' || r == '\u3000':
		default:
			if numberCell {
				return "", "账号被 Excel 存成了数字（" + s + "），末几位可能已丢失，请将该列设为文本格式后重新导出"
			}
			return "", "账号只能包含数字，实际为“" + s + "”"
		}
	}
	digits := b.String()
	// Excel keeps 15 significant digits of a number: a longer account
	// typed into a number cell has already lost its tail.
	if numberCell && len(digits) > 15 {
		return "", "账号被 Excel 存成了数字，超过 15 位的部分已丢失，请将该列设为文本格式后重新导出"
	}
	if len(digits) < 12 || len(digits) > 30 {
		return "", fmt.Sprintf("账号应为 12–30 位数字，实际为 %d 位", len(digits))
	}
	return digits, ""
}

// parseResultAmount reads 金额 exactly. Text goes through ParseYuan. A number
// cell's raw value is the shortest decimal of a double, so it may carry
// float noise ("625.49999999999989") when the bank's software computed it:
// it is read as an exact rational and accepted only when it lies within a
// millionth of a fen of a whole fen.
func parseResultAmount(s string, numberCell bool) (model.Fen, string) {
	if s == "" {
		return 0, "金额为空"
	}
	s = strings.TrimSuffix(s, "元")
	f, err := model.ParseYuan(s)
	if err != nil && numberCell {
		f, err = parseNumberCellYuan(s)
	}
	if err != nil {
		return 0, "金额“" + s + "”无法识别，应为最多两位小数的数字"
	}
	if f <= 0 {
		return 0, "金额应大于零，实际为 " + f.Plain()
	}
	return f, ""
}

func parseNumberCellYuan(s string) (model.Fen, error) {
	// Bound the exponent before big.Rat expands it: "1e999999999" would
	// otherwise cost a great deal of memory.
	_, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if digits := strings.TrimLeft(exp, "+-"); len(s) > 40 || hasExp && (digits == "" || len(digits) > 2) {
		return 0, errors.New("not a cell number")
	}
	v, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, errors.New("not a number")
	}
	fen := v.Mul(v, big.NewRat(100, 1))
	// Nearest whole fen: floor(fen + ½); big.Int.Div floors for a positive
	// divisor, and a Rat's denominator is always positive.
	up := new(big.Rat).Add(fen, big.NewRat(1, 2))
	nearest := new(big.Int).Div(up.Num(), up.Denom())
	diff := new(big.Rat).Sub(fen, new(big.Rat).SetInt(nearest))
	if diff.Abs(diff).Cmp(big.NewRat(1, 1_000_000)) > 0 || !nearest.IsInt64() {
		return 0, errors.New("not a whole number of fen")
	}
	return model.Fen(nearest.Int64()), nil
}
