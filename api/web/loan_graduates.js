// 毕业生助学贷款 for a senior school's officer: whether the school's former
// students applied for a 生源地信用助学贷款 and how far it went — name, school
// year and status only (the server shows overdue loans as 已放款: repayment
// is the county's business).

import { state } from './state.js';
import { el, field, select, table, card, page, pager } from './dom.js';
import { api, qs } from './net.js';
import { LOAN_STATUS } from './loans.js';

export async function viewGraduateLoans(gen) {
  const year = state.query.get('school_year') || '';
  const pageNo = Number(state.query.get('page') || 1);
  const go = (y, p) => { location.hash = `#/graduate-loans${qs({ school_year: y, page: p > 1 ? p : '' })}`; };
  const l = await api('GET', `/loans/applications${qs({ school_year: year, page: pageNo, page_size: 50 })}`);
  const thisYear = new Date().getFullYear();
  const years = Array.from({ length: 6 }, (_, i) => `${thisYear - i}-${thisYear - i + 1}`);
  const filter = select('school_year', [['', '全部学年'], ...years.map((y) => [y, `${y} 学年`])], year);
  filter.id = 'graduate-loan-year';
  filter.addEventListener('change', () => go(filter.value, 1));
  page(gen, '毕业生助学贷款',
    el('p', { class: 'lead' }, '本校毕业生申请生源地信用助学贷款的情况：只显示姓名、学年和办理状态，贷款金额与还款情况由县级学生资助管理中心掌握。'),
    card('毕业生贷款申请', el('div', { class: 'fields' }, field('学年', filter)),
      table([
        { h: '学年', nowrap: true, f: (a) => a.school_year },
        { h: '姓名', f: (a) => a.name },
        { h: '状态', f: (a) => el('span', { class: `badge ${(LOAN_STATUS[a.status] || ['', ''])[1]}` }, (LOAN_STATUS[a.status] || [a.status_label || a.status])[0]) },
      ], l.items, { caption: `共 ${l.total} 人次`, empty: '没有本校毕业生的贷款申请。', id: 'graduate-loans' }),
      l.total > 50 ? pager(l.total, pageNo, 50, (p) => go(year, p)) : ''));
}
