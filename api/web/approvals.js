import { yuan, fmtTime, NOTICE, LEVEL, programName, termLabel } from './format.js';
import { el, nextID, badge, field, errorSlot, showError, busy, table, card, confirmAction, page, rerender } from './dom.js';
import { api, qs } from './net.js';
import { quotaText } from './workbench.js';

export async function viewApprovals(gen) {
  const d = await api('GET', '/dashboard');
  const lists = d.lists.filter((l) => l.submitted.count > 0);
  // Each list's quota used and left, from the workbench of its term.
  const benches = await Promise.all([...new Set(lists.map((l) => l.term))].map((t) => api('GET', `/workbench${qs({ term: t })}`)));
  const quota = new Map();
  for (const w of benches) for (const p of w.progress) quota.set(`${p.school_id}|${p.program}|${w.term}`, p);
  const detail = el('div', { id: 'approval-detail' });
  const rows = table([
    { h: '学校', f: (l) => l.school_name },
    { h: '资助项目', f: (l) => programName(l.program) },
    { h: '学期', f: (l) => termLabel(l.term) },
    { h: '人数', num: true, f: (l) => l.submitted.count },
    { h: '金额（元）', num: true, f: (l) => yuan(l.submitted.total_fen) },
    { h: '提交时间', f: (l) => fmtTime(l.submitted_at) },
    { h: '公示', f: (l) => [badge(NOTICE, l.notice), el('br'), l.notice_ends_at && l.notice !== 'notice_not_started' ? `至 ${fmtTime(l.notice_ends_at)}` : ''] },
    { h: '异议', num: true, f: (l) => (l.objections ? el('span', { class: 'badge bad' }, `${l.objections} 条`) : '0') },
    { h: '指标使用', f: (l) => { const p = quota.get(`${l.school_id}|${l.program}|${l.term}`); return p ? quotaText(p) : '未设指标'; } },
    { h: '操作', f: (l) => approvalActions(l, detail) },
  ], lists, { caption: '已提交、待审核的学校名单', empty: '目前没有待审核的名单。', id: 'approvals' });
  page(gen, '名单审核', el('p', { class: 'lead' }, '学校提交名单并公示期满后方可审核；有异议的请先查看明细，必要时退回并说明原因。'), card('待审核名单', rows), detail);
}

export function approvalActions(l, detail) {
  const err = errorSlot();
  const view = el('button', { type: 'button', class: 'link' }, '查看明细');
  const approve = el('button', { type: 'button', class: 'primary', 'data-list': l.list_id, disabled: l.notice !== 'notice_over' }, '审核通过');
  view.addEventListener('click', () => busy(view, err, () => showApprovalDetail(l, detail)));
  approve.addEventListener('click', () => busy(approve, err, async () => {
    const ok = await confirmAction('审核通过学校名单', [
      ['学校', l.school_name], ['资助项目', programName(l.program)], ['学期', termLabel(l.term)],
      ['人数', `${l.submitted.count} 人`], ['金额合计', `${yuan(l.submitted.total_fen)} 元`], ['公示异议', `${l.objections} 条`]],
    '审核通过后，名单进入发放队列，由定时任务生成发放批次交财政发放。', '确认审核通过');
    if (!ok) return;
    const r = await api('POST', '/entitlements/approve', { program: l.program, term: l.term, school_id: l.school_id });
    rerender(`已审核通过 ${l.school_name} ${programName(l.program)} ${r.count} 人，合计 ${yuan(r.total_fen)} 元。`);
  }));
  return [el('span', { class: 'actions' }, view, approve), l.notice !== 'notice_over' ? el('small', {}, l.notice === 'notice_period' ? '公示期满后可审核' : '学校尚未公示') : '', err];
}

export async function showApprovalDetail(l, box) {
  const rows = [];
  for (let p = 1; ; p++) {
    const page_ = await api('GET', `/entitlements${qs({ program: l.program, term: l.term, school_id: l.school_id, status: 'submitted', page: p, page_size: 200 })}`);
    rows.push(...page_.items);
    if (rows.length >= page_.total || !page_.items.length) break;
  }
  const checks = new Map();
  const reason = el('textarea', { name: 'reason', id: nextID('reason'), rows: '2', maxlength: '250' });
  const err = errorSlot();
  const back = el('button', { type: 'button', class: 'danger', id: 'return-selected' }, '退回所选');
  back.addEventListener('click', () => busy(back, err, async () => {
    const picked = rows.filter((r) => checks.get(r.id).checked);
    if (!picked.length) throw new Error('请勾选要退回的学生。');
    if (!reason.value.trim()) { showError(err, new Error('请填写退回原因'), reason); reason.focus(); return; }
    const total = picked.reduce((s, r) => s + r.amount_fen, 0);
    const ok = await confirmAction('退回名单', [['学校', l.school_name], ['资助项目', programName(l.program)], ['退回人数', `${picked.length} 人`],
      ['涉及金额', `${yuan(total)} 元`], ['原因', reason.value.trim()]], '退回后学校须修改并重新提交，重新公示。', '确认退回');
    if (!ok) return;
    const r = await api('POST', '/entitlements/return', { ids: picked.map((x) => x.id), reason: reason.value.trim() });
    rerender(`已退回 ${r.count} 人，合计 ${yuan(r.total_fen)} 元。`);
  }));
  // 全选 ticks every row (or none), for sending a whole list back.
  const all = el('input', { type: 'checkbox', id: 'select-all' });
  all.addEventListener('change', () => { for (const c of checks.values()) c.checked = all.checked; });
  box.replaceChildren(card(`名单明细：${l.school_name} · ${programName(l.program)} · ${termLabel(l.term)}`,
    el('p', { class: 'check' }, all, el('label', { for: all.id }, `全选（${rows.length} 人）`)),
    table([
      { h: '选择', f: (r) => { const c = el('input', { type: 'checkbox', 'aria-label': `选择 ${r.name}` }); checks.set(r.id, c); return c; } },
      { h: '姓名', f: (r) => el('a', { href: `#/students/${r.student_id}` }, r.name) },
      { h: '身份证件号', f: (r) => r.id_number },
      { h: '年级', f: (r) => r.grade_text }, { h: '班级', f: (r) => r.class },
      { h: '档次', f: (r) => LEVEL[r.level] || '—' },
      { h: '金额（元）', num: true, f: (r) => yuan(r.amount_fen) },
      { h: '异议', num: true, f: (r) => (r.objections ? el('span', { class: 'badge bad' }, `${r.objections} 条`) : '') },
      { h: '提示', f: (r) => r.warning },
    ], rows, { caption: `共 ${rows.length} 人`, id: 'approval-rows' }),
    el('div', { class: 'fields' }, field('退回原因', reason, '学校会在名单中看到此原因', true), el('div', { class: 'field wide' }, back, err))));
  box.scrollIntoView({ block: 'start' });
}
