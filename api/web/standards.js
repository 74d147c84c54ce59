import { state } from './state.js';
import { yuan, fmtDate, LEVEL, STAGE, programName } from './format.js';
import { el, field, input, programSelect, errorSlot, showError, table, card, page } from './dom.js';
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
  if (!page(gen, '资助标准', el('p', { class: 'lead' }, '每学期按年标准的一半发放；标准自生效日期起适用于当日及以后开学的学期。'),
    card('查询', el('div', { class: 'fields' }, field('执行日期', on), field('资助项目', program)), err), out)) return;
  await load();
}
