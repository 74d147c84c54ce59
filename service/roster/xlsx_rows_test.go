package roster

import (
	"archive/zip"
	"bytes"
	"io"
	"reflect"
	"testing"
)

// TestXLSXRowsReadLikeExcel: the values the streaming reader gives are the
// raw values excelize gave: shared strings without their phonetic guide,
// rich text joined, _xHHHH_ escapes decoded, inline strings, formula
// results, Booleans as 1/0; rows and cells without a reference follow the
// previous one; a skipped line is an empty row.
func TestXLSXRowsReadLikeExcel(t *testing.T) {
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<si><t>张三</t></si>` +
		`<si><r><rPr><b/></rPr><t>李</t></r><r><t xml:space="preserve">四 </t></r><rPh sb="0" eb="1"><t>li</t></rPh></si>` +
		`<si><t>第一行_x000D__x000A_第二行_x005F_x</t></si>` +
		`</sst>`
	sheet := `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>` +
		`<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v> 1 </x:v></x:c><x:c r="d1" t="inlineStr"><x:is><x:t>行内</x:t></x:is></x:c></x:row>` +
		`<x:row><x:c r="A2" t="s"><x:v>2</x:v></x:c><x:c r="C2" t="str"><x:f>A1</x:f><x:v>算出</x:v></x:c><x:c r="D2" t="b"><x:v>1</x:v></x:c><x:c r="E2"><x:v>4.3090320150315098E+17</x:v></x:c><x:c r="F2"><x:f>X</x:f></x:c></x:row>` +
		`<x:row r="4"><x:c r="B4" t="e"><x:v>#N/A</x:v></x:c></x:row>` +
		`</x:sheetData><x:mergeCells><x:mergeCell ref="A3:B3"/><x:mergeCell ref="B1:C1"/></x:mergeCells></x:worksheet>`
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"xl/workbook.xml":            `<workbook xmlns:r="r"><bookViews><workbookView activeTab="1"/></bookViews><sheets><sheet name="其他" r:id="rId2"/><sheet name="花名册" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="/xl/worksheets/data.xml"/><Relationship Id="rId2" Type="x/worksheet" Target="worksheets/other.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="strings.xml"/></Relationships>`,
		"xl/strings.xml":             sst,
		"xl/worksheets/data.xml":     sheet,
		"xl/worksheets/other.xml":    `<worksheet/>`,
	} {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	zw.Close()
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	src, fe := openXLSXSheet(zr, Options{}.withDefaults(), SheetRoster)
	if fe != nil {
		t.Fatal(fe)
	}
	src.setWatch(map[int]bool{4: true})
	var got []sheetRow
	for {
		r, ok, fe := src.next()
		if fe != nil {
			t.Fatal(fe)
		}
		if !ok {
			break
		}
		got = append(got, r)
	}
	want := []sheetRow{
		{line: 1, cells: []string{"张三", "李四 ", "", "行内"}},
		{line: 2, cells: []string{"第一行\r\n第二行_x", "", "算出", "1", "4.3090320150315098E+17", ""}, numeric: []int{4}},
		{line: 3},
		{line: 4, cells: []string{"", "#N/A"}},
	}
	if src.name() != "花名册" || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %#v\nwant %#v", src.name(), got, want)
	}
	if m := src.merges(); !reflect.DeepEqual(m, []string{"B1:C1"}) {
		t.Fatalf("merges %q", m)
	}
	// A department list is read from the sheet the workbook was saved on.
	for want, name := range map[string]string{"": "花名册", "其他": "其他", "没有": "其他"} {
		if src, _ := openXLSXSheet(zr, Options{}.withDefaults(), want); src == nil || src.name() != name {
			t.Errorf("want %q: opened %v", want, src)
		}
	}
}
