// One borrower's loan (GET /loans/{id}): every school year's application,
// the contract and the university's receipt, the disbursements, the
// repayment plan beside the bank's statuses, the interest the state pays
// and the status history. The steps before disbursement are taken on the
// list; those after it (毕业确认、展期、提前还款) here, by the county's officer.

import { yuan, fmtTime, isRole } from './format.js';
import { el, badge, table, card, page, facts } from './dom.js';
import { api } from './net.js';
import { LOAN_STATUS, LOAN_LEVEL } from './loans.js';
import { loanActions } from './loan_actions.js';

const KIND = { first: '首贷', renewal: '续贷' };
const REPAYMENT = { paid: ['正常还款', 'ok'], overdue: ['逾期', 'bad'], defaulted: ['违约', 'bad'], compensated: ['代偿', 'bad'], settled: ['结清', 'ok'] };
const pct = (bp) => `${(bp / 100).toFixed(2)}%`;

export async function viewLoan(gen, id) {
  const v = await api('GET', `/loans/${id}`);
  const apps = v.applications;
  const last = apps[apps.length - 1];
  const co = last.co_borrower;
  const bank = Object.fromEntries(v.repayments.map((r) => [r.due_year, r]));
  const sum = (f) => apps.reduce((n, a) => n + f(a), 0);
  const disbursed = apps.filter((a) => a.disbursed_on);
  const summary = card('借款人与贷款', facts([
    ['借款学生', `${last.name}（${last.id_number}）`],
    ['共同借款人', `${co.name}（${co.relation}） ${co.id_number} · 电话 ${co.phone}`],
    ['高校', `${last.university}（${last.university_code}） · ${LOAN_LEVEL[last.level] || last.level} · 学制 ${last.years} 年 · ${last.entry_year} 年入学`],
    ['当前状态', badge(LOAN_STATUS, last.status)],
    ['贷款本金', `${yuan(v.principal_fen)} 元（已放款减提前还款）`],
    v.term_years ? ['贷款期限', `${v.term_years} 年`] : null,
    // POLICY.md: the state pays the interest up to 31 August of the graduation year.
    ['财政贴息至', `${last.entry_year + last.years}-08-31（在读期间利息由财政全额贴息）`],
    ['财政贴息合计', `${yuan(v.subsidy_total_fen)} 元`],
  ]));
  const applications = card('各学年申请', table([
    { h: '学年', nowrap: true, f: (a) => a.school_year },
    { h: '类型', f: (a) => KIND[a.kind] || '' },
    { h: '申请金额（元）', num: true, f: (a) => yuan(a.tuition_fen + a.accommodation_fen + a.living_fen) },
    { h: '年度额度（元）', num: true, f: (a) => yuan(a.limit_fen) },
    { h: '核定：学费住宿（元）', num: true, f: (a) => yuan(a.granted_school_fen) },
    { h: '核定：生活费（元）', num: true, f: (a) => yuan(a.granted_living_fen) },
    { h: '困难证明', f: (a) => a.difficulty },
    { h: '状态', f: (a) => [badge(LOAN_STATUS, a.status), a.reason ? [el('br'), el('small', {}, a.reason)] : ''] },
    { h: '受理时间', f: (a) => fmtTime(a.created_at) },
  ], apps, { caption: '首贷与续贷', id: 'loan-applications', foot: ['合计', '', yuan(sum((a) => a.tuition_fen + a.accommodation_fen + a.living_fen)), '',
    yuan(sum((a) => a.granted_school_fen)), yuan(sum((a) => a.granted_living_fen)), '', '', ''] }));
  const contracts = card('合同与回执', table([
    { h: '学年', nowrap: true, f: (a) => a.school_year },
    { h: '合同编号', f: (a) => (a.contract ? a.contract.contract_no : '未签订') },
    { h: '签订日期', f: (a) => (a.contract ? a.contract.signed_on : '') },
    { h: '合同金额（元）', num: true, f: (a) => (a.contract ? yuan(a.contract.total_fen) : '') },
    { h: '期限（年）', num: true, f: (a) => (a.contract ? a.contract.term_years : '') },
    { h: '还款方式', f: (a) => (a.contract ? a.contract.repayment_plan_label : '') },
    { h: '高校回执', f: (a) => a.receipt_on || '未确认' },
  ], apps, { caption: '合同与高校回执', id: 'loan-contracts' }));
  const disbursements = card('放款', table([
    { h: '学年', nowrap: true, f: (a) => a.school_year },
    { h: '放款日期', f: (a) => a.disbursed_on },
    { h: '放款金额（元）', num: true, f: (a) => yuan(a.disbursed_fen) },
    { h: '提前还款（元）', num: true, f: (a) => yuan(a.prepaid_fen) },
    { h: '展期（年）', num: true, f: (a) => a.extended_years || '' },
  ], disbursed, { caption: '经办银行放款', empty: '尚未放款', id: 'loan-disbursements',
    foot: ['合计', '', yuan(sum((a) => a.disbursed_fen)), yuan(sum((a) => a.prepaid_fen)), ''] }));
  const plan = card('还款计划与还款情况', table([
    { h: '应还日期', nowrap: true, f: (i) => i.due_on },
    { h: '本金（元）', num: true, f: (i) => yuan(i.principal_fen) },
    { h: '利息（元）', num: true, f: (i) => yuan(i.interest_fen) },
    { h: '应还合计（元）', num: true, f: (i) => yuan(i.principal_fen + i.interest_fen) },
    { h: '年利率', num: true, f: (i) => pct(i.rate_bp) },
    { h: '说明', f: (i) => (i.interest_only ? '宽限期，只还利息' : '') },
    { h: '银行还款状态', f: (i) => { const r = bank[Number(i.due_on.slice(0, 4))]; return r ? [badge(REPAYMENT, r.status), ` 实还 ${yuan(r.paid_fen)} 元`] : '—'; } },
  ], v.repayment_plan, { caption: '每年一次，宽限期后等额还本', empty: '尚未放款，暂无还款计划', id: 'loan-plan' }));
  const subsidy = card('财政贴息', table([
    { h: '年度', f: (y) => `${y.year} 年` },
    { h: '贴息金额（元）', num: true, f: (y) => yuan(y.amount_fen) },
  ], v.subsidy, { caption: '在读期间的利息，由财政按年支付', empty: '暂无贴息', id: 'loan-subsidy', foot: ['合计', yuan(v.subsidy_total_fen)] }));
  const byApp = Object.fromEntries(apps.map((a) => [a.id, a.school_year]));
  const history = card('办理记录', table([
    { h: '时间', nowrap: true, f: (e) => fmtTime(e.at) },
    { h: '学年', nowrap: true, f: (e) => byApp[e.application_id] || '' },
    { h: '经办人', f: (e) => e.actor },
    { h: '状态变化', f: (e) => [e.from ? [badge(LOAN_STATUS, e.from), ' → '] : '', badge(LOAN_STATUS, e.to)] },
    { h: '说明', f: (e) => e.note },
  ], v.status_history, { caption: '每一步都记入审计日志', id: 'loan-history' }));
  page(gen, `贷款详情：${last.name}`, el('p', {}, el('a', { href: '#/loans' }, '← 返回助学贷款')),
    summary, isRole('county_officer') ? loanActions(v) : '', applications, contracts, disbursements, plan, subsidy, history);
}
