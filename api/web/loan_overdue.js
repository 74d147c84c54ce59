// 逾期名单: the borrowers the bank's repayment file marked 逾期 or 违约, one
// row each, with the co-borrower to call and what of the year's instalment
// is unpaid. Only the county's officers and auditors reach it (the API
// refuses anyone else); it filters and exports as an officer chasing
// repayments works: by status, university, the unpaid year, a name.

import { state } from './state.js';
import { yuan } from './format.js';
import { el, field, select, input, errorSlot, busy, table, card, page, pager, badge } from './dom.js';
import { api, download, qs } from './net.js';
import { LOAN_STATUS } from './loans.js';

const PAGE = 50;

export async function viewLoanOverdue(gen) {
  const q = state.query;
  const filter = { status: q.get('status') || '', university_code: q.get('university_code') || '', due_year: q.get('due_year') || '', q: q.get('q') || '' };
  const pageNo = Number(q.get('page') || 1);
  const l = await api('GET', `/loans/overdue${qs({ ...filter, page: pageNo, page_size: PAGE })}`);
  const go = (f, p) => { location.hash = `#/loans/overdue${qs({ ...f, page: p > 1 ? p : '' })}`; };

  const status = select('status', [['', '逾期和违约'], ['overdue', '逾期'], ['defaulted', '违约']], filter.status);
  const unis = l.universities.map((u) => [u.code, `${u.name}（${u.borrowers} 人）`]);
  if (filter.university_code && !unis.some(([c]) => c === filter.university_code)) unis.push([filter.university_code, filter.university_code]);
  const university = select('university_code', [['', '全部高校'], ...unis], filter.university_code);
  const y = Number((state.now || new Date().toISOString()).slice(0, 4));
  const dueYear = select('due_year', [['', '全部年度'], ...[0, 1, 2, 3, 4, 5].map((i) => [y - i, `${y - i} 年`])], filter.due_year);
  const who = input('q', { value: filter.q, maxlength: '64', autocomplete: 'off' });
  for (const [c, id] of [[status, 'overdue-status'], [university, 'overdue-university'], [dueYear, 'overdue-year'], [who, 'overdue-q']]) c.id = id;
  const submit = el('button', { type: 'submit', class: 'primary', id: 'overdue-search' }, '查询');
  const form = el('form', { class: 'fields', role: 'search' }, field('状态', status), field('高校', university), field('逾期年度', dueYear, '该年度应还款未还'),
    field('借款学生', who, '姓名、身份证号或其后四位'), el('div', { class: 'field' }, submit));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go({ status: status.value, university_code: university.value, due_year: dueYear.value, q: who.value.trim() }, 1);
  });

  const exportErr = errorSlot();
  const exportBtn = el('button', { type: 'button', id: 'overdue-export' }, '导出 Excel');
  exportBtn.addEventListener('click', () => busy(exportBtn, exportErr, () => download(`/loans/overdue.xlsx${qs(filter)}`, '逾期名单.xlsx')));

  const list = card('逾期借款人', form, el('p', { class: 'actions' }, exportBtn, exportErr), table([
    { h: '借款学生', f: (b) => [el('a', { href: `#/loans/${b.application_id}` }, b.name), el('br'), el('small', {}, b.id_number)] },
    { h: '共同借款人', f: (b) => [`${b.co_borrower}（${b.co_relation}）`, el('br'), el('small', {}, b.co_phone)] },
    { h: '高校', f: (b) => b.university },
    { h: '首贷学年', nowrap: true, f: (b) => b.first_school_year },
    { h: '状态', f: (b) => badge(LOAN_STATUS, b.status) },
    { h: '逾期年度', f: (b) => b.overdue_years.join('、') },
    { h: '贷款本金（元）', num: true, f: (b) => yuan(b.principal_fen) },
    { h: '逾期应还（元）', num: true, f: (b) => yuan(b.overdue_fen) },
  ], l.items, { caption: `共 ${l.total} 人`, empty: '没有符合条件的逾期借款人。', id: 'overdue' }),
  l.total > PAGE ? pager(l.total, pageNo, PAGE, (p) => go(filter, p)) : '');

  const byUniversity = card('按高校统计', table([
    { h: '高校', f: (u) => u.name },
    { h: '院校代码', nowrap: true, f: (u) => u.code },
    { h: '逾期或违约（人）', num: true, f: (u) => u.borrowers },
  ], l.universities, { caption: '当前状态筛选下各高校的逾期借款人', empty: '暂无逾期借款人。', id: 'overdue-universities' }));

  page(gen, '助学贷款逾期名单', el('p', {}, el('a', { href: '#/loans' }, '← 返回助学贷款')),
    el('p', { class: 'lead' }, '以经办银行还款状态文件为准；请联系借款学生和共同借款人督促还款。名单仅限县级资助中心和审计查看。'), list, byUniversity);
}
