// The loan page's charts, drawn in the browser as inline SVG from the
// /loans/years figures the page already has (no chart library: the
// intranet has no CDN). Each is drawn for its frame's width and again when
// the window changes size, as the home page's charts are.

import { state } from './state.js';
import { yuan } from './format.js';
import { el } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const PAD = 12;
const ROW = 40;
const FONT = 13;

function svgEl(tag, attrs, ...kids) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  for (const k of kids) n.append(k);
  return n;
}

// textWidth estimates the drawn width: CJK one em, Latin and digits ~0.6.
const textWidth = (s, size) => [...s].reduce((w, ch) => w + (ch.codePointAt(0) < 0x2e80 ? 0.6 : 1), 0) * size;

// fit shortens s with an ellipsis to width pixels, so nothing runs off a
// phone's drawing (the whole text is in the row's tooltip).
function fit(s, width, size) {
  if (textWidth(s, size) <= width) return s;
  let r = [...s];
  while (r.length > 1 && textWidth(`${r.join('')}…`, size) > width) r = r.slice(0, -1);
  return `${r.join('')}…`;
}

// barChart draws horizontal bars, one row a school year, stacked by series;
// the note at the right of each row says its figures in words.
function barChart(fig, c) {
  const width = Math.max(280, Math.floor(fig.clientWidth || 640));
  const longest = Math.max(0, ...c.rows.map((r) => r.values.reduce((a, v) => a + v, 0)));
  const legendLines = [];
  let x = PAD;
  let line = 0;
  for (const s of c.series) {
    const w = 14 + textWidth(s.label, 12) + 16;
    if (x > PAD && x + w > width - PAD) { x = PAD; line += 1; }
    legendLines.push({ s, x, y: 30 + line * 20 });
    x += w;
  }
  const top = 30 + (c.series.length > 1 ? (line + 1) * 20 : 0) + 8;
  const height = top + Math.max(c.rows.length, 1) * ROW + PAD;
  const titleID = `${fig.id}-title`;
  const svg = svgEl('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': titleID, 'font-family': 'sans-serif', 'font-size': FONT },
    svgEl('title', { id: titleID }, c.title),
    svgEl('text', { x: PAD, y: 22, 'font-size': 15, 'font-weight': 'bold', fill: '#1a202c' }, fit(c.title, width - 2 * PAD, 15)));
  if (c.series.length > 1) {
    for (const { s, x: lx, y } of legendLines) {
      svg.append(svgEl('rect', { x: lx, y: y + 1, width: 10, height: 10, fill: s.color }),
        svgEl('text', { x: lx + 14, y: y + 10, 'font-size': 12, fill: '#2d3748' }, s.label));
    }
  }
  if (!c.rows.length) svg.append(svgEl('text', { x: PAD, y: top + 18, fill: '#4a5568' }, '暂无贷款数据'));
  const span = width - 2 * PAD;
  c.rows.forEach((r, i) => {
    const y = top + i * ROW;
    const g = svgEl('g', {}, svgEl('title', {}, `${r.label}：${r.note}`),
      svgEl('text', { x: PAD, y: y + 14, fill: '#1a202c' }, fit(r.label, span - textWidth(r.note, FONT) - 12, FONT)),
      svgEl('text', { x: width - PAD, y: y + 14, 'text-anchor': 'end', fill: '#2d3748' }, r.note),
      svgEl('rect', { x: PAD, y: y + 20, width: span, height: 14, fill: '#edf2f7' }));
    let bx = PAD;
    r.values.forEach((v, j) => {
      if (v <= 0 || longest <= 0) return;
      // Widths only place pixels; the figures printed are the exact ones.
      const w = (span * v) / longest;
      g.append(svgEl('rect', { x: bx.toFixed(1), y: y + 20, width: w.toFixed(1), height: 14, fill: c.series[j].color }));
      bx += w;
    });
    svg.append(g);
  });
  fig.replaceChildren(svg);
}

// STATUS_GROUPS are the applications' statuses as the status chart groups them.
const STATUS_GROUPS = [
  { label: '办理中', color: '#7b8794', of: ['received', 'approved', 'contracted', 'receipt_confirmed'] },
  { label: '在读（已放款）', color: '#3182ce', of: ['disbursed'] },
  { label: '还款中', color: '#2f855a', of: ['graduated', 'repaying'] },
  { label: '已结清', color: '#68d391', of: ['settled'] },
  { label: '逾期', color: '#dd6b20', of: ['overdue'] },
  { label: '违约', color: '#c53030', of: ['defaulted'] },
  { label: '已退回', color: '#cbd5e0', of: ['returned'] },
];

const pct = (bp) => `${(bp / 100).toFixed(2)}%`;

// CHARTS are the page's three: new loans (amount), the overdue rate and the
// applications by status, each by school year.
const CHARTS = {
  amount: (items) => ({ title: '各学年新增放款金额', series: [{ label: '放款金额', color: '#3182ce' }],
    rows: items.map((y) => ({ label: `${y.school_year} 学年`, values: [y.disbursed_fen], note: `${yuan(y.disbursed_fen)} 元 · ${y.disbursed} 笔` })) }),
  overdue: (items) => ({ title: '各学年贷款逾期率（逾期及违约笔数 / 放款笔数）', series: [{ label: '逾期率', color: '#dd6b20' }],
    rows: items.map((y) => ({ label: `${y.school_year} 学年`, values: [y.overdue_rate_bp], note: `${pct(y.overdue_rate_bp)} · ${y.overdue} / ${y.disbursed} 笔` })) }),
  status: (items) => ({ title: '各学年贷款申请状态（笔）', series: STATUS_GROUPS,
    rows: items.map((y) => {
      const values = STATUS_GROUPS.map((g) => g.of.reduce((n, s) => n + ((y.by_status || {})[s] || 0), 0));
      return { label: `${y.school_year} 学年`, values, note: `${y.applications} 笔` };
    }) }),
};

// loanCharts returns the figures to put in the page and a function that
// draws them once they are in it, and again on every resize until the user
// has left the page.
export function loanCharts(gen, items) {
  const figs = Object.keys(CHARTS).map((kind) => el('figure', { class: 'chart', id: `loan-chart-${kind}`, 'data-kind': kind }));
  const draw = () => figs.forEach((f) => barChart(f, CHARTS[f.dataset.kind](items)));
  let timer;
  const onResize = () => {
    if (gen !== state.gen) { window.removeEventListener('resize', onResize); return; }
    clearTimeout(timer);
    timer = setTimeout(draw, 150);
  };
  return {
    figs,
    draw: () => { window.addEventListener('resize', onResize); draw(); },
  };
}
