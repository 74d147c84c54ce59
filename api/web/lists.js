import { state } from './state.js';
import { yuan, fmtTime, ENT_STATUS, LEVEL, programName, termLabel, isRole, READERS } from './format.js';
import { el, badge, field, input, select, rerender, programSelect, termSelect, schoolSelect, errorSlot, showError, busy, table, pager, stat, card, confirmAction, page } from './dom.js';
import { api, download, qs, schoolsInScope } from './net.js';
import { quotaText } from './workbench.js';

// FIRST_PROGRAM is the program a school of each type starts on: a
// vocational school never sees the boarding subsidy first.
const FIRST_PROGRAM = { vocational: 'vocational_grant', senior: 'senior_grant' };

async function defaultProgram() {
  if (!isRole('school_officer')) return 'boarding';
  const sc = (await schoolsInScope()).find((x) => x.id === state.user.scope.school_id);
  return (sc && FIRST_PROGRAM[sc.type]) || 'boarding';
}

// heldOnList are the students of a list not yet approved whose bank
// account would hold their aid back, so the school hears of it now rather
// than when finance runs the batch. school narrows to one school's name
// (null: the user's own scope).
async function heldOnList(program, term, school) {
  const w = await api('GET', `/workbench${qs({ term })}`);
  const held = w.held.filter((h) => h.program === program && h.term === term && h.status !== 'approved' && (!school || h.school_name === school));
  held.quota = w.progress.find((p) => p.program === program && (!school || p.school_name === school));
  return held;
}

function bankWarning(held) {
  return el('div', { class: 'warn-box', id: 'bank-warning', role: 'alert' },
    el('p', {}, `注意：${held.length} 名学生的银行账户有问题，审核后将暂缓发放。请在学生档案的“更正信息”中补录或更正：`),
    el('ul', {}, held.map((h) => el('li', {}, el('a', { href: `#/students/${h.student_id}` }, h.name), `（${h.school_name} ${h.grade_text}${h.class}）：${h.reason}`))));
}

export async function viewLists(gen) {
  const program = programSelect(state.query.get('program') || await defaultProgram());
  program.id = 'list-program';
  const term = termSelect(state.query.get('term') || state.term);
  term.id = 'list-term';
  const county = isRole('county_officer');
  const school = county ? await schoolSelect(state.query.get('school_id') || '', '全县所有学校（仅计算）') : null;
  const schoolID = () => (county ? Number(school.value) || 0 : state.user.scope.school_id);
  const err = errorSlot();
  err.id = 'list-error';
  const calc = el('button', { type: 'button', class: 'primary', id: 'list-calculate' }, '计算名单');
  const submit = !county && el('button', { type: 'button', id: 'list-submit' }, '提交名单');
  const notice = el('button', { type: 'button', id: 'list-notice' }, '下载公示表');
  const msg = el('p', { class: 'ok', role: 'status', id: 'list-message' });
  const calcBox = el('div', { id: 'calc-result' });
  const listBox = el('div', { id: 'list-table', 'aria-live': 'polite' });

  // The list's own search, order and export: what is on screen is what the
  // 导出Excel button writes, every page, with the 合计 of the whole list.
  const search = input('q', { type: 'search', placeholder: '姓名中的字或证件号后几位', 'aria-label': '在名单中查找' });
  const exp = el('button', { type: 'button', id: 'list-export' }, '导出Excel');
  let sort = '';
  const filter = () => ({ program: program.value, term: term.value, school_id: schoolID() || '', q: search.value.trim(), sort });
  exp.addEventListener('click', () => busy(exp, err, () => download(`/entitlements.xlsx${qs(filter())}`, '资助名单.xlsx')));
  search.addEventListener('search', () => loadList().catch((e) => showError(err, e)));
  search.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); loadList().catch((e) => showError(err, e)); } });
  const toolbar = el('div', { class: 'toolbar' }, search, exp);
  const loadList = async (pageNo = 1) => {
    const l = await api('GET', `/entitlements${qs({ ...filter(), page: pageNo, page_size: 100 })}`);
    listBox.replaceChildren(toolbar, table([
      { h: '姓名', sort: 'name', f: (e) => (isRole(...READERS) ? el('a', { href: `#/students/${e.student_id}` }, e.name) : e.name) },
      { h: '身份证件号', f: (e) => e.id_number },
      { h: '学校', sort: 'school', f: (e) => e.school_name },
      { h: '年级', sort: 'grade', f: (e) => e.grade_text },
      { h: '班级', f: (e) => e.class },
      { h: '档次', sort: 'level', f: (e) => LEVEL[e.level] || '—' },
      { h: '金额（元）', num: true, sort: 'amount', f: (e) => yuan(e.amount_fen) },
      { h: '状态', sort: 'status', f: (e) => badge(ENT_STATUS, e.status) },
      { h: '原因与提示', f: (e) => [e.reason, e.warning].filter(Boolean).join('；') },
      { h: '异议', num: true, f: (e) => e.objections || '' },
    ], l.items, {
      caption: `${programName(program.value)} · ${termLabel(term.value)} 名单（共 ${l.total} 人）`, id: 'entitlements',
      empty: search.value.trim() ? '名单中没有找到该学生。' : '尚无名单：请先上传花名册，再点“计算名单”。',
      sort: { key: sort, go: (k) => { sort = k; loadList().catch((e) => showError(err, e)); } },
      foot: ['合计', `${l.total} 人`, '', '', '', '', yuan(l.total_fen), '', '', ''],
    }),
    pager(l.total, l.page, l.page_size, (p) => loadList(p).catch((e) => showError(err, e))));
  };

  calc.addEventListener('click', () => busy(calc, err, async () => {
    msg.textContent = '';
    const r = await api('POST', '/entitlements/calculate', { program: program.value, term: term.value, school_id: schoolID() });
    calcBox.replaceChildren(card('计算结果',
      el('ul', { class: 'stats' }, stat('名单人数', r.count, 'calc-count'), stat('金额合计（元）', yuan(r.total_fen), 'calc-total'),
        stat('新增', r.created), stat('更新', r.updated), stat('未变', r.unchanged), stat('移除', r.removed)),
      // A long list of ineligible pupils stays folded so the list itself
      // is not pushed a screen down.
      el('details', { open: r.ineligible.length <= 10 }, el('summary', {}, `不符合条件的学生（${r.ineligible.length} 人）`),
        table([{ h: '姓名', f: (i) => i.name }, { h: '不符合条件的原因', f: (i) => i.reason }], r.ineligible,
          { caption: `不符合条件的学生（${r.ineligible.length} 人）`, empty: r.count ? '所有学生均符合条件。' : '本校尚无该学年的学生：请先上传花名册。', id: 'ineligible' }))));
    const held = await heldOnList(program.value, term.value, null);
    if (held.length) calcBox.firstChild.append(bankWarning(held));
    msg.textContent = r.created + r.updated + r.removed > 0 || r.count === 0
      ? `计算完成：名单 ${r.count} 人，合计 ${yuan(r.total_fen)} 元。请核对后提交。`
      : `计算完成：名单 ${r.count} 人，合计 ${yuan(r.total_fen)} 元，与上次相同；已提交或已审核的记录不受重新计算影响。`;
    await loadList();
  }));

  if (submit) {
    submit.addEventListener('click', () => busy(submit, err, async () => {
      msg.textContent = '';
      // The totals come from the server's own count of what submit will move.
      const d = await api('GET', '/dashboard');
      const l = d.lists.find((x) => x.program === program.value && x.term === term.value && x.school_id === schoolID());
      const count = l ? l.draft.count + l.returned.count : 0;
      if (!count) throw new Error('没有待提交的名单：请先计算名单（已提交或已审核的不能重复提交）。');
      const total = l.draft.total_fen + l.returned.total_fen;
      const held = await heldOnList(program.value, term.value, l.school_name);
      const ok = await confirmAction('提交资助名单', [
        ['学校', l.school_name], ['资助项目', programName(l.program)], ['学期', termLabel(l.term)],
        ['人数', `${count} 人`], ['金额合计', `${yuan(total)} 元`],
        held.length ? ['银行账户', `${held.length} 人有问题：${held.map((h) => `${h.name}（${h.grade_text}${h.class}）`).join('、')}`] : null,
        held.quota && (held.quota.max_count != null || held.quota.budget_fen != null) ? ['指标', quotaText(held.quota)] : null],
      held.length ? '以上学生审核后将暂缓发放，请先在学生档案中补录或更正银行卡号。提交后请下载公示表张贴公示。' : '提交后请下载公示表张贴公示；公示期满后由县级资助中心审核。', '确认提交');
      if (!ok) return;
      const r = await api('POST', '/entitlements/submit', { program: program.value, term: term.value, school_id: schoolID() });
      msg.textContent = `已提交 ${r.count} 人，合计 ${yuan(r.total_fen)} 元。请下载公示表张贴公示。`;
      await Promise.all([loadList(), loadObjection()]);
    }));
  }

  notice.addEventListener('click', () => busy(notice, err, async () => {
    msg.textContent = '';
    if (!schoolID()) throw new Error('请先选择学校。');
    const res = await download(`/notices${qs({ program: program.value, term: term.value, school_id: schoolID() })}`, '公示表.xlsx');
    const ends = res.headers.get('X-Notice-Ends-At');
    msg.textContent = `公示表已下载。${ends ? `公示期至 ${fmtTime(ends)}，期满后县级方可审核。` : ''}`;
  }));

  for (const c of [program, term, school]) if (c) c.addEventListener('change', () => loadList().catch((e) => showError(err, e)));
  const form = el('div', { class: 'fields' }, field('资助项目', program, null, 'span2'), field('学期', term), school && field('学校', school, null, 'span2'),
    el('div', { class: 'field wide' }, el('p', { class: 'actions' }, calc, submit, notice), err, msg));
  const objBox = el('div', { id: 'objection-box' });
  const loadObjection = () => objectionForm(objBox, program.value, term.value, schoolID()).catch((e) => showError(err, e));
  for (const c of [program, term, school]) if (c) c.addEventListener('change', loadObjection);
  if (!page(gen, '资助名单', card('名单', form), calcBox, listBox, objBox)) return;
  await Promise.all([loadList(), loadObjection()]);
}

// objectionForm records a 公示 objection against a pupil of a submitted
// list (someone at the school or in the village says the family does not
// qualify); the county sees the count when it approves.
async function objectionForm(box, program, term, schoolID) {
  box.replaceChildren();
  if (!schoolID) return;
  const l = await api('GET', `/entitlements${qs({ program, term, school_id: schoolID, status: 'submitted', page_size: 200 })}`);
  if (!l.items.length) return;
  const who = select('student_id', l.items.map((e) => [e.student_id, `${e.name}（${e.grade_text}${e.class}）`]), '');
  who.id = 'objection-student';
  const content = el('textarea', { name: 'content', id: 'objection-content', rows: '3', maxlength: '500' });
  const err = errorSlot();
  const save = el('button', { type: 'submit', id: 'objection-save' }, '登记异议');
  const form = el('form', { class: 'fields', novalidate: true }, field('学生', who, null, 'span2'),
    field('异议内容', content, '反映人、反映的情况和核实安排；不要填写身份证件号、银行卡号', true), el('div', { class: 'field wide' }, save, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!content.value.trim()) { showError(err, new Error('请填写异议内容'), content); content.focus(); return; }
    showError(err, null, content);
    busy(save, err, async () => {
      await api('POST', '/notices/objections', { program, term, school_id: schoolID, student_id: Number(who.value), content: content.value.trim() });
      rerender(`已登记对 ${who.selectedOptions[0].textContent} 的公示异议。`);
    });
  });
  box.append(card('登记公示异议', el('p', { class: 'lead' }, '公示期间收到的异议逐条登记，县级审核时可见；核实后不符合条件的由县级退回。'), form));
}
