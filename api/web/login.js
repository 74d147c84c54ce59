import { TOKEN_KEY, USER_KEY, state } from './state.js';
import { $, el, field, input, errorSlot, showError, busy } from './dom.js';
import { api, loadBasics } from './net.js';

export function viewLogin(gen) {
  const user = input('username', { autocomplete: 'username', required: true, id: 'username' });
  const pw = el('input', { type: 'password', name: 'password', id: 'password', autocomplete: 'current-password', required: true });
  const err = errorSlot();
  err.id = 'login-error';
  const submit = el('button', { type: 'submit', class: 'primary', id: 'login-submit' }, '登录');
  const form = el('form', { class: 'card', novalidate: true }, field('用户名', user), field('密码', pw), err, submit);
  // A field marked wrong is cleared as soon as the user types in it.
  for (const c of [user, pw]) c.addEventListener('input', () => c.removeAttribute('aria-invalid'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!user.value.trim() || !pw.value) {
      showError(err, new Error('请输入用户名和密码'), user.value.trim() ? pw : user);
      return;
    }
    busy(submit, err, async () => {
      let res;
      try {
        res = await api('POST', '/auth/login', { username: user.value.trim(), password: pw.value });
      } catch (e) {
        showError(err, e, pw);
        pw.value = '';
        pw.focus();
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, res.token);
      sessionStorage.setItem(USER_KEY, JSON.stringify(res.user));
      state.user = res.user;
      state.cache = {};
      if (!res.user.password_change_required) await loadBasics();
      location.hash = `#${state.after || '/home'}`;
      state.after = '';
    });
  });
  if (gen !== state.gen) return;
  const flash = state.flash ? el('p', { class: 'info', role: 'status' }, state.flash) : '';
  state.flash = '';
  $('#main').replaceChildren(el('section', { class: 'login' }, el('h1', {}, '登录'), flash, form));
  document.title = '登录 - 学生资助管理系统';
  user.focus();
}
