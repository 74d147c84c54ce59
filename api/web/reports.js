import { state } from './state.js';
import { el, field, select, termSelect, errorSlot, busy, card, page } from './dom.js';
import { download, qs, regions } from './net.js';

export async function viewReports(gen) {
  const term = termSelect(state.term);
  const rs = await regions();
  const scope = state.user.scope.region_code || '';
  const prefix = scope.endsWith('0000') ? scope.slice(0, 2) : scope.endsWith('00') ? scope.slice(0, 4) : scope;
  const mine = rs.filter((r) => r.code.startsWith(prefix) && r.code !== scope);
  const region = mine.length ? select('region_code', [['', '全部（本人权限范围）'], ...mine.map((r) => [r.code, `${r.name}（${r.code}）`])], '') : null;
  const err = errorSlot();
  const btn = el('button', { type: 'button', class: 'primary', id: 'summary-download' }, '下载资助汇总表');
  btn.addEventListener('click', () => busy(btn, err, () => download(`/reports/summary.xlsx${qs({ term: term.value, region_code: region && region.value })}`, '资助汇总表.xlsx')));
  page(gen, '汇总报表', card('资助汇总表', el('p', {}, '按区县、学校、资助项目和状态汇总人数与金额（Excel）。'),
    el('div', { class: 'fields' }, field('学期', term), region && field('区域', region), el('div', { class: 'field' }, btn, err))));
}
