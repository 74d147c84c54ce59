// 还款提醒: the borrowers with an instalment due in the year, as the list
// the yearly job makes on the configured day (1 December): whom to call,
// the co-borrower beside them, when and how much. County officers and
// auditors only; filtered by year, university and a name, and exported.

import { state } from './state.js';
import { yuan } from './format.js';
import { el, field, select, input, errorSlot, busy, table, card, page, pager, badge } from './dom.js';
import { api, download, qs } from './net.js';
import { LOAN_STATUS } from './loans.js';

const PAGE = 50;

export async function viewLoanReminders(gen) {
  const q = state.query;
  const y = Number((state.now || new Date().toISOString()).slice(0, 4));
  const filter = { year: q.get('year') || String(y), university_code: q.get('university_code') || '', q: q.get('q') || '' };
  const pageNo = Number(q.get('page') || 1);
  const l = await api('GET', `/loans/reminders${qs({ ...filter, page: pageNo, page_size: PAGE })}`);
  const go = (f, p) => { location.hash = `#/loans/reminders${qs({ ...f, page: p > 1 ? p : '' })}`; };

  const years = [1, 0, -1, -2, -3].map((i) => y + i);
  if (!years.includes(Number(filter.year))) years.push(Number(filter.year));
  const year = select('year', years.map((v) => [v, `${v} 年`]), filter.year);
  const unis = l.universities.map((u) => [u.code, `${u.name}（${u.borrowers} 人）`]);
  if (filter.university_code && !unis.some(([c]) => c === filter.university_code)) unis.push([filter.university_code, filter.university_code]);
  const university = select('university_code', [['', '全部高校'], ...unis], filter.university_code);
  const who = input('q', { value: filter.q, maxlength: '64', autocomplete: 'off' });
  for (const [c, id] of [[year, 'reminder-year'], [university, 'reminder-university'], [who, 'reminder-q']]) c.id = id;
  const submit = el('button', { type: 'submit', class: 'primary', id: 'reminder-search' }, '查询');
  const form = el('form', { class: 'fields', role: 'search' }, field('应还年度', year), field('高校', university),
    field('借款学生', who, '姓名、身份证号或其后四位'), el('div', { class: 'field' }, submit));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go({ year: year.value, university_code: university.value, q: who.value.trim() }, 1);
  });

  const exportErr = errorSlot();
  const exportBtn = el('button', { type: 'button', id: 'reminder-export' }, '导出 Excel');
  exportBtn.addEventListener('click', () => busy(exportBtn, exportErr, () => download(`/loans/reminders.xlsx${qs(filter)}`, '还款提醒名单.xlsx')));

  const due = (r) => r.instalment.principal_fen + r.instalment.interest_fen;
  const list = card(`${l.year} 年应还款的借款人`, form, el('p', { class: 'actions' }, exportBtn, exportErr), table([
    { h: '借款学生', f: (r) => [el('a', { href: `#/loans/${r.application_id}` }, r.name), el('br'), el('small', {}, r.id_number)] },
    { h: '共同借款人', f: (r) => [`${r.co_borrower}（${r.co_relation}）`, el('br'), el('small', {}, r.co_phone)] },
    { h: '高校', f: (r) => r.university },
    { h: '状态', f: (r) => badge(LOAN_STATUS, r.status) },
    { h: '应还日期', nowrap: true, f: (r) => r.instalment.due_on },
    { h: '应还本金（元）', num: true, f: (r) => yuan(r.instalment.principal_fen) },
    { h: '应还利息（元）', num: true, f: (r) => yuan(r.instalment.interest_fen) },
    { h: '应还合计（元）', num: true, f: (r) => yuan(due(r)) },
    { h: '说明', f: (r) => (r.instalment.interest_only ? '宽限期，只还利息' : '') },
  ], l.items, { caption: `共 ${l.total} 人`, empty: '没有符合条件的借款人。', id: 'reminders' }),
  l.total > PAGE ? pager(l.total, pageNo, PAGE, (p) => go(filter, p)) : '');

  page(gen, '还款提醒名单', el('p', {}, el('a', { href: '#/loans' }, '← 返回助学贷款')),
    el('p', { class: 'lead' }, '按还款计划列出该年度有应还款的借款人；请在应还日期前提醒借款学生和共同借款人按时还款。'), list);
}
