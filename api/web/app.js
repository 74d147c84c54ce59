// 学生资助管理系统: the browser page. Plain JavaScript with no build step and
// no libraries, embedded in the server binary for intranets without internet.
// Everything it shows comes from /api/v1 with the user's token, so the API's
// scope rules alone decide what a user can see. Text is built with DOM
// nodes, never innerHTML, so names from rosters cannot inject markup.
'use strict';

const TOKEN_KEY = 'studentaid.token';
const USER_KEY = 'studentaid.user';

const state = { user: null, programs: [], term: '', currentTerm: '', now: '', gen: 0, flash: '', query: new URLSearchParams(), cache: {} };

/* ---------- DOM and formatting ---------- */

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...kids) {
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

function append(n, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false || k === '') continue;
    n.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return n;
}

let uid = 0;
const nextID = (p) => `${p}-${++uid}`;

// yuan shows integer fen as yuan with two decimals and thousands separators;
// no floating point touches the amount.
function yuan(fen) {
  if (fen === null || fen === undefined) return '';
  const neg = fen < 0;
  const abs = Math.abs(fen);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + whole + '.' + String(abs % 100).padStart(2, '0');
}

// parseYuan reads "1,250.5" into fen exactly, or returns null.
function parseYuan(s) {
  const m = String(s).trim().replace(/,/g, '').match(/^(\d{1,13})(?:\.(\d{1,2}))?$/);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

const shanghai = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

function parts(iso) {
  return Object.fromEntries(shanghai.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
}
function fmtTime(iso) {
  if (!iso) return '';
  const p = parts(iso);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
function fmtDate(iso) {
  if (!iso) return '';
  const p = parts(iso);
  return `${p.year}-${p.month}-${p.day}`;
}

const ROLE_LABEL = { admin: '系统管理员', county_officer: '县级资助中心', school_officer: '学校资助专干', finance: '财政（资金发放）', auditor: '审计' };
const ENT_STATUS = { draft: ['草稿', ''], submitted: ['已提交', 'info'], returned: ['已退回', 'bad'], approved: ['已审核', 'ok'], batched: ['已纳入批次', 'info'], paid: ['已发放', 'ok'], revoked: ['已撤销', 'bad'] };
const BATCH_STATUS = { generated: ['已生成，待财政审核', 'warn'], approved: ['已审核，待银行结果', 'info'], paid: ['已发放', 'ok'], partially_paid: ['部分发放', 'bad'], failed: ['全部失败', 'bad'] };
const LINE_STATUS = { pending: ['待发放', ''], paid: ['已发放', 'ok'], failed: ['发放失败', 'bad'] };
const NOTICE = { notice_not_started: ['未公示', 'warn'], notice_period: ['公示中', 'info'], notice_over: ['公示期满', 'ok'] };
const LEVEL = { special: '特别困难', hard: '困难', general: '一般困难' };
const STAGE = { primary: '小学', junior: '初中', senior: '普通高中', vocational: '中职' };
const SCHOOL_TYPE = { primary: '小学', junior: '初中', nine_year: '九年一贯制学校', senior: '普通高中', complete_secondary: '完全中学', vocational: '中等职业学校' };
const RUN_STATUS = { running: ['运行中', 'info'], succeeded: ['成功', 'ok'], failed: ['失败', 'bad'], skipped: ['已跳过', ''] };
const ENROL_STATUS = ['在读', '休学', '转出', '毕业', '辍学', '死亡'];

function badge(map, key) {
  const [text, cls] = map[key] || [key || '—', ''];
  return el('span', { class: `badge ${cls}` }, text);
}
const programName = (code) => (state.programs.find((p) => p.code === code) || { name: code }).name;
const termLabel = (t) => (t ? `${t.slice(0, 9)}学年${t.endsWith('-1') ? '第一学期（秋季）' : '第二学期（春季）'}` : '');
const isRole = (...roles) => state.user && roles.includes(state.user.role);

// termsAround lists the current term, the next one and three before it.
function termsAround(t) {
  const i = Number(t.slice(0, 4)) * 2 + Number(t.slice(10)) - 1;
  const mk = (n) => { const y = Math.floor(n / 2); return `${y}-${y + 1}-${(n % 2) + 1}`; };
  return [mk(i), mk(i + 1), mk(i - 1), mk(i - 2), mk(i - 3)];
}
function yearsAround(t) {
  const y = Number(t.slice(0, 4));
  return [y, y + 1, y - 1, y - 2].map((v) => `${v}-${v + 1}`);
}

/* ---------- talking to the API ---------- */

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function authHeaders() {
  const tok = sessionStorage.getItem(TOKEN_KEY);
  return tok ? { Authorization: `Bearer ${tok}` } : {};
}

async function apiError(res) {
  let code = `http_${res.status}`;
  let message = `请求失败（${res.status}）`;
  let details;
  try {
    const j = await res.json();
    if (j && j.error) ({ code, message, details } = j.error);
  } catch (_) { /* not JSON: keep the status message */ }
  return new ApiError(res.status, code, message, details);
}

async function request(method, path, body) {
  const headers = authHeaders();
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: payload });
  } catch (_) {
    throw new ApiError(0, 'network', '无法连接服务器，请检查网络后重试');
  }
  if (res.status === 401 && path !== '/auth/login') expire();
  if (!res.ok) throw await apiError(res);
  return res;
}

async function api(method, path, body) {
  return (await request(method, path, body)).json();
}

// download fetches a file with the token (a plain link would carry none)
// and saves it under the server's file name.
async function download(path, fallbackName) {
  const res = await request('GET', path);
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') || '';
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i);
  const name = m ? decodeURIComponent(m[1]) : fallbackName;
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return res;
}

// upload posts a form with XMLHttpRequest, which (unlike fetch) reports how
// much of a large file has been sent.
function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, 'network', '上传失败：无法连接服务器'));
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* keep null */ }
      if (xhr.status === 401) expire();
      resolve({ status: xhr.status, body });
    };
    xhr.send(form);
  });
}

function errorOf(status, body) {
  const e = (body && body.error) || {};
  return new ApiError(status, e.code || `http_${status}`, e.message || `请求失败（${status}）`, e.details);
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function cached(key, load) {
  if (!state.cache[key]) state.cache[key] = await load();
  return state.cache[key];
}
const schoolsInScope = () => cached('schools', async () => (await api('GET', '/schools?page_size=200')).items);
const regions = () => cached('regions', async () => (await api('GET', '/regions')).items);

/* ---------- building blocks ---------- */

// field puts a visible label on every control; wide is true for a whole
// row, or 'span2' for a long select such as the programs.
function field(label, control, hint, wide) {
  if (!control.id) control.id = nextID('f');
  const kids = [el('label', { for: control.id }, label), control];
  if (hint) {
    const h = el('small', { id: `${control.id}-hint` }, hint);
    control.setAttribute('aria-describedby', h.id);
    kids.push(h);
  }
  return el('div', { class: wide ? `field ${wide === true ? 'wide' : wide}` : 'field' }, kids);
}

function select(name, options, value) {
  return el('select', { name, id: nextID(name) },
    options.map(([v, l]) => el('option', { value: v, selected: String(v) === String(value ?? '') }, l)));
}

const input = (name, attrs) => el('input', { type: 'text', name, id: nextID(name), ...attrs });

function programSelect(value, withAll) {
  const opts = state.programs.map((p) => [p.code, p.name]);
  return select('program', withAll ? [['', '全部项目'], ...opts] : opts, value);
}
function termSelect(value, withAll) {
  const opts = termsAround(state.term).map((t) => [t, termLabel(t)]);
  return select('term', withAll ? [['', '全部学期'], ...opts] : opts, value ?? state.term);
}
async function schoolSelect(value, firstLabel) {
  const list = await schoolsInScope();
  const opts = list.map((s) => [s.id, `${s.name}（${s.code}）`]);
  return select('school_id', firstLabel ? [['', firstLabel], ...opts] : opts, value);
}

// errorSlot is where a control's error appears, next to it and announced.
function errorSlot() {
  return el('p', { class: 'error', role: 'alert', id: nextID('err') });
}
function showError(slot, e, control) {
  slot.textContent = e ? e.message || String(e) : '';
  if (control) {
    if (e) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-errormessage', slot.id);
    } else control.removeAttribute('aria-invalid');
  }
}

// busy disables the button while work runs and reports errors in the slot.
async function busy(button, slot, work) {
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

function table(cols, rows, opts = {}) {
  if (!rows.length) return el('p', { class: 'empty', id: opts.id }, opts.empty || '暂无数据');
  const t = el('table', { id: opts.id, class: cols.length > 5 ? 'wide' : null },
    opts.caption && el('caption', {}, opts.caption),
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : null }, c.h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, cols.map((c) => el('td', { class: c.num ? 'num' : c.nowrap ? 'nowrap' : null, 'data-label': c.h }, c.f(r)))))),
    opts.foot && el('tfoot', {}, el('tr', {}, opts.foot.map((v, i) => el('td', { class: cols[i] && cols[i].num ? 'num' : null, 'data-label': cols[i] && cols[i].h }, v)))));
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.caption || '数据表' }, t);
}

function pager(total, pageNo, size, go) {
  const pages = Math.max(1, Math.ceil(total / size));
  return el('nav', { class: 'pager', 'aria-label': '分页' },
    el('button', { type: 'button', disabled: pageNo <= 1, onclick: () => go(pageNo - 1) }, '上一页'),
    el('span', {}, `第 ${pageNo} / ${pages} 页，共 ${total} 条`),
    el('button', { type: 'button', disabled: pageNo >= pages, onclick: () => go(pageNo + 1) }, '下一页'));
}

const stat = (label, value, id) => el('li', {}, `${label}：`, el('strong', { id }, String(value)));
const facts = (pairs) => el('dl', { class: 'facts' }, pairs.filter(Boolean).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
const card = (title, ...kids) => {
  const id = nextID('h');
  return el('section', { class: 'card', 'aria-labelledby': id }, el('h2', { id }, title), kids);
};

// confirmAction asks before anything that moves money or cannot be undone,
// showing the totals about to be committed; Cancel has the focus.
function confirmAction(title, pairs, note, okText) {
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

/* ---------- session, navigation and pages ---------- */

// expire ends the session in this tab; the message is for the login page,
// and only the first of several failing requests sets it.
function expire(message = '登录已过期，请重新登录') {
  if (state.user) state.flash = message;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  state.user = null;
  state.cache = {};
  if (location.hash !== '#/login') location.hash = '#/login';
}

async function loadBasics() {
  const [programs, dash] = await Promise.all([api('GET', '/programs'), api('GET', '/dashboard')]);
  state.programs = programs.items;
  // Pages default to the latest term with data; the lead names the one in progress.
  state.term = dash.term;
  state.currentTerm = dash.current_term;
  state.now = dash.now;
  return dash;
}

const ALL = ['admin', 'county_officer', 'school_officer', 'finance', 'auditor'];
const READERS = ['school_officer', 'county_officer', 'auditor', 'admin'];
const FILE_READERS = ['school_officer', 'county_officer', 'auditor'];
const ROUTES = [
  { path: '/home', title: '首页', roles: ALL, view: viewHome },
  { path: '/approvals', title: '名单审核', roles: ['county_officer'], view: viewApprovals },
  { path: '/lists', title: '资助名单', roles: ['school_officer', 'county_officer'], view: viewLists },
  { path: '/rosters', title: '花名册', roles: ['school_officer', 'county_officer'], view: viewRosters },
  // Not the admin: no child's file for the system administrator (DESIGN.md).
  { path: '/students', title: '学生档案', roles: FILE_READERS, view: viewStudents },
  { re: /^\/students\/(\d+)$/, title: '电子档案', roles: FILE_READERS, view: viewStudent },
  { path: '/quotas', title: '资助指标', roles: ['county_officer'], view: viewQuotas },
  { path: '/standards', title: '资助标准', roles: READERS, view: viewStandards },
  { path: '/batches', title: '发放批次', roles: ['finance', 'county_officer', 'auditor'], view: viewBatches },
  { re: /^\/batches\/(\d+)$/, title: '批次详情', roles: ['finance', 'county_officer', 'auditor'], view: viewBatch },
  { path: '/jobs', title: '定时任务', roles: ['admin', 'finance'], view: viewJobs },
  { path: '/audit', title: '审计日志', roles: ['auditor', 'admin'], view: viewAudit },
  { path: '/anomalies', title: '异常情况', roles: ['auditor', 'county_officer'], view: viewAnomalies },
  { path: '/reports', title: '汇总报表', roles: ['auditor', 'county_officer', 'finance'], view: viewReports },
  { path: '/users', title: '用户管理', roles: ['admin'], view: viewUsers },
  { path: '/schools', title: '学校管理', roles: ['admin'], view: viewSchools },
];

function renderChrome(current) {
  const nav = $('#nav');
  const who = $('#who');
  if (!state.user) {
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  nav.replaceChildren(el('ul', {}, ROUTES.filter((r) => r.path && r.roles.includes(state.user.role)).map((r) =>
    el('li', {}, el('a', { href: `#${r.path}`, 'aria-current': current && (current.path === r.path || (current.re && current.parent === r.path)) ? 'page' : null }, r.title)))));
  who.replaceChildren(
    el('span', { id: 'who-name' }, `${state.user.username}（${ROLE_LABEL[state.user.role] || state.user.role}）`),
    el('button', { type: 'button', id: 'logout', onclick: logout }, '退出'));
}

async function logout() {
  try { await request('POST', '/auth/logout'); } catch (_) { /* leaving anyway */ }
  expire('您已退出登录');
}

// page replaces the main area unless the user has since moved on.
function page(gen, title, ...kids) {
  if (gen !== state.gen) return false;
  const h1 = el('h1', { tabindex: '-1', id: 'page-title' }, title);
  const flash = state.flash ? el('p', { class: 'ok', role: 'status', id: 'flash' }, state.flash) : '';
  state.flash = '';
  $('#main').replaceChildren(h1, flash, ...kids.flat());
  document.title = `${title} - 学生资助管理系统`;
  h1.focus();
  return true;
}

async function route() {
  const raw = location.hash.replace(/^#/, '') || '/home';
  if (!raw.startsWith('/')) return; // an in-page anchor
  const [path, query] = raw.split('?');
  state.query = new URLSearchParams(query || '');
  const gen = ++state.gen;
  if (!state.user) {
    renderChrome(null);
    if (path !== '/login') location.replace('#/login');
    else viewLogin(gen);
    return;
  }
  if (path === '/login') {
    location.replace('#/home');
    return;
  }
  if (state.user.password_change_required) {
    renderChrome(null);
    viewChangePassword(gen);
    return;
  }
  let match = null;
  let params = [];
  for (const r of ROUTES) {
    const m = r.re ? path.match(r.re) : path === r.path && [path];
    if (m) { match = r; params = m.slice(1); break; }
  }
  if (match && match.re) match.parent = `/${path.split('/')[1]}`;
  renderChrome(match);
  if (!match || !match.roles.includes(state.user.role)) {
    page(gen, '没有这个页面', el('p', {}, '该页面不存在，或您的角色无权访问。', el('a', { href: '#/home' }, '返回首页')));
    return;
  }
  try {
    await match.view(gen, ...params);
  } catch (e) {
    if (e.code === 'unauthorized' || e.status === 401) return;
    page(gen, match.title, el('p', { class: 'error', role: 'alert' }, e.message));
  }
}

function rerender(message) {
  if (message) state.flash = message;
  route();
}

/* ---------- login ---------- */

function viewLogin(gen) {
  const user = input('username', { autocomplete: 'username', required: true, id: 'username' });
  const pw = el('input', { type: 'password', name: 'password', id: 'password', autocomplete: 'current-password', required: true });
  const err = errorSlot();
  err.id = 'login-error';
  const submit = el('button', { type: 'submit', class: 'primary', id: 'login-submit' }, '登录');
  const form = el('form', { class: 'card', novalidate: true }, field('用户名', user), field('密码', pw), err, submit);
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
      location.hash = '#/home';
    });
  });
  if (gen !== state.gen) return;
  const flash = state.flash ? el('p', { class: 'info', role: 'status' }, state.flash) : '';
  state.flash = '';
  $('#main').replaceChildren(el('section', { class: 'login' }, el('h1', {}, '登录'), flash, form));
  document.title = '登录 - 学生资助管理系统';
  user.focus();
}

// viewChangePassword is all a session with a one-time or admin-reset
// password may do (API.md: every other route answers 403
// password_change_required).
function viewChangePassword(gen) {
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
      state.flash = '密码已修改';
      location.hash = '#/home';
      route();
    });
  });
  if (gen !== state.gen) return;
  const note = el('p', { class: 'info', role: 'status' }, '您使用的是一次性密码或管理员重置的密码，请先设置自己的密码。');
  $('#main').replaceChildren(el('section', { class: 'login' }, el('h1', {}, '修改密码'), note, form));
  document.title = '修改密码 - 学生资助管理系统';
  old.focus();
}

/* ---------- home ---------- */

async function viewHome(gen) {
  const term = state.query.get('term') || state.term;
  const d = await api('GET', `/dashboard${qs({ term })}`);
  const picker = termSelect(d.term);
  picker.addEventListener('change', () => { location.hash = `#/home?term=${picker.value}`; });
  const intro = el('div', { class: 'fields' }, field('统计学期', picker));
  const attention = card('需要您处理的事项', attentionOf(d));
  const figs = {};
  const chartCard = (kind, title, data) => {
    figs[kind] = el('figure', { class: 'chart', id: `chart-${kind}` }, el('p', { class: 'loading' }, '正在绘制…'));
    return card(title, figs[kind], data);
  };
  const charts = el('div', { class: 'grid2' },
    chartCard('program', '各资助项目金额', barTable(d, d.by_program, '资助项目')),
    chartCard('school', '各学校金额', barTable(d, d.by_school, '学校')),
    chartCard('batches', '发放批次：已发放 / 失败 / 待发放', batchTable(d.batches)));
  if (!page(gen, `您好，${state.user.username}`, el('p', { class: 'lead' }, `${ROLE_LABEL[state.user.role]} · 当前学期：${termLabel(state.currentTerm)}`), attention, intro, charts)) return;
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

// drawChart asks the server for an SVG drawn to the figure's width and puts
// it in the page (fetched with the token, so no <img> link).
async function drawChart(fig, kind, term) {
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

function barTable(d, bars, what) {
  const cols = [{ h: what, f: (b) => b.label }, { h: '人数', num: true, f: (b) => b.count }, { h: '合计（元）', num: true, f: (b) => yuan(b.total_fen) }]
    .concat(d.phases.map((p) => ({ h: `${p.label}（元）`, num: true, f: (b) => yuan(b.phases[p.key]) })));
  return el('details', {}, el('summary', {}, '查看数据表'), table(cols, bars, { caption: `${d.term_label} 按${what}`, empty: '本学期暂无数据' }));
}

function batchTable(batches) {
  return el('details', {}, el('summary', {}, '查看数据表'), table([
    { h: '批次号', f: (b) => b.number },
    { h: '已发放（元）', num: true, f: (b) => `${yuan(b.paid.total_fen)}（${b.paid.count} 笔）` },
    { h: '发放失败（元）', num: true, f: (b) => `${yuan(b.failed.total_fen)}（${b.failed.count} 笔）` },
    { h: '待发放（元）', num: true, f: (b) => `${yuan(b.pending.total_fen)}（${b.pending.count} 笔）` },
  ], batches, { caption: '本学期发放批次', empty: '本学期暂无发放批次' }));
}

function noticeText(l) {
  if (l.notice === 'notice_period') return `公示中，${fmtTime(l.notice_ends_at)} 期满`;
  if (l.notice === 'notice_over') return '公示期满，可审核';
  return '尚未公示';
}

function attentionOf(d) {
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

/* ---------- rosters ---------- */

async function viewRosters(gen) {
  const years = yearsAround(state.term).map((y) => [y, `${y} 学年`]);
  const tplYear = select('school_year', years, state.term.slice(0, 9));
  const tplErr = errorSlot();
  const tplBtn = el('button', { type: 'button', id: 'template-download' }, '下载花名册模板');
  tplBtn.addEventListener('click', () => busy(tplBtn, tplErr, () => download(`/rosters/template${qs({ school_year: tplYear.value })}`, '花名册模板.xlsx')));

  const year = select('school_year', years, state.term.slice(0, 9));
  year.id = 'roster-year';
  const school = isRole('county_officer') ? await schoolSelect('', '按每行的学校标识码') : null;
  const mode = el('fieldset', {}, el('legend', {}, '导入方式'),
    el('label', {}, el('input', { type: 'radio', name: 'mode', value: 'all_or_nothing', checked: true }), ' 全部正确才导入'),
    el('label', {}, el('input', { type: 'radio', name: 'mode', value: 'valid_rows' }), ' 只导入正确的行'));
  const dry = el('input', { type: 'checkbox', name: 'dry_run', id: 'roster-dry' });
  const file = el('input', { type: 'file', name: 'file', id: 'roster-file', accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', required: true });
  const err = errorSlot();
  err.id = 'roster-error';
  const bar = el('progress', { id: 'roster-progress', max: '100', value: '0' });
  const barText = el('span', { 'aria-live': 'polite', id: 'roster-progress-text' });
  const progress = el('div', { class: 'field wide', hidden: true }, el('label', { for: bar.id }, '进度'), bar, barText);
  const submit = el('button', { type: 'submit', class: 'primary', id: 'roster-submit' }, '上传');
  const result = el('section', { class: 'card', id: 'roster-result', hidden: true, 'aria-live': 'polite' });
  const form = el('form', { class: 'fields', novalidate: true },
    field('学年', year), school && field('学校', school), mode,
    el('div', { class: 'field' }, el('span', { class: 'check' }, dry, el('label', { for: dry.id }, '仅检查，不导入'))),
    field('花名册文件（.xlsx）', file, '请使用本系统的模板；身份证件号列须设为文本格式', true),
    progress, el('div', { class: 'field wide' }, submit, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!file.files.length) {
      showError(err, new Error('请选择要上传的花名册文件'), file);
      file.focus();
      return;
    }
    showError(err, null, file);
    const fd = new FormData();
    fd.set('file', file.files[0]);
    fd.set('school_year', year.value);
    fd.set('mode', form.querySelector('input[name=mode]:checked').value);
    fd.set('dry_run', dry.checked ? 'true' : 'false');
    if (school && school.value) fd.set('school_id', school.value);
    result.hidden = true;
    progress.hidden = false;
    const setProgress = (pct, text) => { bar.value = pct; barText.textContent = text; };
    busy(submit, err, async () => {
      setProgress(0, '正在上传…');
      const { status, body } = await upload('/rosters', fd, (f) => setProgress(Math.round(f * 50), `正在上传 ${Math.round(f * 100)}%`));
      let rep = body;
      if (status === 202) {
        // A large file imports in the background: follow it until it is done.
        while (rep.status === 'processing') {
          setProgress(50 + Math.round(rep.progress / 2), `正在导入 ${rep.progress}%`);
          await new Promise((r) => setTimeout(r, 1000));
          rep = await api('GET', `/rosters/${rep.id}`);
        }
      } else if (status !== 200) {
        const e = errorOf(status, body);
        if (!e.details || e.details.errors === undefined) {
          progress.hidden = true;
          throw e;
        }
        rep = e.details;
        rep.message = e.message;
      }
      setProgress(100, '完成');
      showRosterReport(result, rep);
    });
  });
  page(gen, '花名册',
    card('下载模板', el('p', {}, '模板含下拉选项和示例行；每个学年一份，按模板填写后上传。'), el('div', { class: 'fields' }, field('学年', tplYear), el('div', { class: 'field' }, tplBtn, tplErr))),
    card('上传花名册', form), result);
}

function showRosterReport(box, rep) {
  const good = rep.status === 'done' || rep.status === 'checked';
  const headline = rep.message || { done: '导入完成。', checked: '检查完成：未写入任何数据。', rejected: '花名册有错误，未导入任何数据。', failed: '导入失败。' }[rep.status];
  const errors = rep.errors || [];
  const dl = el('button', { type: 'button', id: 'roster-errors-download' }, '下载错误行工作簿');
  const dlErr = errorSlot();
  dl.addEventListener('click', () => busy(dl, dlErr, () => download(`/rosters/${rep.id}/errors.xlsx`, '花名册错误行.xlsx')));
  box.replaceChildren(
    el('h2', {}, '导入结果'),
    el('p', { class: good ? 'ok' : 'error', role: 'alert', id: 'roster-status' }, headline),
    el('ul', { class: 'stats', id: 'roster-counts' },
      stat('总行数', rep.rows, 'count-rows'), stat('新增', rep.created, 'count-created'), stat('更新', rep.updated, 'count-updated'),
      stat('未变', rep.unchanged, 'count-unchanged'), stat('未导入', rep.rejected, 'count-rejected')),
    errors.length ? table([
      { h: '行号', num: true, f: (e) => e.row },
      { h: '列', nowrap: true, f: (e) => e.column },
      { h: '填写内容', f: (e) => e.value },
      { h: '问题', f: (e) => e.message },
    ], errors, { caption: `错误明细（共 ${rep.error_count || errors.length} 处）`, id: 'roster-errors' }) : '',
    rep.error_count > errors.length ? el('p', { class: 'info' }, `页面仅列出前 ${errors.length} 处错误，全部错误见错误行工作簿。`) : '',
    errors.length ? el('p', { class: 'actions' }, dl, dlErr) : '');
  box.hidden = false;
  box.scrollIntoView({ block: 'start' });
}

/* ---------- students and electronic files ---------- */

async function viewStudents(gen) {
  const q = input('q', { type: 'search', value: state.query.get('q') || '' });
  const year = select('school_year', [['', '全部学年'], ...yearsAround(state.term).map((y) => [y, `${y} 学年`])], state.query.get('school_year') || '');
  const school = isRole('school_officer') ? null : await schoolSelect(state.query.get('school_id') || '', '全部学校');
  const err = errorSlot();
  const submit = el('button', { type: 'submit', class: 'primary' }, '查询');
  const out = el('div', { id: 'students-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'fields', role: 'search' },
    field('姓名或完整身份证件号', q, '按姓名开头查找；身份证件号须填完整 18 位'), field('学年', year), school && field('学校', school),
    el('div', { class: 'field' }, submit, err));
  const load = (pageNo) => busy(submit, err, async () => {
    const l = await api('GET', `/students${qs({ q: q.value.trim(), school_year: year.value, school_id: school && school.value, page: pageNo, page_size: 50 })}`);
    out.replaceChildren(table([
      { h: '姓名', f: (s) => el('a', { href: `#/students/${s.id}` }, s.name) },
      { h: '身份证件号', f: (s) => s.id_number },
      { h: '学校', f: (s) => s.school_name },
      { h: '学年', f: (s) => s.school_year },
      { h: '年级', f: (s) => s.grade_text },
      { h: '班级', f: (s) => s.class },
      { h: '寄宿', f: (s) => (s.boarding === null ? '' : s.boarding ? '是' : '否') },
      { h: '学籍状态', f: (s) => s.status },
      { h: '困难等级', f: (s) => LEVEL[s.level] || '未认定' },
    ], l.items, { caption: '学生', empty: '没有符合条件的学生', id: 'students-table' }), pager(l.total, l.page, l.page_size, load));
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(1); });
  if (!page(gen, '学生档案', card('查找学生', form), out)) return;
  await load(1);
}

async function viewStudent(gen, id) {
  const f = await api('GET', `/students/${id}`);
  const sections = [
    card('基本信息', facts([
      ['姓名', f.name], ['证件类型', f.id_type], ['身份证件号', f.id_number], ['性别', f.sex], ['出生日期', f.birth_date || ''],
      ['户口性质', f.household], ['户籍地区码', f.home_region], ['监护人', f.guardian], ['开户银行', f.bank_name],
      ['银行卡号', f.bank_account], ['持卡人', f.holder], ['联系电话', f.phone]])),
    card('学籍（按学年）', table([
      { h: '学年', f: (e) => e.school_year }, { h: '学校', f: (e) => e.school_name }, { h: '学段', f: (e) => STAGE[e.stage] || e.stage },
      { h: '年级', num: true, f: (e) => e.grade }, { h: '班级', f: (e) => e.class }, { h: '学籍号', f: (e) => e.student_no },
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
      { h: '时间', f: (c) => fmtTime(c.at) }, { h: '操作人', f: (c) => c.actor }, { h: '来源', f: (c) => c.source },
      { h: '学年', f: (c) => c.school_year || '' }, { h: '项目', f: (c) => c.field }, { h: '原值', f: (c) => c.old }, { h: '新值', f: (c) => c.new },
    ], f.history, { caption: '变更记录', empty: '暂无变更' })),
  ];
  if (isRole('school_officer', 'county_officer')) sections.splice(1, 0, studentEditor(f));
  page(gen, `电子档案：${f.name}`, el('p', {}, el('a', { href: '#/students' }, '← 返回学生列表')), sections);
}

function studentEditor(f) {
  const years = f.enrolments.map((e) => [e.school_year, `${e.school_year} 学年`]);
  const bankName = input('bank_name', { placeholder: f.bank_name });
  const account = input('bank_account', { inputmode: 'numeric', autocomplete: 'off' });
  const holder = select('holder', [['', '不修改'], ['本人', '本人'], ['监护人', '监护人']], '');
  const guardian = input('guardian', { placeholder: f.guardian });
  const phone = input('phone', { inputmode: 'tel' });
  const year = select('school_year', years, years.length ? years[0][0] : '');
  const status = select('status', [['', '不修改'], ...ENROL_STATUS.map((s) => [s, s])], '');
  const boarding = select('boarding', [['', '不修改'], ['true', '是'], ['false', '否']], '');
  const cls = input('class');
  const err = errorSlot();
  const submit = el('button', { type: 'submit', class: 'primary' }, '保存更正');
  const form = el('form', { class: 'fields' },
    field('开户银行', bankName), field('银行卡号', account, '留空表示不修改'), field('持卡人', holder), field('监护人姓名', guardian),
    field('联系电话', phone), field('学年（以下学籍项）', year), field('学籍状态', status), field('是否寄宿', boarding), field('班级', cls),
    el('div', { class: 'field wide' }, submit, err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const patch = {};
    const changed = [];
    const put = (key, label, value, shown) => { if (value !== '') { patch[key] = value; changed.push([label, shown ?? value]); } };
    put('bank_name', '开户银行', bankName.value.trim());
    put('bank_account', '银行卡号', account.value.replace(/\s/g, ''), '（新卡号，保存后只显示掩码）');
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

/* ---------- aid lists (school officer, county officer) ---------- */

async function viewLists(gen) {
  const program = programSelect(state.query.get('program') || 'boarding');
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

  const loadList = async (pageNo = 1) => {
    const l = await api('GET', `/entitlements${qs({ program: program.value, term: term.value, school_id: schoolID() || '', page: pageNo, page_size: 100 })}`);
    listBox.replaceChildren(table([
      { h: '姓名', f: (e) => (isRole(...READERS) ? el('a', { href: `#/students/${e.student_id}` }, e.name) : e.name) },
      { h: '身份证件号', f: (e) => e.id_number },
      { h: '学校', f: (e) => e.school_name },
      { h: '年级', f: (e) => e.grade_text },
      { h: '班级', f: (e) => e.class },
      { h: '档次', f: (e) => LEVEL[e.level] || '—' },
      { h: '金额（元）', num: true, f: (e) => yuan(e.amount_fen) },
      { h: '状态', f: (e) => badge(ENT_STATUS, e.status) },
      { h: '原因与提示', f: (e) => [e.reason, e.warning].filter(Boolean).join('；') },
      { h: '异议', num: true, f: (e) => e.objections || '' },
    ], l.items, { caption: `${programName(program.value)} · ${termLabel(term.value)} 名单（共 ${l.total} 人）`, empty: '尚无名单：请先上传花名册，再点“计算名单”。', id: 'entitlements' }),
    pager(l.total, l.page, l.page_size, (p) => loadList(p).catch((e) => showError(err, e))));
  };

  calc.addEventListener('click', () => busy(calc, err, async () => {
    msg.textContent = '';
    const r = await api('POST', '/entitlements/calculate', { program: program.value, term: term.value, school_id: schoolID() });
    calcBox.replaceChildren(card('计算结果',
      el('ul', { class: 'stats' }, stat('名单人数', r.count, 'calc-count'), stat('金额合计（元）', yuan(r.total_fen), 'calc-total'),
        stat('新增', r.created), stat('更新', r.updated), stat('未变', r.unchanged), stat('移除', r.removed)),
      table([{ h: '姓名', f: (i) => i.name }, { h: '不符合条件的原因', f: (i) => i.reason }], r.ineligible,
        { caption: `不符合条件的学生（${r.ineligible.length} 人）`, empty: '所有学生均符合条件。', id: 'ineligible' })));
    msg.textContent = `计算完成：名单 ${r.count} 人，合计 ${yuan(r.total_fen)} 元。请核对后提交。`;
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
      const ok = await confirmAction('提交资助名单', [
        ['学校', l.school_name], ['资助项目', programName(l.program)], ['学期', termLabel(l.term)],
        ['人数', `${count} 人`], ['金额合计', `${yuan(total)} 元`]],
      '提交后请下载公示表张贴公示；公示期满后由县级资助中心审核。', '确认提交');
      if (!ok) return;
      const r = await api('POST', '/entitlements/submit', { program: program.value, term: term.value, school_id: schoolID() });
      msg.textContent = `已提交 ${r.count} 人，合计 ${yuan(r.total_fen)} 元。请下载公示表张贴公示。`;
      await loadList();
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
  if (!page(gen, '资助名单', card('名单', form), calcBox, listBox)) return;
  await loadList();
}

/* ---------- county approval ---------- */

async function viewApprovals(gen) {
  const d = await api('GET', '/dashboard');
  const lists = d.lists.filter((l) => l.submitted.count > 0);
  const detail = el('div', { id: 'approval-detail' });
  const rows = table([
    { h: '学校', f: (l) => l.school_name },
    { h: '资助项目', f: (l) => programName(l.program) },
    { h: '学期', f: (l) => termLabel(l.term) },
    { h: '人数', num: true, f: (l) => l.submitted.count },
    { h: '金额（元）', num: true, f: (l) => yuan(l.submitted.total_fen) },
    { h: '提交时间', f: (l) => fmtTime(l.submitted_at) },
    { h: '公示', f: (l) => [badge(NOTICE, l.notice), el('br'), l.notice_ends_at && l.notice !== 'notice_not_started' ? `至 ${fmtTime(l.notice_ends_at)}` : ''] },
    { h: '异议', num: true, f: (l) => (l.objections ? el('span', { class: 'badge bad' }, `${l.objections} 条`) : '0') },
    { h: '操作', f: (l) => approvalActions(l, detail) },
  ], lists, { caption: '已提交、待审核的学校名单', empty: '目前没有待审核的名单。', id: 'approvals' });
  page(gen, '名单审核', el('p', { class: 'lead' }, '学校提交名单并公示期满后方可审核；有异议的请先查看明细，必要时退回并说明原因。'), card('待审核名单', rows), detail);
}

function approvalActions(l, detail) {
  const err = errorSlot();
  const view = el('button', { type: 'button', class: 'link' }, '查看明细');
  const approve = el('button', { type: 'button', class: 'primary', 'data-list': l.list_id, disabled: l.notice !== 'notice_over' }, '审核通过');
  view.addEventListener('click', () => busy(view, err, () => showApprovalDetail(l, detail)));
  approve.addEventListener('click', () => busy(approve, err, async () => {
    const ok = await confirmAction('审核通过学校名单', [
      ['学校', l.school_name], ['资助项目', programName(l.program)], ['学期', termLabel(l.term)],
      ['人数', `${l.submitted.count} 人`], ['金额合计', `${yuan(l.submitted.total_fen)} 元`], ['公示异议', `${l.objections} 条`]],
    '审核通过后，名单进入发放队列，由定时任务生成发放批次交财政发放。', '确认审核通过');
    if (!ok) return;
    const r = await api('POST', '/entitlements/approve', { program: l.program, term: l.term, school_id: l.school_id });
    rerender(`已审核通过 ${l.school_name} ${programName(l.program)} ${r.count} 人，合计 ${yuan(r.total_fen)} 元。`);
  }));
  return [el('span', { class: 'actions' }, view, approve), l.notice !== 'notice_over' ? el('small', {}, l.notice === 'notice_period' ? '公示期满后可审核' : '学校尚未公示') : '', err];
}

async function showApprovalDetail(l, box) {
  const rows = [];
  for (let p = 1; ; p++) {
    const page_ = await api('GET', `/entitlements${qs({ program: l.program, term: l.term, school_id: l.school_id, status: 'submitted', page: p, page_size: 200 })}`);
    rows.push(...page_.items);
    if (rows.length >= page_.total || !page_.items.length) break;
  }
  const checks = new Map();
  const reason = el('textarea', { name: 'reason', id: nextID('reason'), rows: '2', maxlength: '250' });
  const err = errorSlot();
  const back = el('button', { type: 'button', class: 'danger', id: 'return-selected' }, '退回所选');
  back.addEventListener('click', () => busy(back, err, async () => {
    const picked = rows.filter((r) => checks.get(r.id).checked);
    if (!picked.length) throw new Error('请勾选要退回的学生。');
    if (!reason.value.trim()) { showError(err, new Error('请填写退回原因'), reason); reason.focus(); return; }
    const total = picked.reduce((s, r) => s + r.amount_fen, 0);
    const ok = await confirmAction('退回名单', [['学校', l.school_name], ['资助项目', programName(l.program)], ['退回人数', `${picked.length} 人`],
      ['涉及金额', `${yuan(total)} 元`], ['原因', reason.value.trim()]], '退回后学校须修改并重新提交，重新公示。', '确认退回');
    if (!ok) return;
    const r = await api('POST', '/entitlements/return', { ids: picked.map((x) => x.id), reason: reason.value.trim() });
    rerender(`已退回 ${r.count} 人，合计 ${yuan(r.total_fen)} 元。`);
  }));
  box.replaceChildren(card(`名单明细：${l.school_name} · ${programName(l.program)} · ${termLabel(l.term)}`,
    table([
      { h: '选择', f: (r) => { const c = el('input', { type: 'checkbox', 'aria-label': `选择 ${r.name}` }); checks.set(r.id, c); return c; } },
      { h: '姓名', f: (r) => el('a', { href: `#/students/${r.student_id}` }, r.name) },
      { h: '身份证件号', f: (r) => r.id_number },
      { h: '年级', f: (r) => r.grade_text }, { h: '班级', f: (r) => r.class },
      { h: '档次', f: (r) => LEVEL[r.level] || '—' },
      { h: '金额（元）', num: true, f: (r) => yuan(r.amount_fen) },
      { h: '异议', num: true, f: (r) => (r.objections ? el('span', { class: 'badge bad' }, `${r.objections} 条`) : '') },
      { h: '提示', f: (r) => r.warning },
    ], rows, { caption: `共 ${rows.length} 人`, id: 'approval-rows' }),
    el('div', { class: 'fields' }, field('退回原因', reason, '学校会在名单中看到此原因', true), el('div', { class: 'field wide' }, back, err))));
  box.scrollIntoView({ block: 'start' });
}

/* ---------- quotas and standards ---------- */

async function viewQuotas(gen) {
  const program = programSelect(state.query.get('program') || '', true);
  const term = termSelect(state.query.get('term') || state.term, true);
  const schools = await schoolsInScope();
  const nameOf = (id) => (schools.find((s) => s.id === id) || { name: `学校 ${id}` }).name;
  const out = el('div', { 'aria-live': 'polite' });
  const listErr = errorSlot();
  const load = async () => {
    const l = await api('GET', `/quotas${qs({ program: program.value, term: term.value })}`);
    out.replaceChildren(table([
      { h: '学校', f: (x) => nameOf(x.school_id) }, { h: '资助项目', f: (x) => programName(x.program) }, { h: '学期', f: (x) => termLabel(x.term) },
      { h: '名额（人）', num: true, f: (x) => (x.max_count === null ? '不限' : x.max_count) },
      { h: '预算（元）', num: true, f: (x) => (x.budget_fen === null ? '不限' : yuan(x.budget_fen)) },
      { h: '提交时间', f: (x) => fmtTime(x.submitted_at) }, { h: '公示截止', f: (x) => fmtTime(x.notice_ends_at) },
    ], l.items, { caption: '各校指标', empty: '暂无名单或指标', id: 'quotas' }));
  };
  for (const c of [program, term]) c.addEventListener('change', () => load().catch((e) => showError(listErr, e)));

  const school = await schoolSelect('');
  const p2 = programSelect('boarding');
  const t2 = termSelect(state.term);
  const count = input('max_count', { type: 'number', min: '0', step: '1' });
  const budget = input('budget', { inputmode: 'decimal' });
  const err = errorSlot();
  const save = el('button', { type: 'submit', class: 'primary' }, '保存指标');
  const form = el('form', { class: 'fields', novalidate: true }, field('学校', school), field('资助项目', p2), field('学期', t2),
    field('名额（人）', count, '留空表示不限'), field('预算（元）', budget, '如 125000.00；留空表示不限'), el('div', { class: 'field' }, save, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    let fen = null;
    if (budget.value.trim()) {
      fen = parseYuan(budget.value);
      if (fen === null) { showError(err, new Error('预算须为金额，最多两位小数，如 125000.00'), budget); budget.focus(); return; }
    }
    showError(err, null, budget);
    busy(save, err, async () => {
      await api('PUT', '/quotas', { program: p2.value, term: t2.value, school_id: Number(school.value),
        max_count: count.value === '' ? null : Number(count.value), budget_fen: fen });
      rerender(`已保存 ${nameOf(Number(school.value))} ${programName(p2.value)} 的指标。`);
    });
  });
  if (!page(gen, '资助指标', card('查看', el('div', { class: 'fields' }, field('资助项目', program), field('学期', term)), listErr, out), card('设定学校指标', form))) return;
  await load();
}

async function viewStandards(gen) {
  const today = fmtDate(state.now) || fmtDate(new Date().toISOString());
  const on = input('on', { type: 'date', value: state.query.get('on') || today });
  const program = programSelect('', true);
  const err = errorSlot();
  const out = el('div', { 'aria-live': 'polite' });
  const rs = await regions();
  const regionName = (c) => (c ? (rs.find((r) => r.code === c) || { name: c }).name : '全国');
  const region = state.user.scope.region_code || '';
  const load = async () => {
    const l = await api('GET', `/standards${qs({ on: on.value, program: program.value, region_code: region })}`);
    out.replaceChildren(table([
      { h: '资助项目', f: (s) => programName(s.program) }, { h: '学段', f: (s) => STAGE[s.stage] || s.stage },
      { h: '档次', f: (s) => LEVEL[s.level] || '基本标准' }, { h: '适用地区', f: (s) => regionName(s.region_code) },
      { h: '年标准（元）', num: true, f: (s) => yuan(s.annual_fen) }, { h: '生效日期', f: (s) => s.effective_from }, { h: '依据', f: (s) => s.source },
    ], l.items, { caption: `${on.value} 执行的资助标准${region ? `（${regionName(region)}）` : ''}`, empty: '该日没有执行中的标准', id: 'standards' }));
  };
  for (const c of [on, program]) c.addEventListener('change', () => load().catch((e) => showError(err, e)));
  if (!page(gen, '资助标准', el('p', { class: 'lead' }, '每学期按年标准的一半发放；标准自生效日期起适用于当日及以后开学的学期。'),
    card('查询', el('div', { class: 'fields' }, field('执行日期', on), field('资助项目', program)), err), out)) return;
  await load();
}

/* ---------- anomalies ---------- */

const ANOMALY_STATUS = { open: ['待核实', 'bad'], explained: ['已说明', 'info'], resolved: ['已消除', 'ok'] };
const SEVERITY = { high: ['高', 'bad'], medium: ['中', 'warn'], low: ['低', ''] };

async function viewAnomalies(gen) {
  const term = termSelect(state.query.get('term') || '', true);
  const status = select('status', [['open', '待核实'], ['explained', '已说明'], ['resolved', '已消除'], ['', '全部']], state.query.get('status') ?? 'open');
  const err = errorSlot();
  const out = el('div', { 'aria-live': 'polite', id: 'anomalies' });
  const filter = () => ({ term: term.value, status: status.value });
  const load = async (pageNo = 1) => {
    const l = await api('GET', `/anomalies${qs({ ...filter(), page: pageNo, page_size: 50 })}`);
    out.replaceChildren(
      el('p', { class: 'info' }, l.last_scan_at ? `最近一次扫描：${fmtTime(l.last_scan_at)}` : '尚未扫描过。'),
      table([
        { h: '规则', f: (a) => (a.rule_no ? `${a.rule_no}. ${a.rule_title}` : a.rule_title) },
        { h: '程度', f: (a) => badge(SEVERITY, a.severity) },
        { h: '学校', f: (a) => a.school_name || '—' },
        { h: '学年学期', f: (a) => (a.term ? termLabel(a.term) : `${a.school_year} 学年`) },
        { h: '情况', f: (a) => (a.student_id && isRole(...READERS) ? [a.summary, ' ', el('a', { href: `#/students/${a.student_id}` }, '档案')] : a.summary) },
        { h: '最近发现', f: (a) => fmtTime(a.last_seen) },
        { h: '状态', f: (a) => [badge(ANOMALY_STATUS, a.status), a.note ? el('div', {}, el('small', {}, `说明：${a.note}（${a.updated_by}）`)) : ''] },
        { h: '处理', f: (a) => anomalyActions(a) },
      ], l.items, { caption: `异常线索（${l.total} 条）`, empty: '没有符合条件的异常线索。', id: 'anomaly-table' }),
      pager(l.total, l.page, l.page_size, (p) => load(p).catch((e) => showError(err, e))));
  };
  const scan = el('button', { type: 'button', id: 'anomaly-scan' }, '立即扫描');
  const scanOut = el('p', { class: 'ok', role: 'status', id: 'anomaly-scan-result' });
  scan.addEventListener('click', () => busy(scan, err, async () => {
    scanOut.textContent = '';
    const r = await api('POST', '/anomalies/scan');
    scanOut.textContent = `扫描完成：现有 ${r.found} 条线索，新发现 ${r.opened} 条，已消除 ${r.resolved} 条。`;
    await load();
  }));
  const exp = el('button', { type: 'button', id: 'anomaly-export' }, '导出清单');
  exp.addEventListener('click', () => busy(exp, err, () => download(`/anomalies.xlsx${qs(filter())}`, '异常情况清单.xlsx')));
  for (const c of [term, status]) c.addEventListener('change', () => load().catch((e) => showError(err, e)));
  if (!page(gen, '异常情况', el('p', { class: 'lead' }, '重复享受、代领、持卡人不符、年龄与年级不符、一人多籍、状态变化后仍有资助、金额与标准不符、多次发放失败、滞留未发等线索。'),
    card('查询', el('div', { class: 'fields' }, field('学期', term), field('状态', status)), el('p', { class: 'actions' }, scan, exp), scanOut, err), out)) return;
  await load();
}

// anomalyActions lets a reader record why a finding is in order, or reopen it.
function anomalyActions(a) {
  if (a.status === 'resolved') return '';
  const err = errorSlot();
  if (a.status === 'explained') {
    const reopen = el('button', { type: 'button' }, '重新打开');
    reopen.addEventListener('click', () => busy(reopen, err, async () => {
      await api('PATCH', `/anomalies/${a.id}`, { status: 'open' });
      rerender('已重新打开该线索。');
    }));
    return [reopen, err];
  }
  const note = el('textarea', { name: 'note', id: nextID('note'), rows: '2', maxlength: '500' });
  const save = el('button', { type: 'submit' }, '保存说明');
  const form = el('form', {}, field('核实情况说明', note), save, err);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!note.value.trim()) { showError(err, new Error('请填写核实情况'), note); note.focus(); return; }
    busy(save, err, async () => {
      await api('PATCH', `/anomalies/${a.id}`, { status: 'explained', note: note.value.trim() });
      rerender('已记录说明。');
    });
  });
  return el('details', {}, el('summary', {}, '填写说明'), form);
}

/* ---------- batches ---------- */

async function viewBatches(gen) {
  const term = termSelect(state.query.get('term') || '', true);
  const program = programSelect(state.query.get('program') || '', true);
  const status = select('status', [['', '全部状态'], ...Object.entries(BATCH_STATUS).map(([k, [t]]) => [k, t])], state.query.get('status') || '');
  const err = errorSlot();
  const out = el('div', { 'aria-live': 'polite' });
  const load = async (pageNo = 1) => {
    const l = await api('GET', `/batches${qs({ term: term.value, program: program.value, status: status.value, page: pageNo, page_size: 50 })}`);
    out.replaceChildren(table([
      { h: '批次号', f: (b) => el('a', { href: `#/batches/${b.id}` }, b.number) },
      { h: '资助项目', f: (b) => programName(b.program) }, { h: '学期', f: (b) => termLabel(b.term) },
      { h: '笔数', num: true, f: (b) => b.lines }, { h: '金额（元）', num: true, f: (b) => yuan(b.total_fen) },
      { h: '状态', f: (b) => badge(BATCH_STATUS, b.status) }, { h: '生成时间', f: (b) => fmtTime(b.created_at) },
    ], l.items, { caption: '发放批次', empty: '没有符合条件的批次', id: 'batches' }), pager(l.total, l.page, l.page_size, (p) => load(p).catch((e) => showError(err, e))));
  };
  for (const c of [term, program, status]) c.addEventListener('change', () => load().catch((e) => showError(err, e)));
  if (!page(gen, '发放批次', card('筛选', el('div', { class: 'fields' }, field('学期', term), field('资助项目', program), field('状态', status)), err), out)) return;
  await load();
}

async function viewBatch(gen, id) {
  const [d, rs] = await Promise.all([api('GET', `/batches/${id}`), regions()]);
  const b = d.batch;
  const finance = isRole('finance');
  const actErr = errorSlot();
  actErr.id = 'batch-error';
  const buttons = [];
  const ledger = el('button', { type: 'button', id: 'ledger-download' }, '下载发放台账');
  ledger.addEventListener('click', () => busy(ledger, actErr, () => download(`/batches/${id}/ledger.xlsx`, `${b.number}-发放台账.xlsx`)));
  buttons.push(ledger);
  if (finance && b.status !== 'generated') {
    const bank = el('button', { type: 'button', id: 'bank-file-download' }, '下载银行代发文件');
    bank.addEventListener('click', () => busy(bank, actErr, () => download(`/batches/${id}/bank-file`, `${b.number}-代发明细.xlsx`)));
    buttons.push(bank);
  }
  if (finance && b.status === 'generated') {
    const approve = el('button', { type: 'button', class: 'primary', id: 'batch-approve' }, '审核通过，准予发放');
    approve.addEventListener('click', () => busy(approve, actErr, async () => {
      const ok = await confirmAction('审核发放批次', [['批次号', b.number], ['资助项目', programName(b.program)], ['学期', termLabel(b.term)],
        ['笔数', `${b.lines} 笔`], ['金额合计', `${yuan(b.total_fen)} 元`]], '审核后可下载银行代发文件交银行发放；批次一经审核不可更改。', '确认审核');
      if (!ok) return;
      await api('POST', `/batches/${id}/approve`);
      rerender(`批次 ${b.number} 已审核，可以下载银行代发文件。`);
    }));
    buttons.push(approve);
  }
  const sections = [
    card('批次信息', facts([
      ['批次号', b.number], ['区县', `${(rs.find((r) => r.code === b.region_code) || { name: '' }).name}（${b.region_code}）`], ['资助项目', programName(b.program)], ['学期', termLabel(b.term)],
      ['笔数', `${b.lines} 笔`], ['金额合计', `${yuan(b.total_fen)} 元`], ['状态', badge(BATCH_STATUS, b.status)],
      ['生成时间', fmtTime(b.created_at)], ['审核', b.approved_by ? `${b.approved_by}，${fmtTime(b.approved_at)}` : '未审核'],
      ['发放完成', fmtTime(b.paid_at) || '—'], ['台账 SHA-256', el('code', {}, b.ledger_sha256)]]),
    el('p', { class: 'actions' }, buttons), actErr),
    card('按学校汇总', table([
      { h: '学校标识码', f: (s) => s.school_code }, { h: '学校', f: (s) => s.school_name },
      { h: '笔数', num: true, f: (s) => s.lines }, { h: '金额（元）', num: true, f: (s) => yuan(s.total_fen) },
    ], d.schools, { caption: '各校明细', foot: ['合计', '', b.lines, yuan(b.total_fen)] })),
  ];
  if (finance && b.status === 'approved') sections.push(resultsUpload(b));
  sections.push(await batchLines(id, d.lines_by_status || {}));
  page(gen, `批次 ${b.number}`, el('p', {}, el('a', { href: '#/batches' }, '← 返回批次列表')), sections);
}

function resultsUpload(b) {
  const file = el('input', { type: 'file', name: 'file', id: 'results-file', accept: '.xlsx' });
  const err = errorSlot();
  err.id = 'results-error';
  const problems = el('div', { id: 'results-problems' });
  const submit = el('button', { type: 'submit', class: 'primary', id: 'results-submit' }, '上传并登记');
  const form = el('form', { class: 'fields', novalidate: true },
    field('银行结果文件（.xlsx）', file, '列：序号、账号、户名、金额、状态（成功/失败）、失败原因', true),
    el('div', { class: 'field wide' }, submit, err), problems);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!file.files.length) { showError(err, new Error('请选择银行返回的结果文件'), file); file.focus(); return; }
    showError(err, null, file);
    const ok = await confirmAction('登记银行发放结果', [['批次号', b.number], ['笔数', `${b.lines} 笔`], ['金额合计', `${yuan(b.total_fen)} 元`], ['文件', file.files[0].name]],
      '登记后，成功的记为已发放；失败的退回待发放队列，更正账户后进入下一批次。', '确认登记');
    if (!ok) return;
    problems.replaceChildren();
    busy(submit, err, async () => {
      const fd = new FormData();
      fd.set('file', file.files[0]);
      const { status, body } = await upload(`/batches/${b.id}/results`, fd);
      if (status !== 200) {
        const e = errorOf(status, body);
        if (Array.isArray(e.details)) {
          problems.replaceChildren(table([{ h: '行号', num: true, f: (p) => p.row }, { h: '列', f: (p) => p.column || '' }, { h: '问题', f: (p) => p.message }],
            e.details, { caption: '结果文件中的问题', id: 'results-problem-table' }));
        }
        throw e;
      }
      rerender(`已登记银行结果：成功 ${body.paid} 笔，失败 ${body.failed} 笔，未变 ${body.unchanged} 笔，待定 ${body.pending} 笔。批次状态：${(BATCH_STATUS[body.batch_status] || [body.batch_status])[0]}。`);
    });
  });
  return card('登记银行发放结果', form);
}

async function batchLines(id, byStatus) {
  const failed = byStatus.failed || 0;
  const status = select('status', [['', '全部明细'], ...Object.entries(LINE_STATUS).map(([k, [t]]) => [k, `${t}（${byStatus[k] || 0}）`])], failed ? 'failed' : '');
  status.id = 'lines-status';
  const err = errorSlot();
  const out = el('div', { 'aria-live': 'polite', id: 'batch-lines' });
  const load = async (pageNo = 1) => {
    const l = await api('GET', `/batches/${id}/lines${qs({ status: status.value, page: pageNo, page_size: 100 })}`);
    out.replaceChildren(table([
      { h: '序号', num: true, f: (x) => x.seq }, { h: '学校', f: (x) => x.school_name }, { h: '年级', f: (x) => x.grade },
      { h: '姓名', f: (x) => x.name }, { h: '身份证件号', f: (x) => x.id_number }, { h: '开户银行', f: (x) => x.bank_name },
      { h: '银行卡号', f: (x) => x.bank_account }, { h: '户名', f: (x) => x.holder_name }, { h: '金额（元）', num: true, f: (x) => yuan(x.amount_fen) },
      { h: '状态', f: (x) => badge(LINE_STATUS, x.status) }, { h: '失败原因', f: (x) => x.fail_reason },
    ], l.items, { caption: `发放明细（${l.total} 笔）`, empty: '没有符合条件的明细', id: 'lines' }), pager(l.total, l.page, l.page_size, (p) => load(p).catch((e) => showError(err, e))));
  };
  status.addEventListener('change', () => load().catch((e) => showError(err, e)));
  await load();
  return card(failed ? `发放明细（其中 ${failed} 笔发放失败）` : '发放明细', el('div', { class: 'fields' }, field('显示', status)), err, out);
}

/* ---------- jobs ---------- */

async function viewJobs(gen) {
  let jobs;
  try {
    jobs = (await api('GET', '/jobs')).items;
  } catch (e) {
    if (e.code !== 'no_scheduler') throw e;
    page(gen, '定时任务', el('p', { class: 'info', id: 'jobs-closed' }, e.message));
    return;
  }
  const titleOf = (name) => (jobs.find((j) => j.name === name) || { title: name }).title;
  const jobsBox = el('div', {});
  const result = el('div', { id: 'job-result', 'aria-live': 'polite' });
  const runsBox = el('div', {});
  const run = async (j, dry, btn, err) => busy(btn, err, async () => {
    const makesBatches = j.name.startsWith('batch_');
    if (!dry && !(await confirmAction('立即运行任务', [['任务', j.title], ['计划', j.schedule]],
      makesBatches ? '立即运行会按当前已审核的名单生成发放批次（批次生成后冻结，不可修改）。可先“试运行”查看将生成的批次。' : '立即运行该任务。',
      '确认运行'))) return;
    const r = await api('POST', `/jobs/${encodeURIComponent(j.name)}/run${dry ? '?dry_run=true' : ''}`);
    showRun(result, j, r);
    jobs = (await api('GET', '/jobs')).items;
    showJobs();
    await loadRuns();
  });
  const showJobs = () => jobsBox.replaceChildren(table([
    { h: '任务', f: (j) => j.title || j.name }, { h: '计划（cron）', f: (j) => el('code', {}, j.schedule) },
    { h: '下次运行', f: (j) => fmtTime(j.next_run) },
    { h: '上次运行', f: (j) => (j.last_run ? [fmtTime(j.last_run.started_at), ' ', badge(RUN_STATUS, j.last_run.status)] : '从未运行') },
    { h: '操作', f: (j) => {
      const err = errorSlot();
      const dry = el('button', { type: 'button', 'data-job': j.name, 'data-dry': 'true' }, '试运行');
      const now = el('button', { type: 'button', class: 'primary', 'data-job': j.name }, '立即运行');
      dry.addEventListener('click', () => run(j, true, dry, err));
      now.addEventListener('click', () => run(j, false, now, err));
      return [el('span', { class: 'actions' }, dry, now), err];
    } },
  ], jobs, { caption: '定时任务', id: 'jobs' }));
  const loadRuns = async () => {
    const l = await api('GET', '/jobs/runs?page_size=20');
    runsBox.replaceChildren(table([
      { h: '任务', f: (r) => titleOf(r.job) }, { h: '开始', f: (r) => fmtTime(r.started_at) }, { h: '结束', f: (r) => fmtTime(r.finished_at) },
      { h: '实例', f: (r) => r.instance }, { h: '方式', f: (r) => ({ schedule: '按计划', catch_up: '补运行', manual: '手动' }[r.trigger] || r.trigger) + (r.dry_run ? '（试运行）' : '') },
      { h: '状态', f: (r) => badge(RUN_STATUS, r.status) }, { h: '错误', f: (r) => r.error },
    ], l.items, { caption: '最近运行记录', empty: '暂无运行记录', id: 'job-runs' }));
  };
  showJobs();
  if (!page(gen, '定时任务', card('任务', jobsBox), result, card('运行记录', runsBox))) return;
  await loadRuns();
}

function showRun(box, j, r) {
  const made = r.made || {};
  const batches = made.batches || [];
  const held = made.held || [];
  box.replaceChildren(card(`${r.dry_run ? '试运行' : '运行'}结果：${j.title || j.name}`,
    el('p', { class: r.status === 'succeeded' ? 'ok' : 'error', role: 'status', id: 'job-status' },
      r.status === 'succeeded' ? `运行成功${r.dry_run ? '（试运行，未生成任何批次）' : ''}，${batches.length} 个批次。` : `运行${(RUN_STATUS[r.status] || [r.status])[0]}${r.error ? `：${r.error}` : ''}`),
    table([
      { h: '批次号', f: (b) => (b.id ? el('a', { href: `#/batches/${b.id}` }, b.number) : b.number) },
      { h: '笔数', num: true, f: (b) => b.lines }, { h: '金额（元）', num: true, f: (b) => yuan(b.total_fen) },
    ], batches, { caption: r.dry_run ? '将生成的批次' : '生成的批次', empty: '没有需要生成的批次', id: 'job-batches' }),
    held.length ? table([{ h: '学生编号', f: (h) => h.student_id }, { h: '暂缓原因', f: (h) => h.reason }], held, { caption: `暂缓发放（${held.length} 人）` }) : ''));
}

/* ---------- audit ---------- */

async function viewAudit(gen) {
  const entity = input('entity', { list: 'audit-entities', value: state.query.get('entity') || '' });
  const entities = el('datalist', { id: 'audit-entities' },
    ['user', 'session', 'student', 'roster_import', 'aid_list', 'entitlement', 'objection', 'notice', 'standard', 'school', 'region', 'batch', 'ledger', 'bank_file', 'job'].map((v) => el('option', { value: v })));
  const entityID = input('entity_id');
  const actorIn = input('actor');
  const from = input('from', { type: 'date' });
  const to = input('to', { type: 'date' });
  const err = errorSlot();
  const search = el('button', { type: 'submit', class: 'primary' }, '查询');
  const out = el('div', { 'aria-live': 'polite' });
  const verify = el('button', { type: 'button', id: 'audit-verify' }, '校验哈希链');
  const verifyOut = el('p', { role: 'status', id: 'audit-verify-result' });
  const verifyErr = errorSlot();
  verify.addEventListener('click', () => busy(verify, verifyErr, async () => {
    verifyOut.textContent = '';
    const v = await api('GET', '/audit/verify');
    verifyOut.className = v.ok ? 'ok' : 'error';
    verifyOut.textContent = v.ok ? `审计日志完整：共 ${v.entries} 条，哈希链校验通过。` : `审计日志被篡改：第 ${v.broken_at} 条，${v.problem}`;
  }));
  const load = (pageNo) => busy(search, err, async () => {
    const l = await api('GET', `/audit${qs({ entity: entity.value.trim(), entity_id: entityID.value.trim(), actor: actorIn.value.trim(), from: from.value, to: to.value, page: pageNo, page_size: 50 })}`);
    out.replaceChildren(table([
      { h: '序号', num: true, f: (e) => e.id }, { h: '时间', f: (e) => fmtTime(e.at) }, { h: '操作人', f: (e) => e.actor },
      { h: '角色', f: (e) => ROLE_LABEL[e.role] || e.role }, { h: '操作', f: (e) => e.action }, { h: '对象', f: (e) => e.entity },
      { h: '对象编号', f: (e) => e.entity_id }, { h: '来源 IP', f: (e) => e.client_ip },
      { h: '内容', f: (e) => el('details', {}, el('summary', {}, '前后对比'),
        el('pre', { class: 'json' }, `之前：${JSON.stringify(e.before, null, 1)}\n之后：${JSON.stringify(e.after, null, 1)}`)) },
    ], l.items, { caption: '审计日志（最新在前）', empty: '没有符合条件的记录', id: 'audit' }), pager(l.total, l.page, l.page_size, load));
  });
  const form = el('form', { class: 'fields' }, field('对象类型', entity, '如 entitlement、batch、student'), entities, field('对象编号', entityID),
    field('操作人', actorIn), field('起始日期', from), field('截止日期', to), el('div', { class: 'field' }, search, err));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(1); });
  if (!page(gen, '审计日志', card('完整性校验', el('p', {}, '逐条重算哈希，检查日志是否被修改、删除或截断。'), el('p', { class: 'actions' }, verify), verifyOut, verifyErr),
    card('查询', form), out)) return;
  await load(1);
}

/* ---------- reports ---------- */

async function viewReports(gen) {
  const term = termSelect(state.term);
  const rs = await regions();
  const scope = state.user.scope.region_code || '';
  const prefix = scope.endsWith('0000') ? scope.slice(0, 2) : scope.endsWith('00') ? scope.slice(0, 4) : scope;
  const mine = rs.filter((r) => r.code.startsWith(prefix) && r.code !== scope);
  const region = mine.length ? select('region_code', [['', '全部（本人权限范围）'], ...mine.map((r) => [r.code, `${r.name}（${r.code}）`])], '') : null;
  const err = errorSlot();
  const btn = el('button', { type: 'button', class: 'primary', id: 'summary-download' }, '下载资助汇总表');
  btn.addEventListener('click', () => busy(btn, err, () => download(`/reports/summary.xlsx${qs({ term: term.value, region_code: region && region.value })}`, '资助汇总表.xlsx')));
  page(gen, '汇总报表', card('资助汇总表', el('p', {}, '按区县、学校、资助项目和状态汇总人数与金额（Excel）。'),
    el('div', { class: 'fields' }, field('学期', term), region && field('区域', region), el('div', { class: 'field' }, btn, err))));
}

/* ---------- administration ---------- */

async function viewUsers(gen) {
  const [users, rs, schools] = await Promise.all([api('GET', '/users?page_size=200'), regions(), schoolsInScope()]);
  const schoolName = (id) => (schools.find((s) => s.id === id) || { name: id }).name;
  const regionName = (c) => (rs.find((r) => r.code === c) || { name: c }).name;
  const scopeText = (u) => (u.scope.kind === 'school' ? schoolName(u.scope.school_id) : u.scope.region_code ? regionName(u.scope.region_code) : '全部');
  const rows = table([
    { h: '用户名', f: (u) => u.username }, { h: '角色', f: (u) => u.role_label }, { h: '范围', f: (u) => scopeText(u) },
    { h: '状态', f: (u) => [u.disabled ? badge({ x: ['已停用', 'bad'] }, 'x') : badge({ x: ['正常', 'ok'] }, 'x'), u.locked ? [' ', badge({ x: ['已锁定', 'warn'] }, 'x')] : ''] },
    { h: '操作', f: (u) => {
      const err = errorSlot();
      const toggle = el('button', { type: 'button' }, u.disabled ? '启用' : '停用');
      toggle.addEventListener('click', () => busy(toggle, err, async () => {
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

async function viewSchools(gen) {
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

/* ---------- start ---------- */

async function start() {
  $('#skip').addEventListener('click', (ev) => { ev.preventDefault(); $('#main').focus(); });
  window.addEventListener('hashchange', route);
  const tok = sessionStorage.getItem(TOKEN_KEY);
  const saved = sessionStorage.getItem(USER_KEY);
  if (tok && saved) {
    try {
      state.user = JSON.parse(saved);
      await loadBasics();
    } catch (_) {
      expire();
    }
  }
  route();
}

document.addEventListener('DOMContentLoaded', start);
