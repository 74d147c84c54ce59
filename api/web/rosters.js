import { state } from './state.js';
import { isRole, yearsAround } from './format.js';
import { el, field, select, schoolSelect, errorSlot, showError, busy, table, stat, card, page } from './dom.js';
import { api, download, upload, errorOf, qs } from './net.js';

export async function viewRosters(gen) {
  const years = yearsAround(state.term).map((y) => [y, `${y} 学年`]);
  const tplYear = select('school_year', years, state.term.slice(0, 9));
  const tplErr = errorSlot();
  const tplBtn = el('button', { type: 'button', id: 'template-download' }, '下载花名册模板');
  tplBtn.addEventListener('click', () => busy(tplBtn, tplErr, () => download(`/rosters/template${qs({ school_year: tplYear.value })}`, '花名册模板.xlsx')));
  const xlsBtn = el('button', { type: 'button', id: 'template-download-xls' }, '下载 .xls 模板（WPS、Excel 2003）');
  xlsBtn.addEventListener('click', () => busy(xlsBtn, tplErr, () => download(`/rosters/template${qs({ school_year: tplYear.value, format: 'xls' })}`, '花名册模板.xls')));

  const year = select('school_year', years, state.term.slice(0, 9));
  year.id = 'roster-year';
  const school = isRole('county_officer') ? await schoolSelect('', '按每行的学校标识码') : null;
  const mode = el('fieldset', {}, el('legend', {}, '导入方式'),
    el('label', {}, el('input', { type: 'radio', name: 'mode', value: 'all_or_nothing', checked: true }), ' 全部正确才导入'),
    el('label', {}, el('input', { type: 'radio', name: 'mode', value: 'valid_rows' }), ' 只导入正确的行'));
  const dry = el('input', { type: 'checkbox', name: 'dry_run', id: 'roster-dry' });
  const file = el('input', { type: 'file', name: 'file', id: 'roster-file', accept: '.xlsx,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel', required: true });
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
    field('花名册文件（.xlsx 或 .xls）', file, '请使用本系统的模板；身份证件号列须设为文本格式', true),
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
    card('下载模板', el('p', {}, '模板含下拉选项和示例行；每个学年一份，按模板填写后上传。使用 WPS 或 Excel 2003 保存为 .xls 的，可下载 .xls 模板（不含示例行，各学年通用）。'),
      el('div', { class: 'fields' }, field('学年', tplYear), el('div', { class: 'field' }, tplBtn, xlsBtn, tplErr))),
    card('上传花名册', form), result);
}

export function showRosterReport(box, rep) {
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
