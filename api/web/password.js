// 修改密码: all a session with a one-time or admin-reset password may do
// until it sets its own (issue 15).

import { USER_KEY, state } from './state.js';
import { $, el, field, errorSlot, showError, busy, rerender } from './dom.js';
import { request, loadBasics } from './net.js';

// viewChangePassword is all a session with a one-time or admin-reset
// password may do (API.md: every other route answers 403
// password_change_required).
export function viewChangePassword(gen) {
  const attrs = (id, ac) => ({ type: 'password', id, name: id, autocomplete: ac, required: true });
  const old = el('input', attrs('old-password', 'current-password'));
  const pw = el('input', attrs('new-password', 'new-password'));
  const again = el('input', attrs('new-password-again', 'new-password'));
  const err = errorSlot();
  err.id = 'password-error';
  const submit = el('button', { type: 'submit', class: 'primary', id: 'password-submit' }, '修改密码');
  const form = el('form', { class: 'card', novalidate: true }, field('原密码（一次性密码）', old),
    field('新密码', pw, '至少 10 个字符，不能是连续或重复的字符、用户名或常见密码'), field('再输入一次新密码', again), err, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (pw.value !== again.value) {
      showError(err, new Error('两次输入的新密码不一致'), again);
      return;
    }
    busy(submit, err, async () => {
      await request('POST', '/auth/password', { old_password: old.value, new_password: pw.value });
      state.user.password_change_required = false;
      sessionStorage.setItem(USER_KEY, JSON.stringify(state.user));
      await loadBasics();
      location.hash = '#/home';
      rerender('密码已修改');
    });
  });
  if (gen !== state.gen) return;
  const note = el('p', { class: 'info', role: 'status' }, '您使用的是一次性密码或管理员重置的密码，请先设置自己的密码。');
  $('#main').replaceChildren(el('section', { class: 'login' }, el('h1', {}, '修改密码'), note, form));
  document.title = '修改密码 - 学生资助管理系统';
  old.focus();
}
