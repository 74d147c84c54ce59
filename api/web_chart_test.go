package api

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"studentaid/model"
)

// School names come from people: a chart must escape them, and long ones
// must be shortened to the width rather than run off the drawing.
func TestWebChartEscapesAndFitsLabels(t *testing.T) {
	long := strings.Repeat("很长的学校名称", 10)
	c := chart{id: "t", title: `<script>alert("x")</script>`, series: []chartSeries{{"甲&乙", "#000"}},
		rows: []chartRow{{label: `<b>&"学校"`, full: "x", note: "1.00 元", values: []model.Fen{100}}, {label: long, full: long, note: "0.00 元", values: []model.Fen{0}}}}
	svg := string(c.svg(300))
	if strings.Contains(svg, "<script>") || strings.Contains(svg, "<b>") || !strings.Contains(svg, "&lt;b&gt;&amp;") {
		t.Fatalf("not escaped:\n%s", svg)
	}
	if strings.Contains(svg, ">"+long+"<") || !strings.Contains(svg, "…") {
		t.Fatalf("long label not shortened:\n%s", svg)
	}
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
	}
	if w := textWidth(fitText(long, 200, 13), 13); w > 200 {
		t.Fatalf("fitted text is %dpx wide", w)
	}
}
