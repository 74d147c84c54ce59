// 审计日志: the log in words (actions and objects in Chinese, the object's
// name, changes in 元, Beijing time), filtered by drop-downs, exportable.

import { state } from './state.js';
import { fmtTime, ROLE_LABEL } from './format.js';
import { el, field, input, select, errorSlot, busy, table, pager, card, page } from './dom.js';
import { api, download, qs } from './net.js';

export async function viewAudit(gen) {
  // The actors offered are those of the entries this auditor may read.
  const [words, actors] = await Promise.all([api('GET', '/audit/words'), api('GET', '/audit/actors')]);
  const action = select('action', [['', '全部操作'], ...words.actions.map((w) => [w.code, w.label])], state.query.get('action') || '');
  const entity = select('entity', [['', '全部对象'], ...words.entities.map((w) => [w.code, w.label])], state.query.get('entity') || '');
  action.id = 'audit-action';
  entity.id = 'audit-entity';
  const entityID = input('entity_id', { inputmode: 'numeric', value: state.query.get('entity_id') || '' });
  const actorIn = select('actor', [['', '全部操作人'], ...actors.items.map((u) => [u.username, ROLE_LABEL[u.role] ? `${u.username}（${ROLE_LABEL[u.role]}）` : u.username])],
    state.query.get('actor') || '');
  actorIn.id = 'audit-actor';
  const from = input('from', { type: 'date' });
  const to = input('to', { type: 'date' });
  const err = errorSlot();
  const search = el('button', { type: 'submit', class: 'primary' }, '查询');
  const exp = el('button', { type: 'button', id: 'audit-export' }, '导出Excel');
  const out = el('div', { 'aria-live': 'polite' });
  const verify = el('button', { type: 'button', id: 'audit-verify' }, '校验哈希链');
  const verifyOut = el('p', { role: 'status', id: 'audit-verify-result' });
  const verifyErr = errorSlot();
  verify.addEventListener('click', () => busy(verify, verifyErr, async () => {
    verifyOut.textContent = '';
    const v = await api('GET', '/audit/verify');
    verifyOut.className = v.ok ? 'ok' : 'error';
    verifyOut.textContent = v.ok ? `审计日志完整：共 ${v.entries} 条，哈希链校验通过。` : `审计日志被篡改：第 ${v.broken_at} 条，${v.problem}`;
  }));
  let sort = '';
  const filter = () => ({ sort, action: action.value, entity: entity.value, entity_id: entityID.value.trim(), actor: actorIn.value, from: from.value, to: to.value });
  const load = (pageNo) => busy(search, err, async () => {
    const l = await api('GET', `/audit${qs({ ...filter(), page: pageNo, page_size: 50 })}`);
    out.replaceChildren(table([
      { h: '序号', num: true, sort: 'id', f: (e) => e.id }, { h: '时间', nowrap: true, sort: 'time', f: (e) => fmtTime(e.at) }, { h: '操作人', sort: 'actor', f: (e) => e.actor },
      { h: '角色', f: (e) => ROLE_LABEL[e.role] || '—' }, { h: '操作', nowrap: true, sort: 'action', f: (e) => e.action_label }, { h: '对象', nowrap: true, sort: 'entity', f: (e) => e.entity_label },
      { h: '对象名称', f: (e) => e.object || (e.entity_id ? `编号 ${e.entity_id}` : '') },
      { h: '内容', f: (e) => e.change }, { h: '来源 IP', f: (e) => e.client_ip },
    ], l.items, { caption: sort ? `审计日志（共 ${l.total} 条）` : `审计日志（最新在前，共 ${l.total} 条）`, empty: '没有符合条件的记录', id: 'audit',
      sort: { key: sort, go: (k) => { sort = k; load(1); } } }), pager(l.total, l.page, l.page_size, load));
  });
  exp.addEventListener('click', () => busy(exp, err, () => download(`/audit.xlsx${qs(filter())}`, '审计日志.xlsx')));
  const form = el('form', { class: 'fields' }, field('操作', action), field('对象', entity), field('对象编号', entityID),
    field('操作人', actorIn), field('起始日期', from), field('截止日期', to), el('div', { class: 'field wide' }, el('p', { class: 'actions' }, search, exp), err));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(1); });
  for (const c of [action, entity, actorIn]) c.addEventListener('change', () => load(1));
  if (!page(gen, '审计日志', card('完整性校验', el('p', {}, '逐条重算哈希，检查日志是否被修改、删除或截断。'), el('p', { class: 'actions' }, verify), verifyOut, verifyErr),
    card('查询', form), out)) return;
  await load(1);
}
