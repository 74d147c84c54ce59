// Formatting for people: money in 元 from integer fen, Beijing time, and
// the Chinese names of every code the API answers with.

import { state } from './state.js';

// yuan shows integer fen as yuan with two decimals and thousands separators;
// no floating point touches the amount.
export function yuan(fen) {
  if (fen === null || fen === undefined) return '';
  const neg = fen < 0;
  const abs = Math.abs(fen);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + whole + '.' + String(abs % 100).padStart(2, '0');
}

// parseYuan reads "1,250.5" into fen exactly, or returns null.
export function parseYuan(s) {
  const m = String(s).trim().replace(/,/g, '').match(/^(\d{1,13})(?:\.(\d{1,2}))?$/);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

// parsePercent reads "3.45" (or "-0.3" when negative allows) into basis
// points, or returns null.
export function parsePercent(s, negative) {
  const m = String(s).trim().match(negative ? /^(-?)(\d{1,3})(?:\.(\d{1,2}))?$/ : /^()(\d{1,3})(?:\.(\d{1,2}))?$/);
  if (!m) return null;
  const bp = Number(m[2]) * 100 + Number((m[3] || '').padEnd(2, '0'));
  return m[1] ? -bp : bp;
}
export const percent = (bp) => `${(bp / 100).toFixed(2)}%`;

// today is the date in Beijing, as the offices count days.
export const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

export const shanghai = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

export function parts(iso) {
  return Object.fromEntries(shanghai.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
}
export function fmtTime(iso) {
  if (!iso) return '';
  const p = parts(iso);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
export function fmtDate(iso) {
  if (!iso) return '';
  const p = parts(iso);
  return `${p.year}-${p.month}-${p.day}`;
}

export const ROLE_LABEL = { admin: '系统管理员', county_officer: '县级资助中心', school_officer: '学校资助专干', finance: '财政资金发放', auditor: '审计' };
export const ENT_STATUS = { draft: ['草稿', ''], submitted: ['已提交', 'info'], returned: ['已退回', 'bad'], approved: ['已审核', 'ok'], batched: ['已纳入批次', 'info'], paid: ['已发放', 'ok'], revoked: ['已撤销', 'bad'] };
export const BATCH_STATUS = { generated: ['已生成，待财政审核', 'warn'], approved: ['已审核，待银行结果', 'info'], paid: ['已发放', 'ok'], partially_paid: ['部分发放', 'bad'], failed: ['全部失败', 'bad'] };
export const LINE_STATUS = { pending: ['待发放', ''], paid: ['已发放', 'ok'], failed: ['发放失败', 'bad'] };
export const NOTICE = { notice_not_started: ['未公示', 'warn'], notice_period: ['公示中', 'info'], notice_over: ['公示期满', 'ok'] };
export const LEVEL = { special: '特别困难', hard: '困难', general: '一般困难' };
export const STAGE = { primary: '小学', junior: '初中', senior: '普通高中', vocational: '中职' };
export const SCHOOL_TYPE = { primary: '小学', junior: '初中', nine_year: '九年一贯制学校', senior: '普通高中', complete_secondary: '完全中学', vocational: '中等职业学校' };
export const RUN_STATUS = { running: ['运行中', 'info'], succeeded: ['成功', 'ok'], failed: ['失败', 'bad'], skipped: ['已跳过', ''] };
// gradeText writes a grade as officers read it, like model.GradeText:
// 三年级, 高二, 中职一年级.
export function gradeText(stage, grade) {
  const n = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
  if (stage === 'vocational' && grade >= 1 && grade <= 3) return `中职${n[grade]}年级`;
  if (stage === 'senior' && grade >= 10 && grade <= 12) return `高${n[grade - 9]}`;
  if (grade >= 1 && grade <= 9) return `${n[grade]}年级`;
  return String(grade);
}

export const ENROL_STATUS = ['在读', '休学', '转出', '毕业', '辍学', '死亡'];

export const programName = (code) => (state.programs.find((p) => p.code === code) || { name: code }).name;
export const termLabel = (t) => (t ? `${t.slice(0, 9)}学年${t.endsWith('-1') ? '第一学期（秋季）' : '第二学期（春季）'}` : '');
export const isRole = (...roles) => state.user && roles.includes(state.user.role);

// termsAround lists the current term, the next one and three before it.
export function termsAround(t) {
  const i = Number(t.slice(0, 4)) * 2 + Number(t.slice(10)) - 1;
  const mk = (n) => { const y = Math.floor(n / 2); return `${y}-${y + 1}-${(n % 2) + 1}`; };
  return [mk(i), mk(i + 1), mk(i - 1), mk(i - 2), mk(i - 3)];
}
export function yearsAround(t) {
  const y = Number(t.slice(0, 4));
  return [y, y + 1, y - 1, y - 2].map((v) => `${v}-${v + 1}`);
}

export const ALL = ['admin', 'county_officer', 'school_officer', 'finance', 'auditor'];
export const READERS = ['school_officer', 'county_officer', 'auditor', 'admin'];
