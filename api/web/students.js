import { state } from './state.js';
import { yuan, fmtTime, gradeText, ENT_STATUS, LINE_STATUS, LEVEL, STAGE, ENROL_STATUS, programName, termLabel, isRole, yearsAround } from './format.js';
import { el, badge, field, select, input, schoolSelect, errorSlot, showError, busy, table, pager, facts, card, confirmAction, page, rerender } from './dom.js';
import { api, download, qs, regions } from './net.js';

export async function viewStudents(gen) {
  const q = input('q', { type: 'search', value: state.query.get('q') || '' });
  const year = select('school_year', [['', '全部学年'], ...yearsAround(state.term).map((y) => [y, `${y} 学年`])], state.query.get('school_year') || '');
  const school = isRole('school_officer') ? null : await schoolSelect(state.query.get('school_id') || '', '全部学校');
  const err = errorSlot();
  const submit = el('button', { type: 'submit', class: 'primary' }, '查询');
  const exp = el('button', { type: 'button', id: 'students-export' }, '导出Excel');
  const out = el('div', { id: 'students-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'fields', role: 'search' },
    field('姓名或身份证件号', q, '姓名中的任意字，或证件号后几位、完整号码'), field('学年', year), school && field('学校', school),
    el('div', { class: 'field' }, el('p', { class: 'actions' }, submit, exp), err));
  let sort = '';
  const filter = () => ({ q: q.value.trim(), school_year: year.value, school_id: school && school.value, sort });
  exp.addEventListener('click', () => busy(exp, err, () => download(`/students.xlsx${qs(filter())}`, '学生名单.xlsx')));
  const load = (pageNo) => busy(submit, err, async () => {
    const l = await api('GET', `/students${qs({ ...filter(), page: pageNo, page_size: 50 })}`);
    out.replaceChildren(table([
      { h: '姓名', sort: 'name', f: (s) => el('a', { href: `#/students/${s.id}` }, s.name) },
      { h: '身份证件号', f: (s) => s.id_number },
      { h: '学校', f: (s) => s.school_name },
      { h: '学年', sort: 'school_year', f: (s) => s.school_year },
      { h: '年级', sort: 'grade', f: (s) => s.grade_text },
      { h: '班级', sort: 'class', f: (s) => s.class },
      { h: '寄宿', f: (s) => (s.boarding === null ? '' : s.boarding ? '是' : '否') },
      { h: '学籍状态', f: (s) => s.status },
      { h: '困难等级', f: (s) => LEVEL[s.level] || '未认定' },
    ], l.items, { caption: '学生', empty: '没有符合条件的学生', id: 'students-table',
      sort: { key: sort, go: (k) => { sort = k; load(1); } } }), pager(l.total, l.page, l.page_size, load));
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(1); });
  if (!page(gen, '学生档案', card('查找学生', form), out)) return;
  await load(1);
}

export async function viewStudent(gen, id) {
  const [f, rs] = await Promise.all([api('GET', `/students/${id}`), regions()]);
  const home = f.home_region ? `${(rs.find((r) => r.code === f.home_region) || { name: '未登记的区县' }).name}（${f.home_region}）` : '';
  const sections = [
    card('基本信息', facts([
      ['姓名', f.name], ['证件类型', f.id_type], ['身份证件号', f.id_number], ['性别', f.sex], ['出生日期', f.birth_date || ''],
      ['户口性质', f.household], ['户籍地区', home], ['监护人', f.guardian], ['开户银行', f.bank_name],
      ['银行卡号', f.bank_account], ['持卡人', f.holder], ['联系电话', f.phone]])),
    card('学籍（按学年）', table([
      { h: '学年', f: (e) => e.school_year }, { h: '学校', f: (e) => e.school_name }, { h: '学段', f: (e) => STAGE[e.stage] || e.stage },
      { h: '年级', f: (e) => gradeText(e.stage, e.grade) }, { h: '班级', f: (e) => e.class }, { h: '学籍号', f: (e) => e.student_no },
      { h: '寄宿', f: (e) => (e.boarding === null ? '' : e.boarding ? '是' : '否') }, { h: '学籍状态', f: (e) => e.status }, { h: '备注', f: (e) => e.remark },
    ], f.enrolments, { caption: '学籍记录', empty: '暂无学籍记录' })),
    card('家庭经济困难认定', table([
      { h: '学年', f: (d) => d.school_year }, { h: '困难等级', f: (d) => d.level_label || LEVEL[d.level] || '' },
      { h: '困难类型', f: (d) => d.categories }, { h: '认定时间', f: (d) => fmtTime(d.identified_at) },
    ], f.difficulty, { caption: '认定记录', empty: '暂无认定记录' })),
    card('资助记录', table([
      { h: '学期', f: (e) => termLabel(e.term) }, { h: '资助项目', f: (e) => programName(e.program) },
      { h: '学校', f: (e) => e.school_name }, { h: '档次', f: (e) => LEVEL[e.level] || '—' },
      { h: '金额（元）', num: true, f: (e) => yuan(e.amount_fen) }, { h: '状态', f: (e) => badge(ENT_STATUS, e.status) },
      { h: '原因与提示', f: (e) => [e.reason, e.warning].filter(Boolean).join('；') },
    ], f.entitlements, { caption: '各学期应发', empty: '暂无资助记录', id: 'file-entitlements' })),
    card('发放记录', table([
      { h: '批次', f: (p) => (isRole('finance', 'county_officer', 'auditor', 'admin') ? el('a', { href: `#/batches/${p.batch_id}` }, p.batch_number) : p.batch_number) },
      { h: '学期', f: (p) => termLabel(p.term) }, { h: '资助项目', f: (p) => programName(p.program) },
      { h: '金额（元）', num: true, f: (p) => yuan(p.amount_fen) }, { h: '银行卡号', f: (p) => p.bank_account },
      { h: '结果', f: (p) => badge(LINE_STATUS, p.status) }, { h: '失败原因', f: (p) => p.fail_reason }, { h: '银行回盘', f: (p) => fmtTime(p.result_at) },
    ], f.payments, { caption: '批次发放明细', empty: '暂无发放记录', id: 'file-payments' })),
    card('变更记录', table([
      { h: '时间', f: (c) => fmtTime(c.at) }, { h: '操作人', f: (c) => c.actor }, { h: '来源', f: (c) => sourceText(c.source) },
      { h: '学年', f: (c) => c.school_year || '' }, { h: '项目', f: (c) => c.field }, { h: '原值', f: (c) => c.old }, { h: '新值', f: (c) => c.new },
    ], f.history, { caption: '变更记录', empty: '暂无变更' })),
  ];
  if (isRole('school_officer', 'county_officer')) sections.splice(1, 0, studentEditor(f));
  page(gen, `电子档案：${f.name}`, el('p', {}, el('a', { href: '#/students' }, '← 返回学生列表')), sections);
}

// sourceText names where a change came from: a roster import (by its
// number) or an officer's correction.
function sourceText(src) {
  const m = /^roster:(\d+)$/.exec(src || '');
  if (m) return `花名册导入（第 ${m[1]} 号）`;
  return { edit: '人工更正' }[src] || '其他';
}

export function studentEditor(f) {
  const years = f.enrolments.map((e) => [e.school_year, `${e.school_year} 学年`]);
  // Current values are said in the hints, not as placeholders, which look
  // filled in.
  const now = (v) => (v ? `现为：${v}；留空表示不修改` : '现未登记；留空表示不修改');
  const bankName = input('bank_name');
  const account = input('bank_account', { inputmode: 'numeric', autocomplete: 'off', id: 'edit-account' });
  const holder = select('holder', [['', '不修改'], ['本人', '本人'], ['监护人', '监护人']], '');
  const guardian = input('guardian');
  const phone = input('phone', { inputmode: 'tel' });
  const year = select('school_year', years, years.length ? years[0][0] : '');
  const status = select('status', [['', '不修改'], ...ENROL_STATUS.map((s) => [s, s])], '');
  const boarding = select('boarding', [['', '不修改'], ['true', '是'], ['false', '否']], '');
  const cls = input('class');
  const err = errorSlot();
  const accountErr = errorSlot();
  accountErr.id = 'edit-account-error';
  const accountField = field('银行卡号', account, now(f.bank_account));
  accountField.append(accountErr);
  // A card number is checked as it is typed (12–30 digits, POLICY.md), so
  // a wrong one is marked at the field before any dialog.
  const digits = () => account.value.replace(/\s/g, '');
  const checkAccount = () => {
    const bad = digits() !== '' && !/^\d{12,30}$/.test(digits());
    showError(accountErr, bad ? new Error('银行卡号须为 12–30 位数字（空格会自动去掉）') : null, account);
    return !bad;
  };
  account.addEventListener('input', () => { if (account.getAttribute('aria-invalid')) checkAccount(); });
  account.addEventListener('blur', checkAccount);
  const submit = el('button', { type: 'submit', class: 'primary' }, '保存更正');
  const form = el('form', { class: 'fields', novalidate: true },
    field('开户银行', bankName, now(f.bank_name)), accountField, field('持卡人', holder, now(f.holder)), field('监护人姓名', guardian, now(f.guardian)),
    field('联系电话', phone, now(f.phone)), field('学年（以下学籍项）', year), field('学籍状态', status), field('是否寄宿', boarding), field('班级', cls),
    el('div', { class: 'field wide' }, submit, err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!checkAccount()) { account.focus(); return; }
    const patch = {};
    const changed = [];
    const put = (key, label, value, shown) => { if (value !== '') { patch[key] = value; changed.push([label, shown ?? value]); } };
    put('bank_name', '开户银行', bankName.value.trim());
    // The dialog shows the new number in groups of four to check against
    // the card; after saving only the masked number is shown.
    put('bank_account', '新银行卡号', digits(), digits().replace(/(\d{4})(?=\d)/g, '$1 '));
    if (patch.bank_account) changed.push(['原银行卡号', f.bank_account || '未登记']);
    put('holder', '持卡人', holder.value);
    put('guardian', '监护人姓名', guardian.value.trim());
    put('phone', '联系电话', phone.value.trim());
    put('status', `${year.value} 学籍状态`, status.value);
    if (boarding.value) { patch.boarding = boarding.value === 'true'; changed.push([`${year.value} 是否寄宿`, boarding.value === 'true' ? '是' : '否']); }
    put('class', `${year.value} 班级`, cls.value.trim());
    if (!changed.length) { showError(err, new Error('没有填写要更正的内容')); return; }
    if (patch.status || patch.boarding !== undefined || patch.class) patch.school_year = year.value;
    if (!(await confirmAction(`更正 ${f.name} 的档案`, changed, '更正会记入档案变更记录和审计日志；银行卡号影响资金发放，请核对无误。', '保存'))) return;
    busy(submit, err, async () => {
      await api('PATCH', `/students/${f.id}`, patch);
      rerender('档案已更正。');
    });
  });
  return card('更正信息', el('details', {}, el('summary', {}, '更正银行卡、监护人、联系电话或学籍信息'), form));
}
