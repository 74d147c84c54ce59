import { state } from './state.js';
import { fmtTime, termLabel, isRole, READERS } from './format.js';
import { el, nextID, badge, field, input, select, termSelect, errorSlot, showError, busy, table, pager, card, page, rerender } from './dom.js';
import { api, download, qs } from './net.js';

export const ANOMALY_STATUS = { open: ['待核实', 'bad'], explained: ['已说明', 'info'], resolved: ['已消除', 'ok'] };
export const SEVERITY = { high: ['高', 'bad'], medium: ['中', 'warn'], low: ['低', ''] };

export async function viewAnomalies(gen) {
  const term = termSelect(state.query.get('term') || '', true);
  const status = select('status', [['open', '待核实'], ['explained', '已说明'], ['resolved', '已消除'], ['', '全部']], state.query.get('status') ?? 'open');
  const q = input('q', { type: 'search', id: 'anomaly-q', value: state.query.get('q') || '' });
  const err = errorSlot();
  const out = el('div', { 'aria-live': 'polite', id: 'anomalies' });
  let sort = '';
  const filter = () => ({ term: term.value, status: status.value, q: q.value.trim(), sort });
  const load = async (pageNo = 1) => {
    const l = await api('GET', `/anomalies${qs({ ...filter(), page: pageNo, page_size: 50 })}`);
    out.replaceChildren(
      el('p', { class: 'info' }, l.last_scan_at ? `最近一次扫描：${fmtTime(l.last_scan_at)}` : '尚未扫描过。'),
      table([
        { h: '规则', sort: 'rule', f: (a) => (a.rule_no ? `${a.rule_no}. ${a.rule_title}` : a.rule_title) },
        { h: '程度', sort: 'severity', f: (a) => badge(SEVERITY, a.severity) },
        { h: '学校', sort: 'school', f: (a) => a.school_name || '—' },
        { h: '学年学期', sort: 'term', f: (a) => (a.term ? termLabel(a.term) : `${a.school_year} 学年`) },
        { h: '情况', f: (a) => (a.student_id && isRole(...READERS) ? [a.summary, ' ', el('a', { href: `#/students/${a.student_id}` }, '档案')] : a.summary) },
        { h: '最近发现', sort: 'seen', f: (a) => fmtTime(a.last_seen) },
        { h: '状态', sort: 'status', f: (a) => [badge(ANOMALY_STATUS, a.status), a.note ? el('div', {}, el('small', {}, `说明：${a.note}（${a.updated_by}）`)) : ''] },
        { h: '处理', f: (a) => [remedy(a), anomalyActions(a)] },
      ], l.items, { caption: `异常线索（${l.total} 条）`, empty: '没有符合条件的异常线索。', id: 'anomaly-table',
        sort: { key: sort, go: (k) => { sort = k; load().catch((e) => showError(err, e)); } } }),
      pager(l.total, l.page, l.page_size, (p) => load(p).catch((e) => showError(err, e))));
  };
  const scan = el('button', { type: 'button', id: 'anomaly-scan' }, '立即扫描');
  const scanOut = el('p', { class: 'ok', role: 'status', id: 'anomaly-scan-result' });
  scan.addEventListener('click', () => busy(scan, err, async () => {
    scanOut.textContent = '';
    const r = await api('POST', '/anomalies/scan');
    scanOut.textContent = `扫描完成：现有 ${r.found} 条线索，新发现 ${r.opened} 条，已消除 ${r.resolved} 条。`;
    await load();
  }));
  const exp = el('button', { type: 'button', id: 'anomaly-export' }, '导出Excel');
  exp.addEventListener('click', () => busy(exp, err, () => download(`/anomalies.xlsx${qs(filter())}`, '异常情况清单.xlsx')));
  for (const c of [term, status]) c.addEventListener('change', () => load().catch((e) => showError(err, e)));
  const search = el('button', { type: 'submit', class: 'primary', id: 'anomaly-search' }, '查询');
  const form = el('form', { class: 'fields', role: 'search' }, field('学期', term), field('状态', status),
    field('学生或学校', q, '学生姓名、完整身份证件号，或学校名称'), el('div', { class: 'field' }, el('p', { class: 'actions' }, search)));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); busy(search, err, () => load()); });
  if (!page(gen, '异常情况', el('p', { class: 'lead' }, '重复享受、代领、持卡人不符、年龄与年级不符、一人多籍、状态变化后仍有资助、金额与标准不符、多次发放失败、滞留未发等线索。'),
    card('查询', form, el('p', { class: 'actions' }, scan, exp), scanOut, err), out)) return;
  await load();
}

// anomalyActions lets a reader record why a finding is in order, or reopen it.
// REMEDIES say, per rule, where the finding is put right: aid that should
// not be paid is revoked or recovered, a wrong account or enrolment is
// corrected in the student's file, money stuck is for finance.
const REMEDIES = {
  duplicate_aid: ['corrections', '撤销或扣回重复的资助'],
  aid_after_exit: ['corrections', '撤销或扣回该生的资助'],
  matching_death: ['corrections', '撤销或扣回该生的资助'],
  amount_mismatch: ['corrections', '登记扣回或审核补发'],
  shared_account: ['file', '在档案中更正银行账户'],
  holder_mismatch: ['file', '在档案中更正持卡人或监护人'],
  repeated_failure: ['file', '在档案中更正银行账户'],
  age_grade: ['file', '在档案中核对年级与出生日期'],
  double_enrolment: ['transfers', '核对学籍，办理转学申请'],
  duplicate_identity: ['corrections', '核对两份档案，撤销或扣回重复的资助'],
  stale_approved: ['batches', '请财政生成发放批次'],
  stale_batch: ['batches', '查看批次，督促登记银行结果'],
};

function remedy(a) {
  const [where, text] = REMEDIES[a.rule] || [];
  if (!where || a.status === 'resolved') return '';
  // The summary starts 姓名（430921********123X）: the ID's visible tail finds
  // exactly that student in the lists' search.
  const who = a.summary.match(/^([^（\s]+)（\d{6}\*+(\d{3}[\dX])）/);
  const name = who ? who[2] : '';
  if (where === 'corrections' && isRole('county_officer')) {
    return el('p', {}, el('a', { href: `#/corrections${qs({ term: a.term || '', school_id: a.school_id || '', q: name })}` }, text));
  }
  if ((where === 'file' || where === 'corrections') && a.student_id) return el('p', {}, el('a', { href: `#/students/${a.student_id}` }, where === 'file' ? text : '查看学生档案'));
  if (where === 'batches') return el('p', {}, el('a', { href: '#/batches' }, text));
  if (where === 'transfers' && isRole('county_officer', 'school_officer')) return el('p', {}, el('a', { href: '#/transfers' }, text));
  return '';
}

export function anomalyActions(a) {
  if (a.status === 'resolved') return '';
  const err = errorSlot();
  if (a.status === 'explained') {
    const reopen = el('button', { type: 'button' }, '重新打开');
    reopen.addEventListener('click', () => busy(reopen, err, async () => {
      await api('PATCH', `/anomalies/${a.id}`, { status: 'open' });
      rerender('已重新打开该线索。');
    }));
    return [reopen, err];
  }
  const note = el('textarea', { name: 'note', id: nextID('note'), rows: '2', maxlength: '500' });
  const save = el('button', { type: 'submit' }, '保存说明');
  const form = el('form', {}, field('核实情况说明', note), save, err);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!note.value.trim()) { showError(err, new Error('请填写核实情况'), note); note.focus(); return; }
    busy(save, err, async () => {
      await api('PATCH', `/anomalies/${a.id}`, { status: 'explained', note: note.value.trim() });
      rerender('已记录说明。');
    });
  });
  return el('details', {}, el('summary', {}, '填写说明'), form);
}
