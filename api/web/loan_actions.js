// 贷后办理 on one borrower's loan page: the county officer confirms the
// graduation, records a 展期 the bank agreed and a 提前还款 the bank
// received, each for one school year's contract. Each asks first, naming the
// borrower, the amounts and the dates; a bad entry is answered next to its
// field and nothing is sent; the page is drawn again with the result.

import { yuan, parseYuan } from './format.js';
import { el, field, select, input, errorSlot, showError, busy, card, confirmAction, rerender } from './dom.js';
import { api } from './net.js';

// active: the statuses the routes take (service postDisbursement).
const ACTIVE = ['disbursed', 'graduated', 'repaying', 'overdue'];
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

// invalid marks control with message in slot and returns true when bad.
function invalid(slot, control, message) {
  showError(slot, message ? new Error(message) : null, control);
  if (message) control.focus();
  return Boolean(message);
}

// withSlot is a field whose error is shown right under it.
function withSlot(label, control, hint) {
  const slot = errorSlot();
  const f = field(label, control, hint);
  f.append(slot);
  return [f, slot];
}

export function loanActions(v) {
  const apps = v.applications.filter((a) => ACTIVE.includes(a.status) && a.contract);
  if (!apps.length) return '';
  const last = apps[apps.length - 1];
  const which = select('application', apps.map((a) => [a.id, `${a.school_year} 学年 · 合同 ${a.contract.contract_no}`]), last.id);
  which.id = 'loan-action-app';
  const app = () => apps.find((a) => String(a.id) === which.value);
  const who = (a) => [['借款学生', `${a.name}（${a.id_number}）`], ['合同', `${a.school_year} 学年 · ${a.contract.contract_no}`],
    ['放款', `${a.disbursed_on} · ${yuan(a.disbursed_fen)} 元`]];
  const post = async (a, path, body, title, pairs, note, done) => {
    if (!await confirmAction(title, [...who(a), ...pairs], note, '确认')) return;
    await api('POST', path, body);
    rerender(done);
  };

  // 毕业确认: the study ends on 31 August of the graduation year (POLICY.md);
  // a day before the course's end (提前毕业、中途离校) ends it that year.
  const gradOn = el('input', { type: 'date', name: 'graduated_on', id: 'graduate-date', max: today() });
  const [gradField, gradErr] = withSlot('提前毕业或离校日期', gradOn, '按期毕业不填');
  const grad = el('button', { type: 'button', class: 'primary', id: 'loan-graduate' }, '毕业确认');
  grad.addEventListener('click', () => busy(grad, gradErr, () => {
    const a = app();
    if (invalid(gradErr, which, a.status === 'disbursed' ? '' : `该笔贷款当前为“${a.status_label}”，只有“已放款”的贷款可以毕业确认`)) return undefined;
    const planned = `${a.entry_year + a.years}-08-31`;
    const on = gradOn.value;
    if (invalid(gradErr, gradOn, !on || (on >= a.disbursed_on && on <= today() && on < planned) ? ''
      : `日期须在放款日期（${a.disbursed_on}）之后、今天之前，且早于按期毕业的 ${planned}`)) return undefined;
    // The subsidy runs to 31 August of the year the study ended.
    const end = on ? `${Number(on.slice(0, 4)) + (on.slice(5, 7) >= '09' ? 1 : 0)}-08-31` : planned;
    return post(a, `/loans/applications/${a.id}/graduate`, on ? { graduated_on: on } : undefined, '毕业确认',
      [['毕业日期', on ? `${on}（提前毕业或离校）` : planned], ['贷款本金', `${yuan(a.disbursed_fen - a.prepaid_fen)} 元`]],
      `确认后进入还款阶段：财政贴息至 ${end}，宽限期内只还利息。`, `已为 ${a.name} 的 ${a.school_year} 学年贷款办理毕业确认。`);
  }));

  // 展期: 1–10 years with the bank's reason.
  const years = el('input', { type: 'number', name: 'years', id: 'extension-years', min: '1', max: '10', step: '1', inputmode: 'numeric' });
  const reason = input('reason', { maxlength: '100', id: 'extension-reason' });
  const [yearsField, yearsErr] = withSlot('展期年数', years, '1–10 年');
  const [reasonField, reasonErr] = withSlot('展期原因', reason, '经办银行同意展期的原因');
  const ext = el('button', { type: 'button', class: 'primary', id: 'loan-extend' }, '登记展期');
  ext.addEventListener('click', () => busy(ext, yearsErr, async () => {
    const a = app();
    const n = Number(years.value);
    showError(reasonErr, null, reason);
    if (invalid(yearsErr, years, Number.isInteger(n) && n >= 1 && n <= 10 ? '' : '展期年数须为 1–10 的整数')) return;
    if (invalid(reasonErr, reason, reason.value.trim() ? '' : '请填写展期原因')) return;
    const term = a.contract.term_years + a.extended_years;
    await post(a, `/loans/${a.id}/extension`, { years: n, reason: reason.value.trim() }, '登记展期',
      [['原贷款期限', `${term} 年`], ['展期', `${n} 年`], ['展期后期限', `${term + n} 年`], ['原因', reason.value.trim()]],
      '登记后还款计划按新期限重新分摊本金。', `已为 ${a.name} 登记展期 ${n} 年。`);
  }));

  // 提前还款: at most what is left of the school year's disbursement.
  const amount = input('amount', { inputmode: 'decimal', id: 'prepay-amount', autocomplete: 'off' });
  const paidOn = el('input', { type: 'date', name: 'paid_on', id: 'prepay-date', value: today() });
  const [amountField, amountErr] = withSlot('还款金额（元）', amount);
  const [dateField, dateErr] = withSlot('还款日期', paidOn);
  const pay = el('button', { type: 'button', class: 'primary', id: 'loan-prepay' }, '登记提前还款');
  pay.addEventListener('click', () => busy(pay, amountErr, async () => {
    const a = app();
    const left = a.disbursed_fen - a.prepaid_fen;
    const fen = parseYuan(amount.value);
    showError(dateErr, null, paidOn);
    if (invalid(amountErr, amount, fen === null || fen <= 0 ? '请填写正确的金额，如 5000 或 5000.00'
      : fen > left ? `不能超过尚未归还的本金 ${yuan(left)} 元` : '')) return;
    if (invalid(dateErr, paidOn, /^\d{4}-\d{2}-\d{2}$/.test(paidOn.value) ? '' : '请选择还款日期')) return;
    await post(a, `/loans/${a.id}/prepayment`, { amount_fen: fen, paid_on: paidOn.value }, '登记提前还款',
      [['已提前还款', `${yuan(a.prepaid_fen)} 元`], ['本次还款', `${yuan(fen)} 元`], ['还款日期', paidOn.value], ['还款后本金', `${yuan(left - fen)} 元`]],
      '以经办银行的还款凭证为准。', `已为 ${a.name} 登记提前还款 ${yuan(fen)} 元（${paidOn.value}）。`);
  }));

  return card('贷后办理',
    el('div', { class: 'fields' }, field('办理的合同', which, '每学年一份合同，分别办理', true)),
    el('h3', {}, '毕业确认'), el('div', { class: 'fields' }, gradField, el('div', { class: 'field' }, grad)),
    el('h3', {}, '展期'), el('div', { class: 'fields' }, yearsField, reasonField, el('div', { class: 'field' }, ext)),
    el('h3', {}, '提前还款'), el('div', { class: 'fields' }, amountField, dateField, el('div', { class: 'field' }, pay)));
}
