// The 待办 workbench on 首页, one per role: the school's steps for each
// program with the next one marked, the county's schools × programs with
// reporting status and quota, the approved aid waiting for a batch with
// finance's button to make it, and the students whose aid is held for their
// bank account, by name and class.

import { yuan, fmtTime, BATCH_STATUS, programName, termLabel, isRole, READERS } from './format.js';
import { el, badge, errorSlot, busy, table, card, confirmAction, rerender } from './dom.js';
import { api } from './net.js';

const STEPS = ['上传花名册', '计算名单', '提交名单', '公示', '县级审核', '发放结果'];

const sum = (by, ...statuses) => statuses.reduce((t, s) => ({ count: t.count + ((by[s] || {}).count || 0), total_fen: t.total_fen + ((by[s] || {}).total_fen || 0) }), { count: 0, total_fen: 0 });
const ALL_STATUSES = ['draft', 'returned', 'submitted', 'approved', 'batched', 'paid'];

// stepOf is the index in STEPS of what a school's list needs next; past the
// last step (all paid) it is STEPS.length.
function stepOf(p) {
  const by = p.by_status;
  const n = (...s) => sum(by, ...s).count;
  if (!p.students) return 0;
  if (!n(...ALL_STATUSES)) return 1;
  if (n('draft', 'returned')) return 2;
  if (n('submitted')) return p.notice === 'notice_not_started' ? 3 : 4;
  if (n('approved', 'batched')) return 5;
  return STEPS.length;
}

// stateText says in a few words where a list stands, for the county's table.
export function stateText(p) {
  const i = stepOf(p);
  const by = p.by_status;
  if (i === 0) return ['未上报花名册', 'bad'];
  if (i === 1) return ['未计算', 'warn'];
  if (i === 2) return sum(by, 'returned').count ? ['已退回，待学校修改', 'bad'] : ['已计算，未提交', 'warn'];
  if (i === 3) return ['已提交，未公示', 'warn'];
  if (i === 4) return p.notice === 'notice_over' ? ['公示期满，待审核', 'info'] : [`公示中，${fmtTime(p.notice_ends_at)} 期满`, 'info'];
  if (i === 5) return ['已审核，待发放', 'ok'];
  return ['已发放', 'ok'];
}

const listLink = (p, text) => el('a', { href: `#/lists?program=${p.program}&term=${encodeURIComponent(p.term || '')}${isRole('county_officer') ? `&school_id=${p.school_id}` : ''}` }, text);

// schoolSteps draws one program's steps with the next one marked.
function schoolSteps(w, p) {
  const i = stepOf(p);
  const by = p.by_status;
  const counts = [
    `${p.students} 人`,
    `${sum(by, ...ALL_STATUSES).count} 人`,
    `${sum(by, 'submitted', 'approved', 'batched', 'paid').count} 人`,
    p.notice === 'notice_not_started' ? '' : p.notice === 'notice_over' ? '已期满' : `至 ${fmtTime(p.notice_ends_at)}`,
    `${sum(by, 'approved', 'batched', 'paid').count} 人`,
    `${sum(by, 'paid').count} 人 ${yuan(sum(by, 'paid').total_fen)} 元`,
  ];
  const next = [
    el('a', { href: '#/rosters' }, '去上传花名册'),
    listLink({ ...p, term: w.term }, '去计算名单'),
    listLink({ ...p, term: w.term }, sum(by, 'returned').count ? '查看退回原因并修改' : '核对并提交'),
    listLink({ ...p, term: w.term }, '下载公示表并张贴'),
    '等待县级资助中心审核',
    '等待财政发放',
  ][i];
  return el('section', { class: 'steps-card', 'aria-label': programName(p.program) },
    el('h3', {}, programName(p.program)),
    el('ol', { class: 'steps' }, STEPS.map((s, k) => el('li', { class: k < i ? 'done' : k === i ? 'current' : null, 'aria-current': k === i ? 'step' : null },
      el('span', { class: 'step-name' }, s), el('small', {}, k <= i || k === 0 ? counts[k] : '')))),
    el('p', { class: 'next' }, i < STEPS.length ? ['下一步：', next] : '本学期已全部发放。'));
}

// quotaUse is what a school's list for one program uses of its quota: the
// list's students and amount, and what is left of the places and budget
// (null where no quota is set; below zero when the list is over it).
export function quotaUse(p) {
  const used = sum(p.by_status, ...ALL_STATUSES);
  const has = (v) => v !== null && v !== undefined;
  return { used, countLeft: has(p.max_count) ? p.max_count - used.count : null, fenLeft: has(p.budget_fen) ? p.budget_fen - used.total_fen : null };
}

// notReported holds while a school has no list for the program yet (no
// roster, or not calculated): 未上报.
export const notReported = (p) => stepOf(p) <= 1;

// quotaText is the quota used and left, for one school's program.
export function quotaText(p) {
  const { used, countLeft, fenLeft } = quotaUse(p);
  const parts = [];
  if (countLeft !== null) parts.push(`名额 ${used.count}/${p.max_count}，余 ${Math.max(0, countLeft)}`);
  if (fenLeft !== null) parts.push(`预算余 ${yuan(Math.max(0, fenLeft))} 元`);
  const over = (countLeft !== null && countLeft < 0) || (fenLeft !== null && fenLeft < 0);
  return parts.length ? el('span', { class: over ? 'badge bad' : null }, parts.join('；')) : '未设指标';
}

function countyTable(w) {
  const rows = w.progress;
  const reported = new Set(rows.filter((p) => !notReported(p)).map((p) => `${p.school_id}`));
  const schools = new Set(rows.map((p) => `${p.school_id}`));
  return [
    el('p', { class: 'info', id: 'wb-county-summary' }, `${schools.size} 所学校中，${reported.size} 所已计算名单；未上报的学校排在前面。`),
    table([
      { h: '学校', f: (p) => p.school_name },
      { h: '资助项目', f: (p) => programName(p.program) },
      { h: '花名册人数', num: true, f: (p) => p.students },
      { h: '名单状态', f: (p) => { const [t, c] = stateText(p); return el('span', { class: `badge ${c}` }, t); } },
      { h: '名单人数', num: true, f: (p) => sum(p.by_status, ...ALL_STATUSES).count },
      { h: '金额（元）', num: true, f: (p) => yuan(sum(p.by_status, ...ALL_STATUSES).total_fen) },
      { h: '指标使用', f: quotaText },
      { h: '操作', f: (p) => (stepOf(p) === 4 && p.notice === 'notice_over' ? el('a', { href: '#/approvals' }, '去审核') : listLink({ ...p, term: w.term }, '查看名单')) },
    ], [...rows].sort((a, b) => stepOf(a) - stepOf(b)), {
      caption: `各校上报情况（${termLabel(w.term)}）`, id: 'wb-progress', empty: '本县暂无学校',
      foot: ['合计', '', rows.reduce((t, p) => t + p.students, 0), '', rows.reduce((t, p) => t + sum(p.by_status, ...ALL_STATUSES).count, 0),
        yuan(rows.reduce((t, p) => t + sum(p.by_status, ...ALL_STATUSES).total_fen, 0)), '', ''],
    }),
  ];
}

// queueRows is finance's 已审核待生成批次 line per program and term, with the
// button that runs the program's batch job after a confirmation.
function queueRows(w) {
  return w.queue.map((q) => {
    const payable = { count: q.total.count - q.held.count, total_fen: q.total.total_fen - q.held.total_fen };
    const err = errorSlot();
    const kids = [
      el('strong', {}, `${programName(q.program)} · ${termLabel(q.term)}：已审核待生成批次 ${q.total.count} 人 ${yuan(q.total.total_fen)} 元`),
      q.held.count ? el('span', { class: 'badge bad' }, `其中 ${q.held.count} 人 ${yuan(q.held.total_fen)} 元 因银行账户暂缓`) : '',
      q.schedule_text ? el('small', {}, `定时生成：${q.schedule_text}`) : '',
    ];
    if (isRole('finance') && payable.count > 0) {
      const btn = el('button', { type: 'button', class: 'primary', 'data-job': q.job }, '生成批次');
      btn.addEventListener('click', () => busy(btn, err, async () => {
        const ok = await confirmAction('生成发放批次', [['资助项目', programName(q.program)], ['学期', termLabel(q.term)],
          ['人数', `${payable.count} 人`], ['金额合计', `${yuan(payable.total_fen)} 元`], q.held.count ? ['暂缓', `${q.held.count} 人（银行账户待更正）`] : null],
        '生成后批次冻结，不可修改；请在批次页面审核后下载台账和银行代发文件。', '确认生成');
        if (!ok) return;
        const r = await api('POST', `/jobs/${encodeURIComponent(q.job)}/run`);
        const made = (r.made && r.made.batches) || [];
        if (r.status !== 'succeeded') throw new Error(`生成失败：${r.error || '请稍后重试'}`);
        rerender(`已生成 ${made.length} 个批次：${made.map((b) => `${b.number}（${b.lines} 笔，${yuan(b.total_fen)} 元）`).join('、')}。`);
      }));
      kids.push(btn);
    }
    return el('li', {}, kids, err);
  });
}

function heldTable(w) {
  const readers = isRole(...READERS);
  const stuck = w.held.filter((h) => !h.corrected).length;
  return [
    el('h3', {}, `银行账户问题：${stuck} 人暂缓发放，${w.held.length - stuck} 人已更正待下一批次`),
    table([
      { h: '姓名', nowrap: true, f: (h) => (readers ? el('a', { href: `#/students/${h.student_id}` }, h.name) : h.name) },
      { h: '学校', f: (h) => h.school_name },
      { h: '年级', nowrap: true, f: (h) => h.grade_text },
      { h: '班级', f: (h) => h.class },
      { h: '资助项目', f: (h) => programName(h.program) },
      { h: '金额（元）', num: true, f: (h) => yuan(h.amount_fen) },
      { h: '情况', f: (h) => (h.corrected ? badge({ x: ['已更正，待下一批次', 'ok'] }, 'x') : [badge({ x: ['暂缓发放', 'bad'] }, 'x'), ' ', h.reason]) },
    ], w.held, { caption: '暂缓发放与已更正的学生', id: 'wb-held' }),
    readers && stuck ? el('p', { class: 'info' }, '请打开学生档案，在“更正信息”中补录或更正银行卡号；更正后自动进入下一批次。') : '',
  ];
}

// ledgersCard lists the term's batches for auditors with their ledgers, the
// newest first: what has been frozen for payment since they last looked.
function ledgersCard(batches) {
  const rows = [...batches].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  return card('本学期发放台账', table([
    { h: '批次号', f: (b) => el('a', { href: `#/batches/${b.id}` }, b.number) },
    { h: '资助项目', f: (b) => programName(b.program) },
    { h: '生成时间', nowrap: true, f: (b) => fmtTime(b.created_at) },
    { h: '状态', f: (b) => badge(BATCH_STATUS, b.status) },
    { h: '金额（元）', num: true, f: (b) => yuan(b.paid.total_fen + b.failed.total_fen + b.pending.total_fen) },
  ], rows, { caption: '新生成的台账在前，点批次号查看并下载', id: 'wb-ledgers', empty: '本学期尚未生成发放批次' }));
}

// workbench draws the role's to-do; admin has none (it sees no aid data).
export async function workbench(term, dash) {
  if (isRole('admin')) return [];
  const w = await api('GET', `/workbench?term=${encodeURIComponent(term)}`);
  const out = [];
  if (isRole('county_officer')) {
    // Account changes waiting for a second officer hold aid out of batches.
    const ac = await api('GET', '/account-changes?status=pending&page_size=1');
    if (ac.total) {
      out.push(card('账户变更待确认', el('p', { id: 'wb-account-changes' }, `${ac.total} 条银行账户变更等待另一名资助专干确认，相关资助暂缓发放。`,
        el('a', { href: '#/account-changes' }, '去确认'))));
    }
  }
  if (isRole('school_officer', 'county_officer')) {
    // Transfer requests for pupils here wait on this school (or county) alone.
    const tr = await api('GET', '/transfers?status=pending&page_size=200');
    const mine = tr.items.filter((t) => t.can_decide).length;
    if (mine) {
      out.push(card('转学申请待处理', el('p', { id: 'wb-transfers' }, `${mine} 条转学申请等待您同意或答复，同意前学生档案不作改动。`,
        el('a', { href: '#/transfers' }, '去处理'))));
    }
  }
  if (isRole('school_officer')) {
    out.push(card('本学期工作进度', el('div', { class: 'steps-grid', id: 'wb-steps' }, w.progress.map((p) => schoolSteps(w, p)))));
  }
  if (isRole('auditor')) out.push(ledgersCard(dash.batches));
  if (isRole('county_officer', 'auditor')) out.push(card('各校上报与指标', countyTable(w)));
  if (w.queue.length) {
    out.push(card('已审核待生成批次', el('ul', { class: 'queue', id: 'wb-queue' }, queueRows(w))));
  }
  if (w.held.length) out.push(card('银行账户问题', heldTable(w)));
  return out;
}
