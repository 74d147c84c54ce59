import { state } from './state.js';
import { yuan, parseYuan, fmtTime, programName, termLabel } from './format.js';
import { el, field, input, programSelect, termSelect, schoolSelect, errorSlot, showError, busy, table, card, page, rerender } from './dom.js';
import { api, qs, schoolsInScope } from './net.js';

export async function viewQuotas(gen) {
  const program = programSelect(state.query.get('program') || '', true);
  const term = termSelect(state.query.get('term') || state.term, true);
  const schools = await schoolsInScope();
  const nameOf = (id) => (schools.find((s) => s.id === id) || { name: `学校 ${id}` }).name;
  const out = el('div', { 'aria-live': 'polite' });
  const listErr = errorSlot();
  const load = async () => {
    const l = await api('GET', `/quotas${qs({ program: program.value, term: term.value })}`);
    out.replaceChildren(table([
      { h: '学校', f: (x) => nameOf(x.school_id) }, { h: '资助项目', f: (x) => programName(x.program) }, { h: '学期', f: (x) => termLabel(x.term) },
      { h: '名额（人）', num: true, f: (x) => (x.max_count === null ? '不限' : x.max_count) },
      { h: '预算（元）', num: true, f: (x) => (x.budget_fen === null ? '不限' : yuan(x.budget_fen)) },
      { h: '提交时间', f: (x) => fmtTime(x.submitted_at) }, { h: '公示截止', f: (x) => fmtTime(x.notice_ends_at) },
    ], l.items, { caption: '各校指标', empty: '暂无名单或指标', id: 'quotas' }));
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
