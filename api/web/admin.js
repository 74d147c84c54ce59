// The administrator's pages: users, schools and regions, and the loan
// parameters (额度、期限、利率、申请截止日期) that have no other page.

import { state } from './state.js';
import { ROLE_LABEL, SCHOOL_TYPE, yuan, parseYuan, parsePercent, percent, today, yearsAround } from './format.js';
import { el, nextID, badge, field, checkedField, select, input, errorSlot, showError, busy, table, card, facts, confirmAction, page, rerender } from './dom.js';
import { api, schoolsInScope, regions } from './net.js';

export async function viewUsers(gen) {
  const [users, rs, schools] = await Promise.all([api('GET', '/users?page_size=200'), regions(), schoolsInScope()]);
  const schoolName = (id) => (schools.find((s) => s.id === id) || { name: id }).name;
  const regionName = (c) => (rs.find((r) => r.code === c) || { name: c }).name;
  const scopeText = (u) => (u.scope.kind === 'school' ? schoolName(u.scope.school_id) : u.scope.region_code ? regionName(u.scope.region_code) : '全部');
  const rows = table([
    { h: '用户名', f: (u) => u.username }, { h: '角色', f: (u) => u.role_label }, { h: '范围', f: (u) => scopeText(u) },
    { h: '状态', f: (u) => [u.disabled ? badge({ x: ['已停用', 'bad'] }, 'x') : badge({ x: ['正常', 'ok'] }, 'x'), u.locked ? [' ', badge({ x: ['已锁定', 'warn'] }, 'x')] : ''] },
    { h: '操作', f: (u) => {
      const err = errorSlot();
      // An administrator cannot lock themself out.
      const toggle = u.id !== state.user.id && el('button', { type: 'button' }, u.disabled ? '启用' : '停用');
      if (toggle) toggle.addEventListener('click', () => busy(toggle, err, async () => {
        if (!u.disabled && !(await confirmAction('停用用户', [['用户名', u.username], ['角色', u.role_label]], '停用后该用户不能登录。', '确认停用'))) return;
        await api('PATCH', `/users/${u.id}`, { disabled: !u.disabled });
        rerender(`已${u.disabled ? '启用' : '停用'} ${u.username}。`);
      }));
      const unlock = u.locked && el('button', { type: 'button' }, '解锁');
      if (unlock) unlock.addEventListener('click', () => busy(unlock, err, async () => { await api('PATCH', `/users/${u.id}`, { unlock: true }); rerender(`已解锁 ${u.username}。`); }));
      return [el('span', { class: 'actions' }, toggle, unlock), err];
    } },
  ], users.items, { caption: `用户（${users.total}）`, id: 'users' });

  const username = input('username', { autocomplete: 'off' });
  const password = el('input', { type: 'password', name: 'password', id: nextID('password'), autocomplete: 'new-password' });
  const role = select('role', Object.entries(ROLE_LABEL), 'school_officer');
  const region = select('region_code', [['', '（无）'], ...rs.map((r) => [r.code, `${r.name}（${r.code}）`])], '');
  const school = select('school_id', [['', '（无）'], ...schools.map((s) => [s.id, `${s.name}（${s.code}）`])], '');
  const err = errorSlot();
  const save = el('button', { type: 'submit', class: 'primary' }, '新增用户');
  const form = el('form', { class: 'fields', novalidate: true }, field('用户名', username, '字母、数字、下划线，3–64 位'), field('初始密码', password, '至少 10 个字符'),
    field('角色', role), field('所属区域', region, '县级、财政填区县；审计填市或区县'), field('所属学校', school, '学校资助专干必填'), el('div', { class: 'field' }, save, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (password.value.length < 10) { showError(err, new Error('密码至少需要 10 个字符'), password); password.focus(); return; }
    showError(err, null, password);
    busy(save, err, async () => {
      const body = { username: username.value.trim(), password: password.value, role: role.value };
      if (region.value) body.region_code = region.value;
      if (school.value) body.school_id = Number(school.value);
      await api('POST', '/users', body);
      rerender(`已新增用户 ${body.username}。`);
    });
  });

  const who = select('user', users.items.map((u) => [u.id, u.username]), '');
  const newPw = el('input', { type: 'password', name: 'new_password', id: nextID('pw'), autocomplete: 'new-password' });
  const pwErr = errorSlot();
  const pwSave = el('button', { type: 'submit' }, '重置密码');
  const pwForm = el('form', { class: 'fields', novalidate: true }, field('用户', who), field('新密码', newPw, '至少 10 个字符'), el('div', { class: 'field' }, pwSave, pwErr));
  pwForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(pwSave, pwErr, async () => {
      await api('PATCH', `/users/${who.value}`, { password: newPw.value });
      rerender('密码已重置。');
    });
  });
  page(gen, '用户管理', card('用户', rows), card('新增用户', form), card('重置密码', pwForm));
}

export async function viewSchools(gen) {
  const [schools, rs] = await Promise.all([api('GET', '/schools?page_size=200'), regions()]);
  const code = input('code', { inputmode: 'numeric', maxlength: '10' });
  const name = input('name');
  const region = select('region_code', rs.filter((r) => !r.code.endsWith('00')).map((r) => [r.code, `${r.name}（${r.code}）`]), '');
  const type = select('type', Object.entries(SCHOOL_TYPE), 'primary');
  const err = errorSlot();
  const save = el('button', { type: 'submit', class: 'primary' }, '新增学校');
  const form = el('form', { class: 'fields', novalidate: true }, field('学校标识码', code, '10 位数字'), field('学校名称', name), field('所在区县', region), field('学校类型', type), el('div', { class: 'field' }, save, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!/^\d{10}$/.test(code.value.trim())) { showError(err, new Error('学校标识码须为 10 位数字'), code); code.focus(); return; }
    showError(err, null, code);
    busy(save, err, async () => {
      await api('POST', '/schools', { code: code.value.trim(), name: name.value.trim(), region_code: region.value, type: type.value });
      state.cache.schools = null;
      rerender(`已新增学校 ${name.value.trim()}。`);
    });
  });
  page(gen, '学校管理', card('新增区域', regionForm(rs)), card('学校', table([
    { h: '学校标识码', f: (s) => s.code }, { h: '名称', f: (s) => s.name }, { h: '区县', f: (s) => (rs.find((r) => r.code === s.region_code) || { name: s.region_code }).name },
    { h: '类型', f: (s) => SCHOOL_TYPE[s.type] || s.type },
  ], schools.items, { caption: `学校（${schools.total}）`, id: 'schools' })), card('新增学校', form));
}

// confirmedForm is a form whose entries are checked field by field (errors
// under each field), then confirmed in the dialog with what will be saved;
// the server's refusal appears under the button. check returns the body to
// send, or false; ask(body) gives the dialog's [title, pairs, note].
function confirmedForm(id, fields, label, check, ask, send) {
  const err = errorSlot();
  err.id = `${id}-error`;
  const save = el('button', { type: 'submit', class: 'primary', id: `${id}-submit` }, label);
  const form = el('form', { class: 'fields', novalidate: true, id }, fields.map((f) => f.node), el('div', { class: 'field' }, save, err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const f of fields) f.clear();
    showError(err, null);
    const body = check();
    if (!body) return;
    const [title, pairs, note] = ask(body);
    if (!(await confirmAction(title, pairs, note, '确认保存'))) return;
    busy(save, err, () => send(body));
  });
  return form;
}

// regionForm adds a county or city (GB/T 2260); the flag marks 连片特困地区,
// which decides the vocational grant's coverage.
function regionForm(rs) {
  const code = checkedField('区域代码', input('code', { inputmode: 'numeric', maxlength: '6', id: 'region-code' }), '6 位数字，如 430921');
  const name = checkedField('区域名称', input('name', { maxlength: '50', id: 'region-name' }));
  const parent = checkedField('上级区域', select('parent_code', [['', '（无）'], ...rs.map((r) => [r.code, `${r.name}（${r.code}）`])], ''));
  const poor = el('input', { type: 'checkbox', name: 'contiguous_hardship_area', id: 'region-poor' });
  const flag = { node: el('div', { class: 'field' }, el('span', { class: 'check' }, poor, el('label', { for: poor.id }, '连片特困地区'))), clear: () => {} };
  const nameOf = (c) => (rs.find((r) => r.code === c) || { name: '（无）' }).name;
  return [confirmedForm('region-form', [code, name, parent, flag], '新增区域', () => {
    const c = code.control.value.trim();
    if (!/^\d{6}$/.test(c)) return code.fail('区域代码须为 6 位数字（GB/T 2260）');
    if (rs.some((r) => r.code === c)) return code.fail(`区域 ${c} 已存在`);
    if (!name.control.value.trim()) return name.fail('请填写区域名称');
    if (parent.control.value === c) return parent.fail('上级区域不能是它自己');
    return { code: c, name: name.control.value.trim(), parent_code: parent.control.value || null, contiguous_hardship_area: poor.checked };
  }, (b) => ['新增区域', [['区域代码', b.code], ['区域名称', b.name], ['上级区域', nameOf(b.parent_code)], ['连片特困地区', b.contiguous_hardship_area ? '是' : '否']],
    '区域代码新增后不能修改；连片特困地区影响中职国家助学金的资助范围。'], async (b) => {
    await api('POST', '/regions', b);
    state.cache.regions = null;
    rerender(`已新增区域 ${b.name}（${b.code}）。`);
  }), table([
    { h: '区域代码', f: (r) => r.code }, { h: '名称', f: (r) => r.name }, { h: '上级', f: (r) => (r.parent_code ? nameOf(r.parent_code) : '') },
    { h: '连片特困地区', f: (r) => (r.contiguous_hardship_area ? '是' : '') },
  ], rs, { caption: `区域（${rs.length}）`, id: 'regions' })];
}

const LEVELS = [['limit_junior_college_fen', '专科（高职）'], ['limit_undergraduate_fen', '本科'], ['limit_graduate_fen', '研究生']];

// viewLoanSettings shows the loan figures and rate in force and takes new
// ones from a date; a new row supersedes from its date and loans of earlier
// school years keep theirs (so nothing here rewrites the past).
export async function viewLoanSettings(gen) {
  let now = null;
  try {
    // No date: the server's day (its clock decides what is in force).
    now = await api('GET', '/loans/limits');
  } catch (e) {
    if (e.status !== 404 && e.status !== 422) throw e;
  }
  const f = (now && now.figures) || {};
  const current = now ? facts([
    ...LEVELS.map(([k, l]) => [`${l}年度额度`, `${yuan(f[k])} 元`]),
    ['贷款期限', `学制 + ${f.term_extra_years} 年，最长 ${f.max_term_years} 年`], ['宽限期', `${f.grace_years} 年`],
    ['风险补偿金比例', percent(f.risk_fund_bp)], ['还款日', `每年 ${f.repayment_month} 月 ${f.repayment_day} 日`],
    ['执行利率', `${percent(now.rate.rate_bp)}（贷款市场报价利率 ${percent(now.rate.lpr_bp)}，加点 ${percent(now.rate.spread_bp)}）`],
    ['本学年申请截止', now.application_deadline], ['依据', [f.source, now.rate.source].filter(Boolean).join('；')],
  ]) : el('p', { class: 'empty' }, '当前没有生效的贷款参数，请先新增。');
  page(gen, '贷款参数', el('p', { class: 'lead' }, '新增的参数自生效日期起适用；已受理学年的贷款仍按原参数执行。'),
    card(now ? `${now.on} 生效的参数` : '生效的参数', el('div', { id: 'loan-limits' }, current)),
    card('新增贷款额度与期限', figuresForm(f)), card('新增贷款利率', rateForm(now && now.rate)), card('设定申请截止日期', deadlineForm()));
}

function dateField(label, id, hint) {
  return checkedField(label, el('input', { type: 'date', name: id, id, value: today() }), hint);
}
const number = (name, id, value) => input(name, { type: 'number', min: '0', step: '1', id, value: value ?? '' });
// whole reads a whole number within [lo, hi], or null.
const whole = (v, lo, hi) => (/^\d+$/.test(String(v).trim()) && Number(v) >= lo && Number(v) <= hi ? Number(v) : null);

function figuresForm(f) {
  const from = dateField('生效日期', 'figures-from');
  const limits = LEVELS.map(([k, l]) => [k, l, checkedField(`${l}年度额度（元）`, input(k, { inputmode: 'decimal', id: `figures-${k}`, value: f[k] ? (f[k] / 100).toFixed(2) : '' }), '不超过 100000.00')]);
  const extra = checkedField('期限：学制加（年）', number('term_extra_years', 'figures-extra', f.term_extra_years));
  const max = checkedField('最长期限（年）', number('max_term_years', 'figures-max', f.max_term_years), '1–30');
  const grace = checkedField('宽限期（年）', number('grace_years', 'figures-grace', f.grace_years), '0–10');
  const risk = checkedField('风险补偿金比例（%）', input('risk_fund', { inputmode: 'decimal', id: 'figures-risk', value: f.risk_fund_bp !== undefined ? (f.risk_fund_bp / 100).toFixed(2) : '' }), '如 15.00');
  const month = checkedField('还款月', number('repayment_month', 'figures-month', f.repayment_month), '1–12');
  const day = checkedField('还款日', number('repayment_day', 'figures-day', f.repayment_day), '1–28');
  const source = checkedField('文件依据', input('source', { maxlength: '200', id: 'figures-source' }), '如 财教〔2023〕5号', 'span2');
  return confirmedForm('figures-form', [from, ...limits.map((x) => x[2]), extra, max, grace, risk, month, day, source], '新增贷款参数', () => {
    if (!from.control.value) return from.fail('请选择生效日期');
    const body = { effective_from: from.control.value, source: source.control.value.trim() };
    for (const [k, l, c] of limits) {
      const fen = parseYuan(c.control.value);
      if (fen === null || fen <= 0 || fen > 100_000_00) return c.fail(`${l}年度额度须为正的金额，不超过 100000.00 元`);
      body[k] = fen;
    }
    const checks = [[extra, 'term_extra_years', 0, 30, '学制加的年数须为 0–30 的整数'], [max, 'max_term_years', 1, 30, '最长期限须为 1–30 年'],
      [grace, 'grace_years', 0, 10, '宽限期须为 0–10 年'], [month, 'repayment_month', 1, 12, '还款月须为 1–12'], [day, 'repayment_day', 1, 28, '还款日须为 1–28']];
    for (const [c, k, lo, hi, message] of checks) {
      const v = whole(c.control.value, lo, hi);
      if (v === null) return c.fail(message);
      body[k] = v;
    }
    const bp = parsePercent(risk.control.value);
    if (bp === null || bp > 10000) return risk.fail('风险补偿金比例须为 0–100 的百分数，最多两位小数');
    body.risk_fund_bp = bp;
    return body;
  }, (b) => ['新增贷款参数', [['生效日期', b.effective_from], ...LEVELS.map(([k, l]) => [`${l}年度额度`, `${yuan(b[k])} 元`]),
    ['贷款期限', `学制 + ${b.term_extra_years} 年，最长 ${b.max_term_years} 年`], ['宽限期', `${b.grace_years} 年`], ['风险补偿金比例', percent(b.risk_fund_bp)],
    ['还款日', `每年 ${b.repayment_month} 月 ${b.repayment_day} 日`]], '自生效日期起受理的贷款按新参数核定额度和期限。'], async (b) => {
    await api('POST', '/loans/figures', b);
    rerender(`已新增 ${b.effective_from} 起生效的贷款参数。`);
  });
}

function rateForm(r) {
  const from = dateField('生效日期', 'rate-from');
  const lpr = checkedField('贷款市场报价利率（%）', input('lpr', { inputmode: 'decimal', id: 'rate-lpr', value: r ? (r.lpr_bp / 100).toFixed(2) : '' }), '五年期以上，如 3.50');
  const spread = checkedField('加点（%）', input('spread', { inputmode: 'decimal', id: 'rate-spread', value: r ? (r.spread_bp / 100).toFixed(2) : '' }), '可为负数，如 -0.60');
  const source = checkedField('文件依据', input('source', { maxlength: '200', id: 'rate-source' }), '', 'span2');
  return confirmedForm('rate-form', [from, lpr, spread, source], '新增贷款利率', () => {
    if (!from.control.value) return from.fail('请选择生效日期');
    const l = parsePercent(lpr.control.value);
    if (l === null || l <= 0 || l > 2000) return lpr.fail('贷款市场报价利率须为 0–20 之间的百分数，如 3.50');
    const sp = parsePercent(spread.control.value || '0', true);
    if (sp === null) return spread.fail('加点须为百分数，最多两位小数，如 -0.60');
    if (l + sp <= 0) return spread.fail('加点后的利率须为正数');
    return { effective_from: from.control.value, lpr_bp: l, spread_bp: sp, source: source.control.value.trim() };
  }, (b) => ['新增贷款利率', [['生效日期', b.effective_from], ['贷款市场报价利率', percent(b.lpr_bp)], ['加点', percent(b.spread_bp)], ['执行利率', percent(b.lpr_bp + b.spread_bp)]],
    '财政贴息和还款计划自生效日期起按新利率计算。'], async (b) => {
    await api('POST', '/loans/rates', b);
    rerender(`已新增 ${b.effective_from} 起生效的贷款利率。`);
  });
}

function deadlineForm() {
  const years = yearsAround(state.term || `${today().slice(0, 4)}-0-1`).map((y) => [y, `${y} 学年`]);
  const year = checkedField('学年', select('school_year', years, years[0][0]));
  year.control.id = 'deadline-year';
  const day = dateField('申请截止日期', 'deadline-day', '过了这一天不再受理该学年的贷款申请');
  return confirmedForm('deadline-form', [year, day], '保存截止日期', () => {
    if (!day.control.value) return day.fail('请选择截止日期');
    return { school_year: year.control.value, deadline: day.control.value };
  }, (b) => ['设定贷款申请截止日期', [['学年', `${b.school_year} 学年`], ['截止日期', b.deadline]], '已设定的截止日期将被替换。'], async (b) => {
    await api('PUT', `/loans/deadlines/${encodeURIComponent(b.school_year)}`, { deadline: b.deadline });
    rerender(`已设定 ${b.school_year} 学年的贷款申请截止日期为 ${b.deadline}。`);
  });
}
