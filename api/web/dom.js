// Building the page: DOM nodes (never innerHTML, so names from rosters
// cannot inject markup), form fields, tables and the confirm dialog.

import { state } from './state.js';
import { termLabel, termsAround } from './format.js';
import { schoolsInScope } from './net.js';

export const $ = (sel) => document.querySelector(sel);

export function el(tag, attrs, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else if (k === 'value') n.value = v;
    else if (k === 'checked') n.checked = true;
    else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? '' : String(v));
  }
  append(n, kids);
  return n;
}

export function append(n, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false || k === '') continue;
    n.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return n;
}

export let uid = 0;
export const nextID = (p) => `${p}-${++uid}`;

export function badge(map, key) {
  const [text, cls] = map[key] || [key || '—', ''];
  return el('span', { class: `badge ${cls}` }, text);
}

// field puts a visible label on every control; wide is true for a whole
// row, or 'span2' for a long select such as the programs.
export function field(label, control, hint, wide) {
  if (!control.id) control.id = nextID('f');
  const kids = [el('label', { for: control.id }, label), control];
  if (hint) {
    const h = el('small', { id: `${control.id}-hint` }, hint);
    control.setAttribute('aria-describedby', h.id);
    kids.push(h);
  }
  return el('div', { class: wide ? `field ${wide === true ? 'wide' : wide}` : 'field' }, kids);
}

export function select(name, options, value) {
  return el('select', { name, id: nextID(name) },
    options.map(([v, l]) => el('option', { value: v, selected: String(v) === String(value ?? '') }, l)));
}

export const input = (name, attrs) => el('input', { type: 'text', name, id: nextID(name), ...attrs });

export function programSelect(value, withAll) {
  const opts = state.programs.map((p) => [p.code, p.name]);
  return select('program', withAll ? [['', '全部项目'], ...opts] : opts, value);
}
export function termSelect(value, withAll) {
  const opts = termsAround(state.term).map((t) => [t, termLabel(t)]);
  return select('term', withAll ? [['', '全部学期'], ...opts] : opts, value ?? state.term);
}
export async function schoolSelect(value, firstLabel) {
  const list = await schoolsInScope();
  const opts = list.map((s) => [s.id, `${s.name}（${s.code}）`]);
  return select('school_id', firstLabel ? [['', firstLabel], ...opts] : opts, value);
}

// errorSlot is where a control's error appears, next to it and announced.
export function errorSlot() {
  return el('p', { class: 'error', role: 'alert', id: nextID('err') });
}
export function showError(slot, e, control) {
  slot.textContent = e ? e.message || String(e) : '';
  if (control) {
    if (e) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-errormessage', slot.id);
    } else control.removeAttribute('aria-invalid');
  }
}

// checkedField is a field with its own error slot under the control, for
// forms that check each entry before asking to confirm: fail(message) marks
// the control and moves the focus to it; typing in it clears the mark.
export function checkedField(label, control, hint, wide) {
  const node = field(label, control, hint, wide);
  const slot = errorSlot();
  node.append(slot);
  control.addEventListener('input', () => showError(slot, null, control));
  const fail = (message) => { showError(slot, new Error(message), control); control.focus(); return false; };
  return { node, control, fail, clear: () => showError(slot, null, control) };
}

// busy disables the button while work runs and reports errors in the slot.
export async function busy(button, slot, work) {
  button.disabled = true;
  if (slot) showError(slot, null);
  try {
    return await work();
  } catch (e) {
    if (slot) showError(slot, e);
    else throw e;
    return undefined;
  } finally {
    button.disabled = false;
  }
}

// table draws rows under column headings. A column with sort names the
// server's sort key; opts.sort ({ key, go }) makes such headings buttons that
// ask the server for the list in that order (again: the other way round).
export function table(cols, rows, opts = {}) {
  if (!rows.length) return el('p', { class: 'empty', id: opts.id }, opts.empty || '暂无数据');
  const heading = (c) => {
    if (!c.sort || !opts.sort) return c.h;
    const cur = opts.sort.key || '';
    const dir = cur === c.sort ? 'ascending' : cur === `-${c.sort}` ? 'descending' : null;
    return el('button', { type: 'button', class: 'sort', 'data-sort': c.sort, 'aria-label': `按${c.h}排序`,
      onclick: () => opts.sort.go(cur === c.sort ? `-${c.sort}` : c.sort) }, c.h, dir ? (dir === 'ascending' ? ' ▲' : ' ▼') : ' ⇅');
  };
  const sortOf = (c) => {
    if (!c.sort || !opts.sort) return null;
    const cur = opts.sort.key || '';
    return cur === c.sort ? 'ascending' : cur === `-${c.sort}` ? 'descending' : 'none';
  };
  const t = el('table', { id: opts.id, class: cols.length > 4 ? 'wide' : null },
    opts.caption && el('caption', {}, opts.caption),
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : null, 'aria-sort': sortOf(c) }, heading(c))))),
    el('tbody', {}, rows.map((r) => el('tr', {}, cols.map((c) => el('td', { class: c.num ? 'num' : c.nowrap ? 'nowrap' : null, 'data-label': c.h }, c.f(r)))))),
    opts.foot && el('tfoot', {}, el('tr', {}, opts.foot.map((v, i) => el('td', { class: cols[i] && cols[i].num ? 'num' : null, 'data-label': cols[i] && cols[i].h }, v)))));
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.caption || '数据表' }, t);
}

export function pager(total, pageNo, size, go) {
  const pages = Math.max(1, Math.ceil(total / size));
  return el('nav', { class: 'pager', 'aria-label': '分页' },
    el('button', { type: 'button', disabled: pageNo <= 1, onclick: () => go(pageNo - 1) }, '上一页'),
    el('span', {}, `第 ${pageNo} / ${pages} 页，共 ${total} 条`),
    el('button', { type: 'button', disabled: pageNo >= pages, onclick: () => go(pageNo + 1) }, '下一页'));
}

export const stat = (label, value, id) => el('li', {}, `${label}：`, el('strong', { id }, String(value)));
export const facts = (pairs) => el('dl', { class: 'facts' }, pairs.filter(Boolean).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
export const card = (title, ...kids) => {
  const id = nextID('h');
  return el('section', { class: 'card', 'aria-labelledby': id }, el('h2', { id }, title), kids);
};

// confirmAction asks before anything that moves money or cannot be undone,
// showing the totals about to be committed; Cancel has the focus.
export function confirmAction(title, pairs, note, okText) {
  const dialog = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-body').replaceChildren(facts(pairs), note ? el('p', {}, note) : '');
  $('#confirm-ok').textContent = okText || '确认';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
    $('#confirm-cancel').focus();
  });
}

// page replaces the main area unless the user has since moved on.
export function page(gen, title, ...kids) {
  if (gen !== state.gen) return false;
  const h1 = el('h1', { tabindex: '-1', id: 'page-title' }, title);
  const flash = state.flash ? el('p', { class: 'ok', role: 'status', id: 'flash' }, state.flash) : '';
  state.flash = '';
  $('#main').replaceChildren(h1, flash, ...kids.flat());
  document.title = `${title} - 学生资助管理系统`;
  h1.focus();
  return true;
}

// rerender draws the current page again after a change, with an optional
// message on top; app.js routes on this event as on any change of address.
export function rerender(message) {
  if (message) state.flash = message;
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
