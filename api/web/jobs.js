import { yuan, fmtTime, programName, RUN_STATUS } from './format.js';
import { el, badge, errorSlot, busy, table, card, confirmAction, page } from './dom.js';
import { api } from './net.js';

export async function viewJobs(gen) {
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
    if (!dry && !(await confirmAction('立即运行任务', [['任务', j.title], ['计划', j.schedule_text || j.schedule]],
      makesBatches ? '立即运行会按当前已审核的名单生成发放批次（批次生成后冻结，不可修改）。可先“试运行”查看将生成的批次。' : '立即运行该任务。',
      '确认运行'))) return;
    const r = await api('POST', `/jobs/${encodeURIComponent(j.name)}/run${dry ? '?dry_run=true' : ''}`);
    showRun(result, j, r);
    jobs = (await api('GET', '/jobs')).items;
    showJobs();
    await loadRuns();
  });
  const showJobs = () => jobsBox.replaceChildren(table([
    { h: '任务', f: (j) => j.title || j.name }, { h: '计划', f: (j) => j.schedule_text || el('code', {}, j.schedule) },
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
      { h: '实例', f: (r) => el('code', {}, r.instance) }, { h: '方式', f: (r) => ({ schedule: '按计划', catch_up: '补运行', manual: '手动' }[r.trigger] || r.trigger) + (r.dry_run ? '（试运行）' : '') },
      { h: '状态', f: (r) => badge(RUN_STATUS, r.status) }, { h: '错误', f: (r) => r.error },
    ], l.items, { caption: '最近运行记录', empty: '暂无运行记录', id: 'job-runs' }));
  };
  showJobs();
  if (!page(gen, '定时任务', card('任务', jobsBox), result, card('运行记录', runsBox))) return;
  await loadRuns();
}

export function showRun(box, j, r) {
  const made = r.made || {};
  const batches = made.batches || [];
  const held = made.held || [];
  box.replaceChildren(card(`${r.dry_run ? '试运行' : '运行'}结果：${j.title || j.name}`,
    el('p', { class: r.status === 'succeeded' ? 'ok' : 'error', role: 'status', id: 'job-status' },
      r.status === 'succeeded' ? `运行成功${r.dry_run ? '（试运行，未生成任何批次）' : ''}，${batches.length} 个批次。` : `运行${(RUN_STATUS[r.status] || [r.status])[0]}${r.error ? `：${r.error}` : ''}`),
    table([
      { h: '批次号', f: (b) => (b.id ? el('a', { href: `#/batches/${b.id}` }, b.number) : b.number) },
      { h: '资助项目', f: (b) => programName(b.program) },
      { h: '笔数', num: true, f: (b) => b.lines }, { h: '金额（元）', num: true, f: (b) => yuan(b.total_fen) },
    ], batches, { caption: r.dry_run ? '将生成的批次' : '生成的批次', empty: '没有需要生成的批次', id: 'job-batches' }),
    held.length ? table([{ h: '姓名', f: (h) => h.name }, { h: '学校', f: (h) => h.school_name }, { h: '暂缓原因', f: (h) => h.reason }], held,
      { caption: `暂缓发放（${held.length} 人）：学校补录或更正银行账户后进入下一批次`, id: 'job-held' }) : ''));
}
