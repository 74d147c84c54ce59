import { state } from './state.js';
import { yuan, fmtTime, BATCH_STATUS, LINE_STATUS, programName, termLabel, isRole } from './format.js';
import { el, badge, field, input, select, programSelect, termSelect, errorSlot, showError, busy, table, pager, facts, card, confirmAction, page, rerender } from './dom.js';
import { api, download, upload, errorOf, qs, regions } from './net.js';

export async function viewBatches(gen) {
  const term = termSelect(state.query.get('term') || '', true);
  const program = programSelect(state.query.get('program') || '', true);
  const status = select('status', [['', '全部状态'], ...Object.entries(BATCH_STATUS).map(([k, [t]]) => [k, t])], state.query.get('status') || '');
  const err = errorSlot();
  const out = el('div', { 'aria-live': 'polite' });
  let sort = '';
  const filter = () => ({ term: term.value, program: program.value, status: status.value, sort });
  const exp = el('button', { type: 'button', id: 'batches-export' }, '导出Excel');
  exp.addEventListener('click', () => busy(exp, err, () => download(`/batches.xlsx${qs(filter())}`, '发放批次.xlsx')));
  const load = async (pageNo = 1) => {
    const l = await api('GET', `/batches${qs({ ...filter(), page: pageNo, page_size: 50 })}`);
    out.replaceChildren(table([
      { h: '批次号', sort: 'number', f: (b) => el('a', { href: `#/batches/${b.id}` }, b.number) },
      { h: '资助项目', sort: 'program', f: (b) => programName(b.program) }, { h: '学期', sort: 'term', f: (b) => termLabel(b.term) },
      { h: '笔数', num: true, sort: 'lines', f: (b) => b.lines }, { h: '金额（元）', num: true, sort: 'amount', f: (b) => yuan(b.total_fen) },
      { h: '状态', sort: 'status', f: (b) => badge(BATCH_STATUS, b.status) }, { h: '生成时间', sort: 'created', f: (b) => fmtTime(b.created_at) },
    ], l.items, { caption: '发放批次', empty: '没有符合条件的批次', id: 'batches',
      sort: { key: sort, go: (k) => { sort = k; load().catch((e) => showError(err, e)); } },
      foot: l.total <= l.items.length ? ['合计', '', '', l.items.reduce((t, b) => t + b.lines, 0), yuan(l.items.reduce((t, b) => t + b.total_fen, 0)), '', ''] : null }),
    pager(l.total, l.page, l.page_size, (p) => load(p).catch((e) => showError(err, e))));
  };
  for (const c of [term, program, status]) c.addEventListener('change', () => load().catch((e) => showError(err, e)));
  if (!page(gen, '发放批次', card('筛选', el('div', { class: 'fields' }, field('学期', term), field('资助项目', program), field('状态', status)),
    el('p', { class: 'actions' }, exp), err), out)) return;
  await load();
}

export async function viewBatch(gen, id) {
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
        ['笔数', `${b.lines} 笔`], ['金额合计', `${yuan(b.total_fen)} 元`], ['大写', b.total_capital]], '审核后可下载银行代发文件交银行发放；批次一经审核不可更改。', '确认审核');
      if (!ok) return;
      await api('POST', `/batches/${id}/approve`);
      rerender(`批次 ${b.number} 已审核，可以下载银行代发文件。`);
    }));
    buttons.push(approve);
  }
  const sections = [
    card('批次信息', facts([
      ['批次号', b.number], ['区县', `${(rs.find((r) => r.code === b.region_code) || { name: '' }).name}（${b.region_code}）`], ['资助项目', programName(b.program)], ['学期', termLabel(b.term)],
      ['笔数', `${b.lines} 笔`], ['金额合计', `${yuan(b.total_fen)} 元`], ['大写', b.total_capital], ['状态', badge(BATCH_STATUS, b.status)],
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
  page(gen, `批次 ${b.number}（${programName(b.program)}）`, el('p', {}, el('a', { href: '#/batches' }, '← 返回批次列表')), sections);
}

export function resultsUpload(b) {
  const file = el('input', { type: 'file', name: 'file', id: 'results-file', accept: '.xlsx' });
  const err = errorSlot();
  err.id = 'results-error';
  const problems = el('div', { id: 'results-problems', class: 'field wide' });
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

export async function batchLines(id, byStatus) {
  const failed = byStatus.failed || 0;
  const status = select('status', [['', '全部明细'], ...Object.entries(LINE_STATUS).map(([k, [t]]) => [k, `${t}（${byStatus[k] || 0}）`])], failed ? 'failed' : '');
  status.id = 'lines-status';
  const q = input('q', { type: 'search', id: 'lines-q' });
  const err = errorSlot();
  const out = el('div', { 'aria-live': 'polite', id: 'batch-lines' });
  let sort = '';
  const load = async (pageNo = 1) => {
    const l = await api('GET', `/batches/${id}/lines${qs({ status: status.value, q: q.value.trim(), sort, page: pageNo, page_size: 100 })}`);
    out.replaceChildren(table([
      { h: '序号', num: true, sort: 'seq', f: (x) => x.seq }, { h: '学校', sort: 'school', f: (x) => x.school_name }, { h: '年级', sort: 'grade', f: (x) => x.grade },
      { h: '姓名', sort: 'name', f: (x) => x.name }, { h: '身份证件号', f: (x) => x.id_number }, { h: '开户银行', f: (x) => x.bank_name },
      { h: '银行卡号', f: (x) => x.bank_account }, { h: '户名', f: (x) => x.holder_name }, { h: '金额（元）', num: true, sort: 'amount', f: (x) => yuan(x.amount_fen) },
      { h: '状态', sort: 'status', f: (x) => badge(LINE_STATUS, x.status) }, { h: '失败原因', f: (x) => x.fail_reason },
    ], l.items, { caption: `发放明细（${l.total} 笔）`, empty: '没有符合条件的明细', id: 'lines',
      sort: { key: sort, go: (k) => { sort = k; load().catch((e) => showError(err, e)); } },
      // 合计: every line the filter keeps, not only this page.
      foot: ['合计', '', '', `${l.total} 笔`, '', '', '', '', yuan(l.total_fen), '', ''] }),
    pager(l.total, l.page, l.page_size, (p) => load(p).catch((e) => showError(err, e))));
  };
  status.addEventListener('change', () => load().catch((e) => showError(err, e)));
  const search = el('button', { type: 'submit', id: 'lines-search' }, '查询');
  // The export is the list as shown: the same status, search and order.
  const exp = el('button', { type: 'button', id: 'lines-export' }, '导出Excel');
  exp.addEventListener('click', () => busy(exp, err, () => download(`/batches/${id}/lines.xlsx${qs({ status: status.value, q: q.value.trim(), sort })}`, '发放明细.xlsx')));
  const form = el('form', { class: 'fields', role: 'search' }, field('显示', status),
    field('姓名或身份证件号', q, '姓名中的任意字，或证件号后几位、完整号码'), el('div', { class: 'field' }, el('p', { class: 'actions' }, search, exp)));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); busy(search, err, () => load()); });
  await load();
  return card(failed ? `发放明细（其中 ${failed} 笔发放失败）` : '发放明细', form, err, out);
}
