// Talking to /api/v1 with the user's token: JSON calls, downloads,
// uploads with progress, and the end of a session.

import { TOKEN_KEY, USER_KEY, state } from './state.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function authHeaders() {
  const tok = sessionStorage.getItem(TOKEN_KEY);
  return tok ? { Authorization: `Bearer ${tok}` } : {};
}

export async function apiError(res) {
  let code = `http_${res.status}`;
  let message = `请求失败（${res.status}）`;
  let details;
  try {
    const j = await res.json();
    if (j && j.error) ({ code, message, details } = j.error);
  } catch (_) { /* not JSON: keep the status message */ }
  return new ApiError(res.status, code, message, details);
}

// stillSignedInAs: a 401 ends the session only if it is the one the request
// carried — an answer to a request sent before a sign-out and a new sign-in
// must not sign the new user out.
const stillSignedInAs = (tok) => sessionStorage.getItem(TOKEN_KEY) === tok;

export async function request(method, path, body) {
  const sent = sessionStorage.getItem(TOKEN_KEY);
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
  if (res.status === 401 && path !== '/auth/login' && stillSignedInAs(sent)) expire();
  if (!res.ok) throw await apiError(res);
  return res;
}

export async function api(method, path, body) {
  return (await request(method, path, body)).json();
}

// download fetches a file with the token (a plain link would carry none)
// and saves it under the server's file name.
export async function download(path, fallbackName) {
  const res = await request('GET', path);
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') || '';
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i);
  const name = m ? decodeURIComponent(m[1]) : fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return res;
}

// upload posts a form with XMLHttpRequest, which (unlike fetch) reports how
// much of a large file has been sent.
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const sent = sessionStorage.getItem(TOKEN_KEY);
    xhr.open('POST', `/api/v1${path}`);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, 'network', '上传失败：无法连接服务器'));
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* keep null */ }
      if (xhr.status === 401 && stillSignedInAs(sent)) expire();
      resolve({ status: xhr.status, body });
    };
    xhr.send(form);
  });
}

export function errorOf(status, body) {
  const e = (body && body.error) || {};
  return new ApiError(status, e.code || `http_${status}`, e.message || `请求失败（${status}）`, e.details);
}

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export async function cached(key, load) {
  if (!state.cache[key]) state.cache[key] = await load();
  return state.cache[key];
}
export const schoolsInScope = () => cached('schools', async () => (await api('GET', '/schools?page_size=200')).items);
export const regions = () => cached('regions', async () => (await api('GET', '/regions')).items);

// expire ends the session in this tab; the message is for the login page,
// and only the first of several failing requests sets it.
export function expire(message = '登录已过期，请重新登录', returnHere = true) {
  if (state.user) state.flash = message;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  state.user = null;
  state.cache = {};
  // A sign-out (returnHere false) forgets the page a request that failed
  // meanwhile may have noted: the next user starts on 首页.
  if (!returnHere) state.after = '';
  if (location.hash !== '#/login') {
    if (returnHere) state.after = location.hash.slice(1);
    location.hash = '#/login';
  }
}

export async function loadBasics() {
  const [programs, dash] = await Promise.all([api('GET', '/programs'), api('GET', '/dashboard')]);
  state.programs = programs.items;
  // Pages default to the latest term with data; the lead names the one in progress.
  state.term = dash.term;
  state.currentTerm = dash.current_term;
  state.now = dash.now;
  return dash;
}
