import { state } from './state.js';
import { ROLE_LABEL, SCHOOL_TYPE } from './format.js';
import { el, nextID, badge, field, select, input, errorSlot, showError, busy, table, card, confirmAction, page, rerender } from './dom.js';
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
  page(gen, '学校管理', card('学校', table([
    { h: '学校标识码', f: (s) => s.code }, { h: '名称', f: (s) => s.name }, { h: '区县', f: (s) => (rs.find((r) => r.code === s.region_code) || { name: s.region_code }).name },
    { h: '类型', f: (s) => SCHOOL_TYPE[s.type] || s.type },
  ], schools.items, { caption: `学校（${schools.total}）`, id: 'schools' })), card('新增学校', form));
}
