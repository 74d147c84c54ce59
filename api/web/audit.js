import { state } from './state.js';
import { fmtTime, ROLE_LABEL } from './format.js';
import { el, field, input, errorSlot, busy, table, pager, card, page } from './dom.js';
import { api, qs } from './net.js';

export async function viewAudit(gen) {
  const entity = input('entity', { list: 'audit-entities', value: state.query.get('entity') || '' });
  const entities = el('datalist', { id: 'audit-entities' },
    ['user', 'session', 'student', 'roster_import', 'aid_list', 'entitlement', 'objection', 'notice', 'standard', 'school', 'region', 'batch', 'ledger', 'bank_file', 'job'].map((v) => el('option', { value: v })));
  const entityID = input('entity_id');
  const actorIn = input('actor');
  const from = input('from', { type: 'date' });
  const to = input('to', { type: 'date' });
  const err = errorSlot();
  const search = el('button', { type: 'submit', class: 'primary' }, '查询');
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
  const load = (pageNo) => busy(search, err, async () => {
    const l = await api('GET', `/audit${qs({ entity: entity.value.trim(), entity_id: entityID.value.trim(), actor: actorIn.value.trim(), from: from.value, to: to.value, page: pageNo, page_size: 50 })}`);
    out.replaceChildren(table([
      { h: '序号', num: true, f: (e) => e.id }, { h: '时间', f: (e) => fmtTime(e.at) }, { h: '操作人', f: (e) => e.actor },
      { h: '角色', f: (e) => ROLE_LABEL[e.role] || e.role }, { h: '操作', f: (e) => e.action }, { h: '对象', f: (e) => e.entity },
      { h: '对象编号', f: (e) => e.entity_id }, { h: '来源 IP', f: (e) => e.client_ip },
      { h: '内容', f: (e) => el('details', {}, el('summary', {}, '前后对比'),
        el('pre', { class: 'json' }, `之前：${JSON.stringify(e.before, null, 1)}\n之后：${JSON.stringify(e.after, null, 1)}`)) },
    ], l.items, { caption: '审计日志（最新在前）', empty: '没有符合条件的记录', id: 'audit' }), pager(l.total, l.page, l.page_size, load));
  });
  const form = el('form', { class: 'fields' }, field('对象类型', entity, '如 entitlement、batch、student'), entities, field('对象编号', entityID),
    field('操作人', actorIn), field('起始日期', from), field('截止日期', to), el('div', { class: 'field' }, search, err));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(1); });
  if (!page(gen, '审计日志', card('完整性校验', el('p', {}, '逐条重算哈希，检查日志是否被修改、删除或截断。'), el('p', { class: 'actions' }, verify), verifyOut, verifyErr),
    card('查询', form), out)) return;
  await load(1);
}
