package ledger

import (
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// LoanListRow is one application of an exported list, personal numbers
// already masked.
type LoanListRow struct {
	SchoolYear, Name, IDMasked                    string
	CoName, CoRelation, CoIDMasked, CoPhoneMasked string
	University, Level                             string
	AskedFen, GrantedFen                          model.Fen
	Status, ContractNo, DisbursedOn               string
	DisbursedFen                                  model.Fen
}

var loanListHeader = []string{"序号", "学年", "姓名", "身份证号", "共同借款人", "关系", "共同借款人身份证号", "共同借款人电话",
	"高校", "学历层次", "申请金额(元)", "核定金额(元)", "状态", "合同编号", "放款日期", "放款金额(元)"}

// WriteLoanList writes a list of applications as one sheet with a header
// row, frozen and filtered, amounts as numbers.
func WriteLoanList(w io.Writer, title string, at time.Time, rows []LoanListRow) error {
	const sh = "贷款名单"
	f, st, err := newSheetFile(sh)
	if err != nil {
		return err
	}
	defer f.Close()
	cw := cellWriter{f: f, sheet: sh}
	cw.set("A1", st.title, title+"（"+at.In(model.Shanghai()).Format("2006-01-02 15:04")+" 导出）")
	cw.merge("A1", cellName(len(loanListHeader), 1))
	cw.rowHeight(1, 32)
	for i, h := range loanListHeader {
		cw.set(cellName(i+1, 2), st.header, h)
	}
	for i, r := range rows {
		n := strconv.Itoa(i + 3)
		cw.set("A"+n, st.integer, i+1)
		for j, v := range []string{r.SchoolYear, r.Name, r.IDMasked, r.CoName, r.CoRelation, r.CoIDMasked, r.CoPhoneMasked, r.University, r.Level} {
			cw.set(cellName(j+2, i+3), st.text, v)
		}
		cw.amount("K"+n, st.amount, r.AskedFen)
		cw.amount("L"+n, st.amount, r.GrantedFen)
		cw.set("M"+n, st.text, r.Status)
		cw.set("N"+n, st.text, r.ContractNo)
		cw.set("O"+n, st.text, r.DisbursedOn)
		cw.amount("P"+n, st.amount, r.DisbursedFen)
	}
	cw.colWidths(6, 11, 10, 20, 10, 8, 20, 14, 22, 10, 13, 13, 10, 16, 12, 13)
	if cw.err != nil {
		return cw.err
	}
	if err := f.AutoFilter(sh, "A2:"+cellName(len(loanListHeader), len(rows)+2), nil); err != nil {
		return err
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.Write(w)
}
