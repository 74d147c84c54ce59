// 生源地信用助学贷款: county officers take applications through their steps
// (审核、退回、合同、回执), import applications and the lending bank's status
// files; auditors read; finance downloads the yearly statement.

import { state } from './state.js';
import { yuan, fmtTime, isRole, yearsAround, today } from './format.js';
import { el, nextID, field, select, input, errorSlot, showError, busy, table, card, confirmAction, page, rerender, pager, stat } from './dom.js';
import { api, download, upload, errorOf, qs, regions } from './net.js';
import { loanCharts } from './loan_charts.js';
import { applyForm } from './loan_intake.js';

export const LOAN_STATUS = {
  received: ['已受理', 'info'], approved: ['审核通过', 'ok'], returned: ['已退回', 'bad'], contracted: ['已签合同', 'info'],
  receipt_confirmed: ['回执已确认', 'info'], disbursed: ['已放款', 'ok'], graduated: ['已毕业', ''], repaying: ['还款中', 'info'],
  settled: ['已结清', 'ok'], overdue: ['逾期', 'bad'], defaulted: ['违约', 'bad'],
};
export const LOAN_LEVEL = { junior_college: '专科（高职）', undergraduate: '本科', graduate: '研究生' };

export async function viewLoans(gen) {
  const writer = isRole('county_officer');
  const lister = isRole('county_officer', 'auditor');
  const status = state.query.get('status') || '';
  const pageNo = Number(state.query.get('page') || 1);
  const go = (s, p) => { location.hash = `#/loans${qs({ status: s, page: p > 1 ? p : '' })}`; };
  const sections = [];
  if (lister) {
    const l = await api('GET', `/loans/applications${qs({ status, page: pageNo, page_size: 50 })}`);
    const filter = select('status', [['', '全部状态'], ...Object.entries(LOAN_STATUS).map(([k, [t]]) => [k, t])], status);
    filter.id = 'loan-status';
    filter.addEventListener('change', () => go(filter.value, 1));
    const cols = [
      { h: '学年', nowrap: true, f: (a) => a.school_year },
      { h: '借款学生', f: (a) => [el('a', { href: `#/loans/${a.id}` }, a.name), el('br'), a.id_number || ''] },
      { h: '高校', f: (a) => [a.university || '', a.level ? ` · ${LOAN_LEVEL[a.level] || a.level}` : ''] },
      { h: '贷款金额（元）', num: true, f: (a) => yuan(a.granted_fen) },
      { h: '状态', f: (a) => [el('span', { class: `badge ${(LOAN_STATUS[a.status] || ['', ''])[1]}` }, (LOAN_STATUS[a.status] || [a.status_label || a.status])[0]),
        a.reason ? [el('br'), el('small', {}, a.reason)] : ''] },
      { h: '受理时间', f: (a) => fmtTime(a.created_at) },
    ];
    if (writer) cols.push({ h: '操作', f: loanActions });
    const exportErr = errorSlot();
    const exportBtn = el('button', { type: 'button', id: 'loans-export' }, '导出 Excel');
    exportBtn.addEventListener('click', () => busy(exportBtn, exportErr, () => download(`/loans/applications.xlsx${qs({ status })}`, '贷款申请名单.xlsx')));
    sections.push(card('贷款申请', el('div', { class: 'fields' }, field('状态', filter)),
      el('p', { class: 'actions' }, exportBtn, el('a', { href: '#/loans/overdue', id: 'overdue-link' }, '查看逾期名单'),
        el('a', { href: '#/loans/reminders', id: 'reminders-link' }, '还款提醒名单'), exportErr),
      table(cols, l.items, { caption: `共 ${l.total} 条`, empty: '没有符合条件的贷款申请。', id: 'loans' }),
      l.total > 50 ? pager(l.total, pageNo, 50, (p) => go(status, p)) : ''));
  }
  if (writer) sections.push(card('受理贷款申请', el('p', {}, '学生和共同借款人到场、核对身份证件后逐笔受理；批量受理请用下面的导入。'), applyForm()),
    importCard(), receiptsCard(), bankCard());
  const years = await api('GET', '/loans/years');
  const charts = loanCharts(gen, years.items);
  sections.push(card('贷款统计图', el('div', { class: 'grid2' }, charts.figs)));
  sections.push(card('各学年贷款情况', table([
    { h: '学年', nowrap: true, f: (y) => y.school_year },
    { h: '申请（笔）', num: true, f: (y) => y.applications },
    { h: '新增放款（笔）', num: true, f: (y) => y.disbursed },
    { h: '放款金额（元）', num: true, f: (y) => yuan(y.disbursed_fen) },
    { h: '逾期（笔）', num: true, f: (y) => y.overdue },
    { h: '逾期率', num: true, f: (y) => `${(y.overdue_rate_bp / 100).toFixed(2)}%` },
  ], years.items, { caption: '按学年统计', empty: '暂无贷款数据。', id: 'loan-years' })), await statementCard());
  if (page(gen, '生源地信用助学贷款', el('p', { class: 'lead' }, '按“受理—审核—签订合同—高校回执—放款”的顺序办理；放款与还款状态以经办银行文件为准。'), sections)) charts.draw();
}

function loanActions(a) {
  const err = errorSlot();
  const who = [['借款学生', a.name], ['学年', a.school_year], ['贷款金额', `${yuan(a.granted_fen)} 元`]];
  const step = async (path, body, title, extra, note, message) => {
    if (!await confirmAction(title, [...who, ...extra], note, '确认')) return;
    await api('POST', `/loans/applications/${a.id}/${path}`, body);
    rerender(message);
  };
  const btn = (text, cls, work) => {
    const b = el('button', { type: 'button', class: cls, 'data-loan': a.id }, text);
    b.addEventListener('click', () => busy(b, err, work));
    return b;
  };
  if (a.status === 'received') {
    const reason = el('textarea', { name: 'reason', id: nextID('loan-reason'), rows: '2', maxlength: '250' });
    return [el('span', { class: 'actions' },
      btn('审核通过', 'primary', () => step('approve', undefined, '贷款申请审核通过', [], '', `已审核通过 ${a.name} 的贷款申请。`)),
      btn('退回', 'danger', () => {
        if (!reason.value.trim()) { showError(err, new Error('请填写退回原因'), reason); reason.focus(); return undefined; }
        return step('return', { reason: reason.value.trim() }, '退回贷款申请', [['原因', reason.value.trim()]], '', `已退回 ${a.name} 的贷款申请。`);
      })), field('退回原因', reason), err];
  }
  if (a.status === 'approved') {
    const no = input('contract_no', { maxlength: '50' });
    const on = el('input', { type: 'date', name: 'signed_on', id: nextID('signed_on'), value: today() });
    // 续贷 contracts follow the first contract's plan (the server says so when they differ).
    const plan = select('repayment_plan', [['', '按合同约定（默认等额本金）'], ['equal_principal', '等额本金'], ['equal_instalments', '等额本息']], '');
    plan.id = nextID('repayment_plan');
    return [field('合同编号', no), field('签订日期', on), field('还款方式', plan), el('span', { class: 'actions' }, btn('登记合同', 'primary', () => {
      if (!no.value.trim()) { showError(err, new Error('请填写合同编号'), no); no.focus(); return undefined; }
      return step('contract', { contract_no: no.value.trim(), signed_on: on.value, repayment_plan: plan.value }, '登记贷款合同',
        [['合同编号', no.value.trim()], ['签订日期', on.value], ['还款方式', plan.selectedOptions[0].textContent]], '', `已登记 ${a.name} 的贷款合同。`);
    })), err];
  }
  if (a.status === 'contracted') {
    const on = el('input', { type: 'date', name: 'confirmed_on', id: nextID('confirmed_on'), value: today() });
    return [field('回执确认日期', on), el('span', { class: 'actions' }, btn('确认回执', 'primary', () =>
      step('receipt', { confirmed_on: on.value }, '确认高校回执', [['确认日期', on.value]], '确认后等待经办银行放款。', `已确认 ${a.name} 的高校回执。`))), err];
  }
  return '';
}

// fileForm posts a spreadsheet and shows the counts and row errors.
function fileForm(prefix, path, extra) {
  const file = el('input', { type: 'file', name: 'file', id: `${prefix}-file`, accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', required: true });
  const err = errorSlot();
  const submit = el('button', { type: 'submit', class: 'primary', id: `${prefix}-submit` }, '上传');
  const result = el('div', { id: `${prefix}-result`, 'aria-live': 'polite' });
  const form = el('form', { class: 'fields', novalidate: true }, extra.map((e) => e.node),
    field('文件（.xlsx）', file, '', true), el('div', { class: 'field wide' }, submit, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!file.files.length) { showError(err, new Error('请选择要上传的文件'), file); return; }
    const fd = new FormData();
    fd.set('file', file.files[0]);
    for (const e of extra) e.set(fd);
    busy(submit, err, async () => {
      result.replaceChildren();
      const { status, body } = await upload(path, fd);
      let rep = body;
      let message = '';
      if (status !== 200) {
        const e = errorOf(status, body);
        if (!e.details || e.details.errors === undefined) throw e;
        rep = e.details;
        message = e.message;
      }
      result.replaceChildren(
        el('p', { class: message ? 'error' : 'ok', role: 'alert', id: `${prefix}-status` }, message || (rep.dry_run ? '检查完成：未写入任何数据。' : '导入完成。')),
        el('ul', { class: 'stats' }, stat('总行数', rep.rows), stat('新增', rep.created), stat('未变', rep.unchanged), stat('未导入', rep.rejected)),
        (rep.errors || []).length ? table([
          { h: '行号', num: true, f: (e) => e.row }, { h: '列', nowrap: true, f: (e) => e.column }, { h: '问题', f: (e) => e.message },
        ], rep.errors, { caption: '错误明细', id: `${prefix}-errors` }) : '');
    });
  });
  return [form, result];
}

function importCard() {
  const years = yearsAround(state.term).map((y) => [y, `${y} 学年`]);
  const year = select('school_year', years, state.term.slice(0, 9));
  const tplErr = errorSlot();
  const tpl = el('button', { type: 'button', id: 'loan-template' }, '下载贷款申请模板');
  tpl.addEventListener('click', () => busy(tpl, tplErr, () => download('/loans/applications/template', '贷款申请模板.xlsx')));
  const mode = select('mode', [['all_or_nothing', '全部正确才导入'], ['valid_rows', '只导入正确的行']], 'all_or_nothing');
  const dry = el('input', { type: 'checkbox', name: 'dry_run', id: nextID('loan-dry') });
  return card('导入贷款申请', el('p', { class: 'actions' }, tpl, tplErr), fileForm('loan-import', '/loans/applications/import', [
    { node: field('学年', year), set: (fd) => fd.set('school_year', year.value) },
    { node: field('导入方式', mode), set: (fd) => fd.set('mode', mode.value) },
    { node: el('div', { class: 'field' }, el('span', { class: 'check' }, dry, el('label', { for: dry.id }, '仅检查，不导入'))), set: (fd) => fd.set('dry_run', dry.checked ? 'true' : 'false') },
  ]));
}

function receiptsCard() {
  return card('导入高校回执清单', el('p', {}, '高校回执清单（按合同编号）；已签合同的贷款确认回执后等待放款，已确认的不会重复确认。'), fileForm('loan-receipts', '/loans/receipts', []));
}

function bankCard() {
  return card('导入经办银行文件', el('p', {}, '经办银行的放款或还款状态表；同一文件重复导入不会重复记账。'), fileForm('loan-bank', '/loans/bank-files', []));
}

// statementCard downloads a county's yearly statement; a user whose scope
// is a city (a code ending in 00) picks one of its counties, as the
// statement is made per county.
async function statementCard() {
  const y = Number((state.now || new Date().toISOString()).slice(0, 4));
  const year = select('year', [y - 1, y - 2, y - 3, y - 4].map((v) => [v, `${v} 年`]), y - 1);
  year.id = 'statement-year';
  const scope = (state.user.scope && state.user.scope.region_code) || '';
  let region = null;
  if (scope.endsWith('00')) {
    const prefix = scope.replace(/(00)+$/, '');
    const counties = (await regions()).filter((r) => r.code.startsWith(prefix) && !r.code.endsWith('00'));
    region = select('region_code', counties.map((r) => [r.code, `${r.name}（${r.code}）`]), counties.length ? counties[0].code : '');
    region.id = 'statement-region';
  }
  const err = errorSlot();
  const dl = el('button', { type: 'button', id: 'statement-download' }, '下载年度统计表');
  dl.addEventListener('click', () => busy(dl, err, () => download(`/loans/statements${qs({ year: year.value, region_code: region ? region.value : '' })}`, '生源地信用助学贷款统计表.xlsx')));
  return card('年度财政贴息及风险补偿金统计表', el('div', { class: 'fields' }, field('年度', year, '只能生成已结束年度的统计表'),
    region && field('县（区）', region, '统计表按县（区）生成'), el('div', { class: 'field' }, dl, err)));
}
