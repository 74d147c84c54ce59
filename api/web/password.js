// 修改密码: all a session with a one-time or admin-reset password may do
// until it sets its own (issue 15), and a page any user may open from the
// header to change their own.

import { USER_KEY, state } from './state.js';
import { $, el, field, errorSlot, showError, busy, rerender, page } from './dom.js';
import { request, loadBasics } from './net.js';

// passwordForm asks for the old password and the new one twice; done runs
// once the server has taken it (the other sessions of the user are ended,
// this one stays).
function passwordForm(oldLabel, done) {
  const attrs = (id, ac) => ({ type: 'password', id, name: id, autocomplete: ac, required: true });
  const old = el('input', attrs('old-password', 'current-password'));
  const pw = el('input', attrs('new-password', 'new-password'));
  const again = el('input', attrs('new-password-again', 'new-password'));
  const err = errorSlot();
  err.id = 'password-error';
  const submit = el('button', { type: 'submit', class: 'primary', id: 'password-submit' }, '修改密码');
  const form = el('form', { class: 'card', novalidate: true }, field(oldLabel, old),
    field('新密码', pw, '至少 10 个字符，不能是连续或重复的字符、用户名或常见密码'), field('再输入一次新密码', again), err, submit);
  for (const c of [old, pw, again]) c.addEventListener('input', () => c.removeAttribute('aria-invalid'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (pw.value !== again.value) {
      showError(err, new Error('两次输入的新密码不一致'), again);
      return;
    }
    busy(submit, err, async () => {
      try {
        await request('POST', '/auth/password', { old_password: old.value, new_password: pw.value });
      } catch (e) {
        // The error is shown at the field it is about.
        showError(err, e, e.code === 'wrong_password' ? old : pw);
        return;
      }
      await done();
    });
  });
  return { form, old };
}

// viewChangePassword is all a session with a one-time or admin-reset
// password may do (API.md: every other route answers 403
// password_change_required).
export function viewChangePassword(gen) {
  const { form, old } = passwordForm('原密码（一次性密码）', async () => {
    state.user.password_change_required = false;
    sessionStorage.setItem(USER_KEY, JSON.stringify(state.user));
    await loadBasics();
    location.hash = '#/home';
    rerender('密码已修改');
  });
  if (gen !== state.gen) return;
  const note = el('p', { class: 'info', role: 'status' }, '您使用的是一次性密码或管理员重置的密码，请先设置自己的密码。');
  $('#main').replaceChildren(el('section', { class: 'login' }, el('h1', {}, '修改密码'), note, form));
  document.title = '修改密码 - 学生资助管理系统';
  old.focus();
}

// viewPassword is the 修改密码 page any user opens from the header.
export function viewPassword(gen) {
  const { form, old } = passwordForm('原密码', async () => {
    state.flash = '密码已修改，下次登录请使用新密码。';
    location.hash = '#/home';
  });
  form.classList.add('narrow');
  if (page(gen, '修改密码', el('p', { class: 'lead' }, '修改后，您在其他浏览器或电脑上的登录将失效。'), form)) old.focus();
}
