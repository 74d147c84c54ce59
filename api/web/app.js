// 学生资助管理系统: the browser page. Plain JavaScript modules with no build
// step and no libraries, embedded in the server binary for intranets without
// internet. Everything it shows comes from /api/v1 with the user's token, so
// the API's scope rules alone decide what a user can see. This module routes
// the address to a page module and draws the menu.

import { TOKEN_KEY, USER_KEY, state } from './state.js';
import { ROLE_LABEL, ALL, READERS } from './format.js';
import { $, el, page } from './dom.js';
import { request, expire, loadBasics, schoolsInScope } from './net.js';
import { viewLogin } from './login.js';
import { viewHome } from './home.js';
import { viewRosters } from './rosters.js';
import { viewStudents, viewStudent } from './students.js';
import { viewLists } from './lists.js';
import { viewApprovals } from './approvals.js';
import { viewQuotas } from './quotas.js';
import { viewStandards } from './standards.js';
import { viewAnomalies } from './anomalies.js';
import { viewBatches, viewBatch } from './batches.js';
import { viewJobs } from './jobs.js';
import { viewAudit } from './audit.js';
import { viewReports } from './reports.js';
import { viewUsers, viewSchools, viewLoanSettings } from './admin.js';
import { viewChangePassword, viewPassword } from './password.js';
import { viewCorrections } from './corrections.js';
import { viewMatching } from './matching.js';
import { viewAccountChanges } from './accountchanges.js';
import { viewTransfers } from './transfers.js';
import { shareSession, borrowSession } from './session.js';
import { viewLoans } from './loans.js';
import { viewGraduateLoans } from './loan_graduates.js';
import { viewLoan } from './loan_detail.js';
import { viewLoanOverdue } from './loan_overdue.js';
import { viewLoanReminders } from './loan_reminders.js';

// FILE_READERS may open students' files.
const FILE_READERS = ['school_officer', 'county_officer', 'auditor'];

const ROUTES = [
  { path: '/home', title: '首页', roles: ALL, view: viewHome },
  { path: '/approvals', title: '名单审核', roles: ['county_officer'], view: viewApprovals },
  { path: '/lists', title: '资助名单', roles: ['school_officer', 'county_officer'], view: viewLists },
  { path: '/rosters', title: '花名册', roles: ['school_officer', 'county_officer'], view: viewRosters },
  // Not the admin: no child's file for the system administrator (DESIGN.md).
  { path: '/students', title: '学生档案', roles: FILE_READERS, view: viewStudents },
  { re: /^\/students\/(\d+)$/, title: '电子档案', roles: FILE_READERS, view: viewStudent },
  { path: '/corrections', title: '撤销、扣回与更正', roles: ['county_officer'], view: viewCorrections },
  { path: '/quotas', title: '资助指标', roles: ['county_officer'], view: viewQuotas },
  { path: '/standards', title: '资助标准', roles: READERS, view: viewStandards },
  { path: '/batches', title: '发放批次', roles: ['finance', 'county_officer', 'auditor'], view: viewBatches },
  { re: /^\/batches\/(\d+)$/, title: '批次详情', roles: ['finance', 'county_officer', 'auditor'], view: viewBatch },
  { path: '/jobs', title: '定时任务', roles: ['admin', 'finance'], view: viewJobs },
  { path: '/audit', title: '审计日志', roles: ['auditor', 'admin'], view: viewAudit },
  { path: '/anomalies', title: '异常情况', roles: ['auditor', 'county_officer'], view: viewAnomalies },
  { path: '/account-changes', title: '账户变更确认', roles: ['county_officer', 'auditor'], view: viewAccountChanges },
  { path: '/transfers', title: '转学申请', roles: ['school_officer', 'county_officer'], view: viewTransfers },
  { path: '/loans', title: '助学贷款', roles: ['county_officer', 'auditor', 'finance'], view: viewLoans },
  // A senior school's graduates: names and statuses only (the server refuses other schools).
  { path: '/graduate-loans', title: '毕业生助学贷款', roles: ['school_officer'], view: viewGraduateLoans,
    schoolTypes: ['senior', 'complete_secondary', 'vocational'] },
  // Borrowers' files and the overdue list: the county's officers and auditors only (issue 17).
  { re: /^\/loans\/overdue$/, title: '逾期名单', roles: ['county_officer', 'auditor'], view: viewLoanOverdue },
  { re: /^\/loans\/reminders$/, title: '还款提醒名单', roles: ['county_officer', 'auditor'], view: viewLoanReminders },
  { re: /^\/loans\/(\d+)$/, title: '贷款详情', roles: ['county_officer', 'auditor'], view: viewLoan },
  { path: '/matching', title: '跨部门比对', roles: ['county_officer'], view: viewMatching },
  { path: '/reports', title: '汇总报表', roles: ['auditor', 'county_officer', 'finance'], view: viewReports },
  { path: '/users', title: '用户管理', roles: ['admin'], view: viewUsers },
  { path: '/schools', title: '学校管理', roles: ['admin'], view: viewSchools },
  { path: '/loan-settings', title: '贷款参数', roles: ['admin'], view: viewLoanSettings },
  // Reached from the header's 修改密码 link, not the menu.
  { path: '/password', title: '修改密码', roles: ALL, view: viewPassword, menu: false },
];

function renderChrome(current) {
  const nav = $('#nav');
  const who = $('#who');
  if (!state.user) {
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  nav.replaceChildren(el('ul', {}, ROUTES.filter((r) => r.path && r.menu !== false && r.roles.includes(state.user.role)).map((r) =>
    el('li', {}, el('a', { href: `#${r.path}`, 'aria-current': current && (current.path === r.path || (current.re && current.parent === r.path)) ? 'page' : null }, r.title)))));
  hideForSchoolType(nav);
  who.replaceChildren(
    el('span', { id: 'who-name' }, `${state.user.username}（${ROLE_LABEL[state.user.role] || state.user.role}）`),
    el('a', { href: '#/password', id: 'password-link', 'aria-current': current && current.path === '/password' ? 'page' : null }, '修改密码'),
    el('button', { type: 'button', id: 'logout', onclick: logout }, '退出'));
}

// hideForSchoolType takes out the menu items meant for other kinds of
// school (毕业生助学贷款 is a senior school's), once the school is known.
function hideForSchoolType(nav) {
  const only = ROUTES.filter((r) => r.schoolTypes);
  if (state.user.scope?.kind !== 'school' || !only.length) return;
  schoolsInScope().then((list) => {
    const sc = list.find((x) => x.id === state.user.scope.school_id);
    for (const r of only) {
      if (sc && !r.schoolTypes.includes(sc.type)) nav.querySelector(`a[href="#${r.path}"]`)?.closest('li')?.remove();
    }
  }).catch(() => { /* the page itself says when the school may not see it */ });
}

async function logout() {
  try { await request('POST', '/auth/logout'); } catch (_) { /* leaving anyway */ }
  expire('您已退出登录', false);
}

async function route() {
  const raw = location.hash.replace(/^#/, '') || '/home';
  if (!raw.startsWith('/')) return; // an in-page anchor
  const [path, query] = raw.split('?');
  state.query = new URLSearchParams(query || '');
  const gen = ++state.gen;
  if (!state.user) {
    renderChrome(null);
    // The page asked for is opened after the login, not 首页.
    if (path !== '/login') { state.after = raw; location.replace('#/login'); }
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

async function start() {
  $('#skip').addEventListener('click', (ev) => { ev.preventDefault(); $('#main').focus(); });
  shareSession();
  // Routing starts once the session is known, so a page asked for meanwhile
  // is drawn once, for the right user.
  if (!sessionStorage.getItem(TOKEN_KEY)) await borrowSession();
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
