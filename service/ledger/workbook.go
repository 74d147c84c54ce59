package ledger

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// Options tune how workbooks are produced; the zero value works.
type Options struct {
	// TmpDir is where excelize spills a sheet once it passes 16 MiB in
	// memory (a large 明细 sheet does). Empty means the system default;
	// the service passes its data directory so that big ledgers do not
	// fill a small /tmp.
	TmpDir string
}

// fixedTimeZip makes every zip entry carry the same timestamp. excelize's
// own writer goes through zip.Writer.Create, which leaves the DOS time at
// zero (an invalid date some unzip tools complain about); a fixed time from
// the batch keeps the bytes reproducible and the dates sensible.
//
// It also writes straight to the destination instead of to the buffer
// excelize hands it: File.WriteTo otherwise assembles the whole archive in a
// bytes.Buffer first, which for a million-line ledger is the whole file in
// memory again. excelize then copies its (empty) buffer to the destination,
// which writes nothing. The one thing lost is excelize's ZIP64 header patch,
// needed only for a part over 4 GiB; MaxLedgerLines keeps 明细 well below it.
type fixedTimeZip struct {
	zw       *zip.Writer
	modified time.Time
}

func (z *fixedTimeZip) Create(name string) (io.Writer, error) {
	return z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.modified})
}

func (z *fixedTimeZip) AddFS(fs.FS) error { return errors.New("ledger: AddFS is not supported") }

func (z *fixedTimeZip) Close() error { return z.zw.Close() }

// writeDeterministic saves f to w with fixed document properties and zip
// timestamps derived from at, so that the same input gives the same bytes.
// The bytes are stable for one build: another excelize or Go version may
// compress differently, which is why a generated ledger is stored with its
// SHA-256 and served from storage rather than regenerated.
func writeDeterministic(f *excelize.File, w io.Writer, at time.Time, title, subject string) error {
	stamp := at.UTC().Format("2006-01-02T15:04:05Z")
	if err := f.SetDocProps(&excelize.DocProperties{
		Creator:        "studentaid",
		LastModifiedBy: "studentaid",
		Created:        stamp,
		Modified:       stamp,
		Title:          title,
		Subject:        subject,
		Language:       "zh-CN",
	}); err != nil {
		return err
	}
	z := &fixedTimeZip{zw: zip.NewWriter(w), modified: at.In(model.Shanghai())}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return z })
	return f.Write(w)
}

// styles are the cell formats shared by the workbooks of this package.
type styles struct {
	title, header, label, plain, text, integer, amount, totalText, totalInteger, totalAmount int
}

// amountFormat shows yuan with thousands separators, as the ledger policy asks.
const amountFormat = "#,##0.00"

func newStyles(f *excelize.File) (styles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1},
		{Type: "right", Color: "000000", Style: 1},
		{Type: "bottom", Color: "000000", Style: 1},
	}
	var st styles
	amountFmt := amountFormat
	// Text cells get the "@" format as well as a string value: the string
	// keeps Excel from reading "=…" as a formula on open, and "@" keeps it
	// text if someone later edits the cell and presses Enter.
	defs := []struct {
		dst   *int
		style excelize.Style
	}{
		{&st.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.header, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.label, excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49}},
		{&st.plain, excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&st.text, excelize.Style{Border: border, NumFmt: 49}},
		{&st.integer, excelize.Style{Border: border, NumFmt: 1}},
		{&st.amount, excelize.Style{Border: border, CustomNumFmt: &amountFmt}},
		{&st.totalText, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border, NumFmt: 49}},
		{&st.totalInteger, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border, NumFmt: 1}},
		{&st.totalAmount, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border, CustomNumFmt: &amountFmt}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(&d.style)
		if err != nil {
			return styles{}, err
		}
		*d.dst = id
	}
	return st, nil
}

// setPrintLayout sets A4 paper; fitWidth squeezes the sheet onto one page
// across, which suits the 汇总 page finance signs but would shrink the 16
// detail columns past reading, so 明细 repeats its header row instead.
func setPrintLayout(f *excelize.File, sheet string, landscape, fitWidth bool) error {
	size, orientation := 9, "portrait" // 9 is A4 in SpreadsheetML
	if landscape {
		orientation = "landscape"
	}
	layout := &excelize.PageLayoutOptions{Size: &size, Orientation: &orientation}
	if fitWidth {
		one, auto, yes := 1, 0, true
		layout.FitToWidth, layout.FitToHeight = &one, &auto
		if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
			return err
		}
	} else if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$1", Scope: sheet,
	}); err != nil {
		return err
	}
	return f.SetPageLayout(sheet, layout)
}

// maxExactAmount is the largest amount Excel holds exactly: it keeps 15
// significant digits, and excelize rounds a float to 15 as well.
const maxExactAmount model.Fen = 999_999_999_999_999

// amountCell turns fen into the number Excel stores. This is the one place a
// float meets money, and it is exact: float64(n)/100 is the double nearest
// to the decimal n/100, and the shortest decimal that reads back as that
// double is n/100 itself for |n| < 10^15, so the sheet's <v> holds exactly
// the yuan figure ("1409.5" for 140950 fen). A test checks this.
func amountCell(style int, f model.Fen) (excelize.Cell, error) {
	if f > maxExactAmount || f < -maxExactAmount {
		return excelize.Cell{}, fmt.Errorf("ledger: amount %d fen is too large for an Excel number", f)
	}
	return excelize.Cell{StyleID: style, Value: float64(f) / 100}, nil
}

// displayWidth estimates the column width a text needs in Excel's units,
// where a CJK character is about two digits wide.
func displayWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r < 0x1100 {
			w++
		} else {
			w += 2
		}
	}
	return w
}

// amountWidth is the width of f shown as #,##0.00 without building the string.
func amountWidth(f model.Fen) int {
	u := int64(f)
	w := 3 // ".00"
	if u < 0 {
		u, w = -u, w+1
	}
	digits := 1
	for y := u / 100; y >= 10; y /= 10 {
		digits++
	}
	return w + digits + (digits-1)/3
}

// intWidth is the number of characters of n in decimal.
func intWidth(n int) int {
	w := 1
	if n < 0 {
		w++
	}
	for ; n >= 10 || n <= -10; n /= 10 {
		w++
	}
	return w
}

// widthFor pads a measured width so that Excel never shows #### for a
// number and text does not touch the border, and caps it so one long remark
// does not make the sheet unreadable.
func widthFor(measured int) float64 {
	return float64(min(measured+2, 60))
}
