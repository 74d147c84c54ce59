import { state } from './state.js';
import { yuan, parseYuan, fmtTime, programName, termLabel } from './format.js';
import { el, field, input, programSelect, termSelect, schoolSelect, errorSlot, showError, busy, table, card, page, rerender } from './dom.js';
import { api, qs, schoolsInScope } from './net.js';
import { quotaUse, notReported, stateText } from './workbench.js';

// left is what remains of a quota, or 不限 when none is set; a list over its
// quota shows by how much.
const left = (v, fmt) => (v === null ? '不限' : v < 0 ? el('span', { class: 'badge bad' }, `超出 ${fmt(-v)}`) : fmt(v));

// quotaTable shows each school's quota beside what its list uses, from the
// workbench's progress rows (one per school and program, lists not yet
// made included), the schools with no list yet first.
function quotaTable(w, program) {
  const rows = w.progress.filter((p) => !program || p.program === program)
    .sort((a, b) => Number(notReported(b)) - Number(notReported(a)));
  // As on 首页: a school with a list for any program shown has reported.
  const reported = new Set(rows.filter((p) => !notReported(p)).map((p) => p.school_id));
  const missing = [...new Set(rows.filter((p) => !reported.has(p.school_id)).map((p) => p.school_name))];
  const total = (f) => rows.reduce((t, p) => t + f(quotaUse(p)), 0);
  return [
    el('p', { class: missing.length ? 'info' : 'ok', id: 'quota-unreported' }, missing.length
      ? `未上报名单的学校（${missing.length} 所）：${missing.join('、')}。` : `${termLabel(w.term)}各校均已上报名单。`),
    table([
      { h: '学校', f: (p) => p.school_name }, { h: '资助项目', f: (p) => programName(p.program) },
      { h: '上报情况', f: (p) => { const [t, c] = notReported(p) ? ['未上报', 'bad'] : stateText(p); return el('span', { class: `badge ${c}` }, t); } },
      { h: '名额（人）', num: true, f: (p) => (p.max_count === null ? '不限' : p.max_count) },
      { h: '已用（人）', num: true, f: (p) => quotaUse(p).used.count },
      { h: '剩余（人）', num: true, f: (p) => left(quotaUse(p).countLeft, String) },
      { h: '预算（元）', num: true, f: (p) => (p.budget_fen === null ? '不限' : yuan(p.budget_fen)) },
      { h: '已用（元）', num: true, f: (p) => yuan(quotaUse(p).used.total_fen) },
      { h: '剩余（元）', num: true, f: (p) => left(quotaUse(p).fenLeft, yuan) },
      { h: '公示截止', f: (p) => fmtTime(p.notice_ends_at) },
    ], rows, { caption: `各校指标使用（${termLabel(w.term)}）`, empty: '暂无学校', id: 'quotas',
      foot: ['合计', '', '', '', total((u) => u.used.count), '', '', yuan(total((u) => u.used.total_fen)), '', ''] }),
  ];
}

export async function viewQuotas(gen) {
  const program = programSelect(state.query.get('program') || '', true);
  const term = termSelect(state.query.get('term') || state.term);
  const schools = await schoolsInScope();
  const nameOf = (id) => (schools.find((s) => s.id === id) || { name: `学校 ${id}` }).name;
  const out = el('div', { 'aria-live': 'polite' });
  const listErr = errorSlot();
  const load = async () => {
    const w = await api('GET', `/workbench${qs({ term: term.value })}`);
    out.replaceChildren(...quotaTable(w, program.value));
  };
  for (const c of [program, term]) c.addEventListener('change', () => load().catch((e) => showError(listErr, e)));

  const school = await schoolSelect('');
  const p2 = programSelect('boarding');
  const t2 = termSelect(state.term);
  const count = input('max_count', { type: 'number', min: '0', step: '1' });
  const budget = input('budget', { inputmode: 'decimal' });
  const err = errorSlot();
  const save = el('button', { type: 'submit', class: 'primary' }, '保存指标');
  const form = el('form', { class: 'fields', novalidate: true }, field('学校', school), field('资助项目', p2), field('学期', t2),
    field('名额（人）', count, '留空表示不限'), field('预算（元）', budget, '如 125000.00；留空表示不限'), el('div', { class: 'field' }, save, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    let fen = null;
    if (budget.value.trim()) {
      fen = parseYuan(budget.value);
      if (fen === null) { showError(err, new Error('预算须为金额，最多两位小数，如 125000.00'), budget); budget.focus(); return; }
    }
    showError(err, null, budget);
    busy(save, err, async () => {
      await api('PUT', '/quotas', { program: p2.value, term: t2.value, school_id: Number(school.value),
        max_count: count.value === '' ? null : Number(count.value), budget_fen: fen });
      rerender(`已保存 ${nameOf(Number(school.value))} ${programName(p2.value)} 的指标。`);
    });
  });
  if (!page(gen, '资助指标', card('查看', el('div', { class: 'fields' }, field('资助项目', program), field('学期', term)), listErr, out), card('设定学校指标', form))) return;
  await load();
}
