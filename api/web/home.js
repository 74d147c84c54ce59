import { state } from './state.js';
import { yuan, fmtTime, ROLE_LABEL, BATCH_STATUS, NOTICE, programName, termLabel, isRole, READERS } from './format.js';
import { el, badge, field, termSelect, table, card, page } from './dom.js';
import { request, api, qs, schoolsInScope, regions } from './net.js';
import { workbench } from './workbench.js';

export async function viewHome(gen) {
  const term = state.query.get('term') || state.term;
  const d = await api('GET', `/dashboard${qs({ term })}`);
  const picker = termSelect(d.term);
  picker.addEventListener('change', () => { location.hash = `#/home?term=${picker.value}`; });
  const intro = el('div', { class: 'fields' }, field('统计学期', picker));
  const attention = card('需要您处理的事项', attentionOf(d));
  const [bench, hello] = await Promise.all([
    workbench(d.term, d).catch((e) => [el('p', { class: 'error', role: 'alert' }, `待办加载失败：${e.message}`)]),
    greeting()]);
  const figs = {};
  const chartCard = (kind, title, data) => {
    figs[kind] = el('figure', { class: 'chart', id: `chart-${kind}` }, el('p', { class: 'loading' }, '正在绘制…'));
    return card(title, figs[kind], data);
  };
  const charts = el('div', { class: 'grid2' },
    chartCard('program', '各资助项目金额', barTable(d, d.by_program, '资助项目')),
    chartCard('school', '各学校金额', barTable(d, d.by_school, '学校')),
    chartCard('batches', '发放批次：已发放 / 失败 / 待发放', batchTable(d.batches)));
  if (!page(gen, hello, el('p', { class: 'lead' }, `${ROLE_LABEL[state.user.role]} · 当前学期：${termLabel(state.currentTerm)}`), bench, attention, intro, charts)) return;
  const redraw = () => Promise.all(Object.entries(figs).map(([kind, fig]) => drawChart(fig, kind, d.term)));
  // A phone turned sideways or a resized window gets charts drawn for the
  // new width; the listener goes once the user has left the page.
  let timer;
  const onResize = () => {
    if (gen !== state.gen) { window.removeEventListener('resize', onResize); return; }
    clearTimeout(timer);
    timer = setTimeout(redraw, 150);
  };
  window.addEventListener('resize', onResize);
  await redraw();
}

// HELLO is how a greeting names each role after its school or area.
const HELLO = { school_officer: '资助专干', county_officer: '学生资助管理中心', finance: '财政资金发放岗', auditor: '审计人员', admin: '系统管理员' };

// greeting names the user's school or area rather than the login name.
async function greeting() {
  const scope = state.user.scope || {};
  try {
    if (scope.kind === 'school') {
      const sc = (await schoolsInScope()).find((x) => x.id === scope.school_id);
      if (sc) return `您好，${sc.name}${HELLO.school_officer}`;
    }
    if (scope.region_code) {
      const r = (await regions()).find((x) => x.code === scope.region_code);
      if (r) return `您好，${r.name}${HELLO[state.user.role] || ''}`;
    }
  } catch (_) { /* the name is a courtesy: fall back to the role */ }
  return `您好，${HELLO[state.user.role] || ''}`;
}

// drawChart asks the server for an SVG drawn to the figure's width and puts
// it in the page (fetched with the token, so no <img> link).
export async function drawChart(fig, kind, term) {
  const width = Math.max(280, Math.floor(fig.clientWidth || 640));
  if (fig.dataset.width === String(width)) return;
  fig.dataset.width = width;
  try {
    const res = await request('GET', `/dashboard/chart.svg${qs({ kind, term, width })}`);
    const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
    fig.replaceChildren(document.importNode(doc.documentElement, true));
  } catch (e) {
    delete fig.dataset.width;
    fig.replaceChildren(el('p', { class: 'error' }, `统计图加载失败：${e.message}`));
  }
}

export function barTable(d, bars, what) {
  const cols = [{ h: what, f: (b) => b.label }, { h: '人数', num: true, f: (b) => b.count }, { h: '合计（元）', num: true, f: (b) => yuan(b.total_fen) }]
    .concat(d.phases.map((p) => ({ h: `${p.label}（元）`, num: true, f: (b) => yuan(b.phases[p.key]) })));
  return el('details', {}, el('summary', {}, '查看数据表'), table(cols, bars, { caption: `${d.term_label} 按${what}`, empty: '本学期暂无数据' }));
}

export function batchTable(batches) {
  return el('details', {}, el('summary', {}, '查看数据表'), table([
    { h: '批次号', f: (b) => b.number },
    { h: '资助项目', f: (b) => programName(b.program) },
    { h: '已发放（元）', num: true, f: (b) => `${yuan(b.paid.total_fen)}（${b.paid.count} 笔）` },
    { h: '发放失败（元）', num: true, f: (b) => `${yuan(b.failed.total_fen)}（${b.failed.count} 笔）` },
    { h: '待发放（元）', num: true, f: (b) => `${yuan(b.pending.total_fen)}（${b.pending.count} 笔）` },
  ], batches, { caption: '本学期发放批次', empty: '本学期暂无发放批次' }));
}

export function noticeText(l) {
  if (l.notice === 'notice_period') return `公示中，${fmtTime(l.notice_ends_at)} 期满`;
  if (l.notice === 'notice_over') return '公示期满，可审核';
  return '尚未公示';
}

export function attentionOf(d) {
  const out = [];
  const listRef = (l) => `#/lists${qs({ program: l.program, term: l.term, school_id: isRole('county_officer') ? l.school_id : '' })}`;
  const listCols = [
    { h: '学校', f: (l) => l.school_name },
    { h: '资助项目', f: (l) => programName(l.program) },
    { h: '学期', f: (l) => termLabel(l.term) },
  ];
  const returned = d.lists.filter((l) => l.returned.count > 0);
  const drafts = d.lists.filter((l) => l.draft.count > 0);
  const submitted = d.lists.filter((l) => l.submitted.count > 0);
  if (isRole('school_officer')) {
    if (returned.length) {
      out.push(el('h3', {}, '被县级退回、需修改后重新提交的名单'), table(listCols.concat([
        { h: '人数', num: true, f: (l) => l.returned.count },
        { h: '金额（元）', num: true, f: (l) => yuan(l.returned.total_fen) },
        { h: '操作', f: (l) => el('a', { href: listRef(l) }, '查看并修改') }]), returned, { caption: '退回的名单' }));
    }
    if (drafts.length) {
      out.push(el('h3', {}, '已计算、尚未提交的名单'), table(listCols.concat([
        { h: '人数', num: true, f: (l) => l.draft.count },
        { h: '金额（元）', num: true, f: (l) => yuan(l.draft.total_fen) },
        { h: '操作', f: (l) => el('a', { href: listRef(l) }, '核对并提交') }]), drafts, { caption: '待提交的名单' }));
    }
    if (submitted.length) {
      out.push(el('h3', {}, '已提交、等待公示和县级审核的名单'), table(listCols.concat([
        { h: '人数', num: true, f: (l) => l.submitted.count },
        { h: '金额（元）', num: true, f: (l) => yuan(l.submitted.total_fen) },
        { h: '公示', f: (l) => [badge(NOTICE, l.notice), ' ', l.notice === 'notice_not_started' ? el('a', { href: listRef(l) }, '下载公示表') : noticeText(l)] }]),
      submitted, { caption: '审核中的名单' }));
    }
  }
  if (isRole('county_officer', 'auditor', 'admin') && submitted.length) {
    out.push(el('h3', {}, '等待县级审核的学校名单'), table(listCols.concat([
      { h: '人数', num: true, f: (l) => l.submitted.count },
      { h: '金额（元）', num: true, f: (l) => yuan(l.submitted.total_fen) },
      { h: '公示', f: (l) => [badge(NOTICE, l.notice), ' ', l.notice === 'notice_period' ? `至 ${fmtTime(l.notice_ends_at)}` : ''] },
      { h: '异议', num: true, f: (l) => (l.objections ? el('span', { class: 'badge bad' }, `${l.objections} 条`) : '0') },
      { h: '操作', f: () => (isRole('county_officer') ? el('a', { href: '#/approvals' }, '去审核') : '') }]), submitted, { caption: '待审核的名单', id: 'attention-lists' }));
  }
  if (isRole('county_officer') && returned.length) {
    out.push(el('p', { class: 'info' }, `另有 ${returned.length} 份名单已退回学校，等待学校修改后重新提交。`));
  }
  if (isRole('finance', 'county_officer', 'auditor', 'admin') && d.open_batches.length) {
    out.push(el('h3', {}, '等待财政处理的发放批次'), table([
      { h: '批次号', f: (b) => el('a', { href: `#/batches/${b.id}` }, b.number) },
      { h: '资助项目', f: (b) => programName(b.program) },
      { h: '学期', f: (b) => termLabel(b.term) },
      { h: '状态', f: (b) => badge(BATCH_STATUS, b.status) },
      { h: '笔数', num: true, f: (b) => b.paid.count + b.failed.count + b.pending.count },
      { h: '金额（元）', num: true, f: (b) => yuan(b.paid.total_fen + b.failed.total_fen + b.pending.total_fen) },
    ], d.open_batches, { caption: '待审核或待登记银行结果的批次', id: 'attention-batches' }));
  }
  if (d.failed_payments.length) {
    const more = d.failed_total.count > d.failed_payments.length ? `（仅列出最近 ${d.failed_payments.length} 笔）` : '';
    out.push(el('h3', {}, `发放失败、待更正后重新发放：${d.failed_total.count} 笔，${yuan(d.failed_total.total_fen)} 元${more}`), table([
      { h: '姓名', nowrap: true, f: (f) => (isRole(...READERS) ? el('a', { href: `#/students/${f.student_id}` }, f.name) : f.name) },
      { h: '失败原因', f: (f) => f.reason },
      { h: '金额（元）', num: true, f: (f) => `${f.top_up ? '补发 ' : ''}${yuan(f.amount_fen)}` },
      { h: '学校', f: (f) => f.school_name },
      { h: '银行卡号', nowrap: true, f: (f) => f.bank_account },
      { h: '批次', f: (f) => (isRole('finance', 'county_officer', 'auditor', 'admin') ? el('a', { href: `#/batches/${f.batch_id}` }, f.number) : f.number) },
    ], d.failed_payments, { caption: '发放失败的明细', id: 'attention-failed' }));
  }
  const result = out.length ? out : [el('p', { class: 'empty', id: 'attention-none' }, '暂无需要处理的事项。')];
  if (isRole('auditor', 'county_officer')) {
    const slot = el('div', { id: 'attention-anomalies' });
    result.push(slot);
    api('GET', '/anomalies?status=open&page_size=1').then((a) => {
      if (a.total) slot.replaceChildren(el('h3', {}, '异常线索'), el('p', {}, `有 ${a.total} 条待核实的异常线索，`, el('a', { href: '#/anomalies' }, '去核实')));
    }).catch((e) => slot.replaceChildren(el('p', { class: 'error' }, `异常线索加载失败：${e.message}`)));
  }
  return result;
}
