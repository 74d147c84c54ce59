package roster

import (
	_ "embed"
	"io"
)

// templateXLS is the roster template as an Excel 97–2003 workbook, for WPS
// and older Excel, which save .xls (issue 16): the .xlsx template without
// its example row and year, so one file serves every year, saved by
// LibreOffice (scripts/xls-fixtures.sh rebuilds it; a test checks it still
// has every column and rule). Its drop-downs reach row 1001, as far as
// LibreOffice writes them into an .xls; the text format covers each column.
//
//go:embed assets/template.xls
var templateXLS []byte

// WriteTemplateXLS writes the .xls template.
func WriteTemplateXLS(w io.Writer) error {
	_, err := w.Write(templateXLS)
	return err
}
