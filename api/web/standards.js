import { state } from './state.js';
import { yuan, parseYuan, fmtDate, LEVEL, STAGE, programName, isRole } from './format.js';
import { el, field, input, select, programSelect, errorSlot, showError, busy, table, card, confirmAction, page, rerender } from './dom.js';
import { api, qs, regions } from './net.js';

export async function viewStandards(gen) {
  const today = fmtDate(state.now) || fmtDate(new Date().toISOString());
  const on = input('on', { type: 'date', value: state.query.get('on') || today });
  const program = programSelect('', true);
  const err = errorSlot();
  const out = el('div', { 'aria-live': 'polite' });
  const rs = await regions();
  const regionName = (c) => (c ? (rs.find((r) => r.code === c) || { name: c }).name : '全国');
  const region = state.user.scope.region_code || '';
  const load = async () => {
    const l = await api('GET', `/standards${qs({ on: on.value, program: program.value, region_code: region })}`);
    out.replaceChildren(table([
      { h: '资助项目', f: (s) => programName(s.program) }, { h: '学段', f: (s) => STAGE[s.stage] || s.stage },
      { h: '档次', f: (s) => LEVEL[s.level] || '基本标准' }, { h: '适用地区', f: (s) => regionName(s.region_code) },
      { h: '年标准（元）', num: true, f: (s) => yuan(s.annual_fen) }, { h: '生效日期', f: (s) => s.effective_from }, { h: '依据', f: (s) => s.source },
    ], l.items, { caption: `${on.value} 执行的资助标准${region ? `（${regionName(region)}）` : ''}`, empty: '该日没有执行中的标准', id: 'standards' }));
  };
  for (const c of [on, program]) c.addEventListener('change', () => load().catch((e) => showError(err, e)));
  const add = isRole('county_officer', 'admin') ? standardForm(rs, region, regionName) : '';
  if (!page(gen, '资助标准', el('p', { class: 'lead' }, '每学期按年标准的一半发放；标准自生效日期起适用于当日及以后开学的学期。'),
    card('查询', el('div', { class: 'fields' }, field('执行日期', on), field('资助项目', program)), err), out, add)) return;
  await load();
}

// standardForm adds a standard from a date (POLICY.md: a county may only add
// on top of the national figure; the server refuses a lower one). A new
// standard never rewrites terms already approved.
function standardForm(rs, region, regionName) {
  const program = programSelect('senior_grant');
  const stage = select('stage', Object.entries(STAGE), 'senior');
  const level = select('level', [['', '基本标准（不分档）'], ...Object.entries(LEVEL)], '');
  const where = region ? null : select('region_code', [['', '全国'], ...rs.map((r) => [r.code, `${r.name}（${r.code}）`])], '');
  const annual = input('annual', { inputmode: 'decimal' });
  const from = input('effective_from', { type: 'date' });
  const source = input('source', { placeholder: '如 县财政局、县教育局联合文件文号' });
  const err = errorSlot();
  const save = el('button', { type: 'submit', class: 'primary', id: 'standard-save' }, '新增标准');
  const form = el('form', { class: 'fields', novalidate: true }, field('资助项目', program, null, 'span2'), field('学段', stage), field('档次', level),
    where ? field('适用地区', where) : field('适用地区', el('output', {}, regionName(region))), field('年标准（元）', annual, '如 2300.00'),
    field('生效日期', from), field('依据', source, null, 'span2'), el('div', { class: 'field wide' }, save, err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fen = parseYuan(annual.value);
    if (fen === null || fen <= 0) { showError(err, new Error('年标准须为金额，最多两位小数，如 2300.00'), annual); annual.focus(); return; }
    showError(err, null, annual);
    if (!from.value) { showError(err, new Error('请选择生效日期'), from); from.focus(); return; }
    showError(err, null, from);
    const code = region || (where && where.value) || '';
    const ok = await confirmAction('新增资助标准', [['资助项目', programName(program.value)], ['学段', STAGE[stage.value]],
      ['档次', LEVEL[level.value] || '基本标准'], ['适用地区', regionName(code)], ['年标准', `${yuan(fen)} 元（每学期 ${yuan(Math.floor(fen / 2))} 元）`],
      ['生效日期', from.value]], '新标准自生效日期起适用于当日及以后开学的学期；已审核的学期不变。', '确认新增');
    if (!ok) return;
    busy(save, err, async () => {
      const body = { program: program.value, stage: stage.value, annual_fen: fen, effective_from: from.value, source: source.value.trim() };
      if (level.value) body.level = level.value;
      if (code) body.region_code = code;
      await api('POST', '/standards', body);
      rerender(`已新增 ${programName(program.value)} 的标准，自 ${from.value} 起执行。`);
    });
  });
  return card('新增资助标准', form);
}
