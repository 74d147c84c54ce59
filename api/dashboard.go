package api

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

type tallyBody struct {
	Count    int       `json:"count"`
	TotalFen model.Fen `json:"total_fen"`
}

func tallyOf(t service.Tally) tallyBody { return tallyBody{Count: t.Count, TotalFen: t.Fen} }

type dashListBody struct {
	ListID          int64      `json:"list_id"`
	SchoolID        int64      `json:"school_id"`
	SchoolName      string     `json:"school_name"`
	Program         string     `json:"program"`
	Term            string     `json:"term"`
	Draft           tallyBody  `json:"draft"`
	Returned        tallyBody  `json:"returned"`
	Submitted       tallyBody  `json:"submitted"`
	Objections      int        `json:"objections"`
	SubmittedAt     *time.Time `json:"submitted_at"`
	NoticeStartedAt *time.Time `json:"notice_started_at"`
	NoticeEndsAt    *time.Time `json:"notice_ends_at"`
	Notice          string     `json:"notice"`
}

type barBody struct {
	Key      string               `json:"key"`
	Label    string               `json:"label"`
	Count    int                  `json:"count"`
	TotalFen model.Fen            `json:"total_fen"`
	Phases   map[string]model.Fen `json:"phases"`
}

type batchSplitBody struct {
	ID        int64     `json:"id"`
	Number    string    `json:"number"`
	Program   string    `json:"program"`
	Term      string    `json:"term"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	Paid      tallyBody `json:"paid"`
	Failed    tallyBody `json:"failed"`
	Pending   tallyBody `json:"pending"`
}

type failedPaymentBody struct {
	LineID      int64      `json:"line_id"`
	BatchID     int64      `json:"batch_id"`
	Number      string     `json:"number"`
	StudentID   int64      `json:"student_id"`
	Name        string     `json:"name"`
	SchoolName  string     `json:"school_name"`
	BankAccount string     `json:"bank_account"`
	AmountFen   model.Fen  `json:"amount_fen"`
	Reason      string     `json:"reason"`
	ResultAt    *time.Time `json:"result_at"`
	TopUp       bool       `json:"top_up"`
}

type phaseBody struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

type dashboardBody struct {
	Term             string              `json:"term"`
	TermLabel        string              `json:"term_label"`
	CurrentTerm      string              `json:"current_term"`
	CurrentTermLabel string              `json:"current_term_label"`
	Now              time.Time           `json:"now"`
	Lists            []dashListBody      `json:"lists"`
	Phases           []phaseBody         `json:"phases"`
	ByProgram        []barBody           `json:"by_program"`
	BySchool         []barBody           `json:"by_school"`
	Batches          []batchSplitBody    `json:"batches"`
	OpenBatches      []batchSplitBody    `json:"open_batches"`
	FailedPayments   []failedPaymentBody `json:"failed_payments"`
	FailedTotal      tallyBody           `json:"failed_total"`
}

func barsOf(bars []service.AmountBar) []barBody {
	out := make([]barBody, 0, len(bars))
	for _, b := range bars {
		phases := make(map[string]model.Fen, len(service.AmountPhases))
		for i, p := range service.AmountPhases {
			phases[p.Key] = b.ByPhase[i]
		}
		out = append(out, barBody{Key: b.Key, Label: b.Label, Count: b.Total.Count, TotalFen: b.Total.Fen, Phases: phases})
	}
	return out
}

func batchSplitsOf(bs []service.BatchSplit) []batchSplitBody {
	out := make([]batchSplitBody, 0, len(bs))
	for _, b := range bs {
		out = append(out, batchSplitBody{ID: b.ID, Number: b.Number, Program: b.Program, Term: b.Term, Status: b.Status, CreatedAt: b.CreatedAt,
			Paid: tallyOf(b.Paid), Failed: tallyOf(b.Failed), Pending: tallyOf(b.Pending)})
	}
	return out
}

func dashboardOf(d service.Dashboard) dashboardBody {
	out := dashboardBody{Term: string(d.Term), TermLabel: d.Term.Label(), CurrentTerm: string(d.CurrentTerm),
		CurrentTermLabel: d.CurrentTerm.Label(), Now: d.Now,
		Lists: make([]dashListBody, 0, len(d.Lists)), ByProgram: barsOf(d.ByProgram), BySchool: barsOf(d.BySchool),
		Batches: batchSplitsOf(d.Batches), OpenBatches: batchSplitsOf(d.OpenBatches),
		FailedPayments: make([]failedPaymentBody, 0, len(d.FailedPayments)), FailedTotal: tallyOf(d.FailedTotal)}
	for _, p := range service.AmountPhases {
		out.Phases = append(out.Phases, phaseBody{Key: p.Key, Label: p.Label})
	}
	for _, l := range d.Lists {
		out.Lists = append(out.Lists, dashListBody{ListID: l.ListID, SchoolID: l.SchoolID, SchoolName: l.SchoolName, Program: l.Program, Term: l.Term,
			Draft: tallyOf(l.Draft), Returned: tallyOf(l.Returned), Submitted: tallyOf(l.Submitted), Objections: l.Objections,
			SubmittedAt: l.SubmittedAt, NoticeStartedAt: l.NoticeStartedAt, NoticeEndsAt: l.NoticeEndsAt, Notice: l.Notice})
	}
	for _, f := range d.FailedPayments {
		out.FailedPayments = append(out.FailedPayments, failedPaymentBody{LineID: f.LineID, BatchID: f.BatchID, Number: f.Number, StudentID: f.StudentID,
			Name: f.Name, SchoolName: f.SchoolName, BankAccount: f.AccountMasked, AmountFen: f.AmountFen, Reason: f.FailReason, ResultAt: f.ResultAt, TopUp: f.TopUp})
	}
	return out
}

func (s *Server) dashboard(c *gin.Context) {
	d, err := s.reports.Dashboard(c.Request.Context(), actor(c), c.Query("term"))
	respond(c, http.StatusOK, dashboardOf(d), err)
}

// dashboardChart draws one of the home page's charts as SVG on the server,
// so the page needs no chart library (the intranet has no CDN) and the
// figures come from the same scoped service as the JSON.
func (s *Server) dashboardChart(c *gin.Context) {
	draw, ok := chartKinds[c.Query("kind")]
	if !ok {
		fail(c, http.StatusBadRequest, "invalid_kind", "kind 须为 program（按项目）、school（按学校）或 batches（发放批次）")
		return
	}
	width := defaultChartWidth
	if v := c.Query("width"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fail(c, http.StatusBadRequest, "invalid_width", "width 须为整数（像素）")
			return
		}
		width = min(max(n, minChartWidth), maxChartWidth)
	}
	d, err := s.reports.Dashboard(c.Request.Context(), actor(c), c.Query("term"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.Data(http.StatusOK, "image/svg+xml; charset=utf-8", draw(d, width))
}

// The page asks for the width its container has, so labels stay readable on
// a phone instead of a wide drawing being shrunk.
const (
	defaultChartWidth = 640
	minChartWidth     = 280
	maxChartWidth     = 1200
)

var chartKinds = map[string]func(service.Dashboard, int) []byte{
	"program": programChart,
	"school":  schoolChart,
	"batches": batchChart,
}

// programShort are the programs' names short enough for a chart line on a
// phone; the full names are in each bar's tooltip.
var programShort = map[string]string{
	"boarding":         "寄宿生生活补助",
	"nonboarding":      "非寄宿生生活补助",
	"vocational_grant": "中职国家助学金",
	"senior_grant":     "普通高中国家助学金",
}

var phaseColors = map[string]string{"to_submit": "#7b8794", "submitted": "#b7791f", "approved": "#2b6cb0", "paid": "#2f855a"}

func amountLegend() []chartSeries {
	out := make([]chartSeries, 0, len(service.AmountPhases))
	for _, p := range service.AmountPhases {
		out = append(out, chartSeries{label: p.Label, color: phaseColors[p.Key]})
	}
	return out
}

func amountRows(bars []service.AmountBar, short map[string]string) []chartRow {
	rows := make([]chartRow, 0, len(bars))
	for _, b := range bars {
		label := b.Label
		if s, ok := short[b.Key]; ok {
			label = s
		}
		rows = append(rows, chartRow{label: label, full: b.Label, note: yuan(b.Total.Fen) + " · " + strconv.Itoa(b.Total.Count) + " 人", values: b.ByPhase})
	}
	return rows
}

func programChart(d service.Dashboard, width int) []byte {
	return chart{id: "chart-program", title: d.Term.Label() + " 各资助项目金额", series: amountLegend(),
		rows: amountRows(d.ByProgram, programShort), empty: "本学期暂无资助名单"}.svg(width)
}

func schoolChart(d service.Dashboard, width int) []byte {
	return chart{id: "chart-school", title: d.Term.Label() + " 各学校金额", series: amountLegend(),
		rows: amountRows(d.BySchool, nil), empty: "本学期暂无资助名单"}.svg(width)
}

func batchChart(d service.Dashboard, width int) []byte {
	c := chart{id: "chart-batches", title: d.Term.Label() + " 发放批次：已发放 / 发放失败 / 待发放", empty: "本学期暂无发放批次",
		series: []chartSeries{{label: "已发放", color: "#2f855a"}, {label: "发放失败", color: "#c53030"}, {label: "待发放", color: "#7b8794"}}}
	var total [3]service.Tally
	for _, b := range d.Batches {
		parts := [3]service.Tally{b.Paid, b.Failed, b.Pending}
		lines := 0
		for i, p := range parts {
			total[i].Count += p.Count
			total[i].Fen += p.Fen
			lines += p.Count
		}
		c.rows = append(c.rows, chartRow{label: b.Number, full: b.Number,
			note:   yuan(b.Paid.Fen+b.Failed.Fen+b.Pending.Fen) + " · " + strconv.Itoa(lines) + " 笔",
			values: []model.Fen{b.Paid.Fen, b.Failed.Fen, b.Pending.Fen}})
	}
	if len(d.Batches) > 1 {
		sum := []model.Fen{total[0].Fen, total[1].Fen, total[2].Fen}
		c.rows = append([]chartRow{{label: "合计", full: "合计", note: yuan(sum[0]+sum[1]+sum[2]) + " · " +
			strconv.Itoa(total[0].Count+total[1].Count+total[2].Count) + " 笔", values: sum}}, c.rows...)
	}
	return c.svg(width)
}

func yuan(f model.Fen) string { return f.Yuan() + " 元" }

// chart is a horizontal stacked bar chart with each bar's label on its own
// line above it: long Chinese school names then fit a phone's width.
type chart struct {
	id     string
	title  string
	series []chartSeries
	rows   []chartRow
	empty  string
}

type chartSeries struct{ label, color string }

type chartRow struct {
	label, full string // label may be shortened; full goes in the tooltip
	note        string // the total, right-aligned on the label line
	values      []model.Fen
}

const (
	chartPad     = 12
	chartRowH    = 40
	chartFont    = 13
	chartLegendH = 20
)

func (c chart) svg(width int) []byte {
	var longest model.Fen
	sums := make([]model.Fen, len(c.series))
	for _, r := range c.rows {
		var t model.Fen
		for i, v := range r.values {
			t += v
			sums[i] += v
		}
		longest = max(longest, t)
	}
	legend, legendLines := c.legend(width, sums)
	top := 30 + legendLines*chartLegendH + 8
	height := top + max(len(c.rows), 1)*chartRowH + chartPad
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title" font-family="sans-serif" font-size="%d">`,
		width, height, width, height, c.id, chartFont)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, c.id, esc(c.title))
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold" fill="#1a202c">%s</text>`, chartPad, esc(fitText(c.title, width-2*chartPad, 15)))
	b.WriteString(legend)
	if len(c.rows) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#4a5568">%s</text></svg>`, chartPad, top+18, esc(c.empty))
		return []byte(b.String())
	}
	span := width - 2*chartPad
	for i, r := range c.rows {
		y := top + i*chartRowH
		tip := r.full + "：" + r.note
		for j, v := range r.values {
			if v != 0 {
				tip += "；" + c.series[j].label + " " + yuan(v)
			}
		}
		fmt.Fprintf(&b, `<g><title>%s</title>`, esc(tip))
		noteW := textWidth(r.note, chartFont)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#1a202c">%s</text>`, chartPad, y+14, esc(fitText(r.label, span-noteW-12, chartFont)))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="#2d3748">%s</text>`, width-chartPad, y+14, esc(r.note))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="14" fill="#edf2f7"/>`, chartPad, y+20, span)
		x := float64(chartPad)
		for j, v := range r.values {
			if v <= 0 || longest <= 0 {
				continue
			}
			// Widths only place pixels; the amounts printed are the integer fen.
			w := float64(span) * float64(v) / float64(longest)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="14" fill="%s"/>`, x, y+20, w, c.series[j].color)
			x += w
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return []byte(b.String())
}

// legend writes a swatch, the series name and its total for each series,
// wrapping onto more lines when the width runs out.
func (c chart) legend(width int, sums []model.Fen) (string, int) {
	var b strings.Builder
	x, line := chartPad, 0
	for i, s := range c.series {
		text := s.label + " " + yuan(sums[i])
		w := 14 + textWidth(text, 12) + 16
		if x > chartPad && x+w > width-chartPad {
			x, line = chartPad, line+1
		}
		y := 30 + line*chartLegendH
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="12" fill="#2d3748">%s</text>`,
			x, y+1, s.color, x+14, y+10, esc(text))
		x += w
	}
	return b.String(), line + 1
}

// textWidth estimates rendered width: CJK characters are one em wide, Latin
// letters and digits a little over half.
func textWidth(s string, size int) int {
	w := 0.0
	for _, r := range s {
		if r < 0x2E80 {
			w += 0.6
		} else {
			w++
		}
	}
	return int(w*float64(size) + 0.5)
}

// fitText shortens s with an ellipsis to fit width pixels.
func fitText(s string, width, size int) string {
	if textWidth(s, size) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && textWidth(string(r)+"…", size) > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func esc(s string) string { return html.EscapeString(s) }
