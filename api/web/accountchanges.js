// 账户变更确认: a change of a student's bank account on approved, unpaid aid
// holds that aid until a second county officer confirms it (or rejects it,
// which restores the old account). Auditors read the list only.

import { yuan, fmtTime, isRole } from './format.js';
import { el, nextID, field, errorSlot, showError, busy, table, card, confirmAction, page, rerender } from './dom.js';
import { api, qs } from './net.js';

const account = (bank, acct, holder) => [bank || '', bank ? ' ' : '', acct || '', holder ? `（${holder}）` : ''];

export async function viewAccountChanges(gen) {
  const l = await api('GET', `/account-changes${qs({ status: 'pending', page_size: 200 })}`);
  const cols = [
    { h: '学生', f: (a) => [el('a', { href: `#/students/${a.student_id}` }, a.name || `学生 ${a.student_id}`), el('br'), a.id_number || ''] },
    { h: '原账户', f: (a) => account(a.old_bank_name, a.old_account, a.old_holder) },
    { h: '新账户', f: (a) => account(a.new_bank_name, a.new_account, a.new_holder) },
    { h: '变更人', f: (a) => a.made_by },
    { h: '变更时间', f: (a) => fmtTime(a.made_at) },
    { h: '暂缓发放（元）', num: true, f: (a) => yuan(a.held_fen) },
  ];
  if (isRole('county_officer')) cols.push({ h: '操作', f: changeActions });
  page(gen, '账户变更确认',
    el('p', { class: 'lead' }, '学生银行账户变更后，其已审核未发放的资助暂缓纳入发放批次，须由本县另一名资助专干确认；驳回则恢复原账户。'),
    card('待确认的账户变更', table(cols, l.items, { caption: `共 ${l.total} 条`, empty: '目前没有待确认的账户变更。', id: 'account-changes' })));
}

function changeActions(a) {
  const err = errorSlot();
  const ok = el('button', { type: 'button', class: 'primary', 'data-change': a.id }, '确认');
  const no = el('button', { type: 'button', class: 'danger', 'data-change-reject': a.id }, '驳回');
  const reason = el('textarea', { name: 'reason', id: nextID('reject-reason'), rows: '2', maxlength: '250' });
  const who = a.name || `学生 ${a.student_id}`;
  const facts = [['学生', who], ['新账户', account(a.new_bank_name, a.new_account, a.new_holder).join('')], ['暂缓发放', `${yuan(a.held_fen)} 元`]];
  ok.addEventListener('click', () => busy(ok, err, async () => {
    if (!await confirmAction('确认账户变更', facts, '确认后，暂缓的资助将纳入下一个发放批次，按新账户发放。', '确认变更')) return;
    await api('POST', `/account-changes/${a.id}/confirm`);
    rerender(`已确认 ${who} 的账户变更。`);
  }));
  no.addEventListener('click', () => busy(no, err, async () => {
    if (!reason.value.trim()) { showError(err, new Error('请填写驳回原因'), reason); reason.focus(); return; }
    if (!await confirmAction('驳回账户变更', [...facts, ['原因', reason.value.trim()]], '驳回后恢复原账户。', '确认驳回')) return;
    await api('POST', `/account-changes/${a.id}/reject`, { reason: reason.value.trim() });
    rerender(`已驳回 ${who} 的账户变更，已恢复原账户。`);
  }));
  return [el('span', { class: 'actions' }, ok, no), field('驳回原因', reason), err];
}
