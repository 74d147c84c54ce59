// 撤销、扣回、认定更正与补发审核 (county): approved aid not yet paid is revoked after a
// late finding; paid aid found wrong is recorded for recovery (扣回); top-ups
// and recoveries that a change of standard or a correction made wait here
// for the county's review. Every action picks rows (全选 too), asks for a
// reason where the API needs one, and confirms with head count and total.

import { state } from './state.js';
import { yuan, ENT_STATUS, LEVEL, STAGE, programName, termLabel } from './format.js';
import { el, nextID, badge, field, input, select, programSelect, termSelect, schoolSelect, errorSlot, showError, busy, table, card, confirmAction, page, rerender } from './dom.js';
import { api, qs } from './net.js';

const KINDS = {
  revoke: {
    title: '撤销已审核未发放的资助', status: 'approved', path: '/entitlements/revoke', ok: '确认撤销', button: '撤销所选',
    lead: '审核通过后发现不符合条件（如已转出、重复享受）且尚未纳入批次的，撤销后不再发放。', reason: true,
  },
  recover: {
    title: '登记已发放资助的扣回', status: 'paid', path: '/entitlements/recover', ok: '确认登记扣回', button: '登记扣回',
    lead: '已发放后发现不应享受或多发的，登记扣回（扣回金额按已到账金额计算，不会再发放）。', reason: true,
  },
};

// pickRows draws a list with a checkbox per row, 全选, a reason box when the
// action needs one, and the action's button with its confirmation.
function pickRows(rows, cols, opts) {
  const checks = new Map();
  const all = el('input', { type: 'checkbox', id: nextID('all') });
  all.addEventListener('change', () => { for (const c of checks.values()) c.checked = all.checked; });
  const reason = opts.reason && el('textarea', { name: 'reason', id: nextID('reason'), rows: '2', maxlength: '250' });
  const err = errorSlot();
  const act = el('button', { type: 'button', class: opts.danger ? 'danger' : 'primary', id: `${opts.id}-act` }, opts.button);
  act.addEventListener('click', () => busy(act, err, async () => {
    const picked = rows.filter((r) => checks.get(r.id).checked);
    if (!picked.length) throw new Error('请勾选要处理的记录。');
    if (reason && !reason.value.trim()) { showError(err, new Error('请填写原因'), reason); reason.focus(); return; }
    const total = picked.reduce((s, r) => s + (r.amount_fen || 0), 0);
    const ok = await confirmAction(opts.title, [['人数', `${picked.length} 人`], ['涉及金额', `${yuan(total)} 元`],
      ['学生', picked.slice(0, 10).map((r) => r.name).join('、') + (picked.length > 10 ? ` 等 ${picked.length} 人` : '')],
      reason ? ['原因', reason.value.trim()] : null], opts.note, opts.ok);
    if (!ok) return;
    const r = await api('POST', opts.path, { ids: picked.map((x) => x.id), reason: reason ? reason.value.trim() : '' });
    rerender(`${opts.done}：${r.count} 人，合计 ${yuan(r.total_fen)} 元。`);
  }));
  const pick = { h: '选择', f: (r) => { const c = el('input', { type: 'checkbox', 'aria-label': `选择 ${r.name}` }); checks.set(r.id, c); return c; } };
  return [
    rows.length ? el('p', { class: 'check' }, all, el('label', { for: all.id }, `全选（${rows.length} 人）`)) : '',
    table([pick, ...cols], rows, { caption: opts.caption, id: opts.id, empty: opts.empty,
      foot: ['合计', `${rows.length} 人`, ...cols.slice(1).map((c) => (c.sum ? yuan(rows.reduce((s, r) => s + r[c.sum], 0)) : ''))] }),
    rows.length ? el('div', { class: 'fields' }, reason ? field('原因', reason, '记入审计日志，学校可见', true) : '', el('div', { class: 'field wide' }, act, err)) : '',
  ];
}

const entitlementCols = [
  { h: '姓名', f: (e) => el('a', { href: `#/students/${e.student_id}` }, e.name) },
  { h: '学校', f: (e) => e.school_name },
  { h: '年级', f: (e) => e.grade_text },
  { h: '班级', f: (e) => e.class },
  { h: '资助项目', f: (e) => programName(e.program) },
  { h: '学期', f: (e) => termLabel(e.term) },
  { h: '档次', f: (e) => LEVEL[e.level] || '—' },
  { h: '金额（元）', num: true, sum: 'amount_fen', f: (e) => yuan(e.amount_fen) },
  { h: '状态', f: (e) => badge(ENT_STATUS, e.status) },
];

async function entitlementCard(kind, filter) {
  const k = KINDS[kind];
  const l = await api('GET', `/entitlements${qs({ ...filter, status: k.status, page_size: 200 })}`);
  return card(k.title, el('p', { class: 'lead' }, k.lead),
    l.total > l.items.length ? el('p', { class: 'info' }, `共 ${l.total} 人，仅列出前 ${l.items.length} 人：请按学校或姓名缩小范围。`) : '',
    pickRows(l.items, entitlementCols, { ...k, id: `${kind}-rows`, caption: `${ENT_STATUS[k.status][0]}的资助（${l.total} 人）`,
      empty: '没有符合条件的记录', done: kind === 'revoke' ? '已撤销' : '已登记扣回', danger: true,
      note: kind === 'revoke' ? '撤销后该生本学期该项目不再发放，记入档案和审计日志。' : '扣回记录不会再发放，由学校或县级按规定追回。' }));
}

async function adjustmentCard(filter) {
  const l = await api('GET', `/adjustments${qs({ program: filter.program, term: filter.term, status: 'draft', page_size: 200 })}`);
  const rows = l.items;
  return card('审核补发与扣回', el('p', { class: 'lead' }, '资助标准调整或认定更正产生的补发（正数）和扣回（负数），审核后补发进入下一批次。'),
    pickRows(rows, [
      { h: '姓名', f: (a) => el('a', { href: `#/students/${a.student_id}` }, a.name) },
      { h: '学校', f: (a) => a.school_name },
      { h: '资助项目', f: (a) => programName(a.program) },
      { h: '学期', f: (a) => termLabel(a.term) },
      { h: '已发放（元）', num: true, f: (a) => yuan(a.paid_fen) },
      { h: '补发或扣回（元）', num: true, sum: 'amount_fen', f: (a) => (a.amount_fen < 0 ? `扣回 ${yuan(-a.amount_fen)}` : `补发 ${yuan(a.amount_fen)}`) },
      { h: '原因', f: (a) => a.reason },
    ], { id: 'adjust-rows', caption: `待审核的补发与扣回（${l.total} 条）`, empty: '没有待审核的补发与扣回', path: '/adjustments/approve',
      title: '审核补发与扣回', button: '审核通过所选', ok: '确认审核', done: '已审核', note: '补发审核后进入下一发放批次；扣回记入档案。' }));
}

// correctionCard: 认定更正 of a paid term whose level or stage was recorded
// in error. The paid aid is not edited; the difference becomes a draft
// 补发 or 扣回 in the card below, for review like any other.
async function correctionCard(filter) {
  const l = await api('GET', `/entitlements${qs({ ...filter, status: 'paid', page_size: 200 })}`);
  if (!l.items.length) return card('认定更正', el('p', {}, '没有符合条件的已发放资助。'));
  const which = select('entitlement', l.items.map((e) => [e.id, `${e.name} · ${e.school_name} · ${programName(e.program)} · ${termLabel(e.term)} · ${LEVEL[e.level] || '无档次'} · ${STAGE[e.stage] || e.stage}`]), '');
  const level = select('level', [['', '不更正'], ...Object.entries(LEVEL)], '');
  const stage = select('stage', [['', '不更正'], ...Object.entries(STAGE)], '');
  const reason = el('textarea', { name: 'reason', id: nextID('correct-reason'), rows: '2', maxlength: '250' });
  const err = errorSlot();
  const go = el('button', { type: 'button', class: 'primary', id: 'correct-act' }, '登记更正');
  go.addEventListener('click', () => busy(go, err, async () => {
    const e = l.items.find((x) => String(x.id) === which.value);
    if (!level.value && !stage.value) throw new Error('请选择更正后的困难等级或学段。');
    if (!reason.value.trim()) { showError(err, new Error('请填写更正原因'), reason); reason.focus(); return; }
    const facts = [['学生', e.name], ['学期', termLabel(e.term)], ['原认定', `${LEVEL[e.level] || '无档次'}，${STAGE[e.stage] || e.stage}`],
      ['更正为', `${LEVEL[level.value || e.level] || '无档次'}，${STAGE[stage.value || e.stage]}`], ['原因', reason.value.trim()]];
    if (!await confirmAction('认定更正', facts, '已发放的资助不作修改，差额生成补发或扣回草稿，审核后生效。', '确认更正')) return;
    const r = await api('POST', `/entitlements/${e.id}/correct`, { level: level.value, stage: stage.value, reason: reason.value.trim() });
    const adj = r.adjustment;
    rerender(adj ? `已登记更正，生成${adj.amount_fen < 0 ? `扣回 ${yuan(-adj.amount_fen)}` : `补发 ${yuan(adj.amount_fen)}`} 元草稿，请在下方审核。` : '已登记更正，应发金额不变。');
  }));
  return card('认定更正', el('p', { class: 'lead' }, '已发放学期的困难等级或学段认定有误时登记更正（认定更正）；学年中正常变化的等级只用于以后审核的学期，不在此处理。'),
    el('div', { class: 'fields' }, field('已发放的资助', which, null, true), field('困难等级更正为', level), field('学段更正为', stage),
      field('更正原因', reason, '记入审计日志', true), el('div', { class: 'field wide' }, go, err)));
}

export async function viewCorrections(gen) {
  const program = programSelect(state.query.get('program') || '', true);
  const term = termSelect(state.query.get('term') || state.term, true);
  const school = await schoolSelect(state.query.get('school_id') || '', '全县所有学校');
  const q = input('q', { type: 'search', value: state.query.get('q') || '', placeholder: '姓名中的字或证件号后几位' });
  const err = errorSlot();
  const go = el('button', { type: 'submit', class: 'primary' }, '查询');
  const form = el('form', { class: 'fields', role: 'search' }, field('资助项目', program, null, 'span2'), field('学期', term), field('学校', school, null, 'span2'),
    field('学生', q), el('div', { class: 'field' }, go, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/corrections${qs({ program: program.value, term: term.value, school_id: school.value, q: q.value.trim() })}`;
  });
  const filter = { program: program.value, term: term.value, school_id: school.value, q: q.value.trim() };
  const cards = await Promise.all([entitlementCard('revoke', filter), entitlementCard('recover', filter), correctionCard(filter), adjustmentCard(filter)]);
  page(gen, '撤销、扣回与更正', card('查找', form), cards);
}
