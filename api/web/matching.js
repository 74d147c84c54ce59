// 跨部门比对 (county): another department's list (民政低保, 乡村振兴, 残联,
// 死亡名单) against the county's files; students whose file disagrees are
// listed with their pending aid and a link to their file, and the findings
// go to 异常情况.

import { state } from './state.js';
import { yuan, ENT_STATUS, programName, termLabel, yearsAround } from './format.js';
import { el, badge, field, select, errorSlot, showError, busy, table, card, stat, page } from './dom.js';
import { upload, errorOf } from './net.js';

const KINDS = [['dibao', '民政低保/特困供养名单'], ['poverty', '乡村振兴脱贫/监测对象名单'], ['disability', '残联残疾人证名单'], ['death', '死亡人员名单']];

function students(list, caption, id) {
  return table([
    { h: '姓名', f: (m) => el('a', { href: `#/students/${m.student_id}` }, m.name) },
    { h: '身份证件号', f: (m) => m.id_number },
    { h: '学校', f: (m) => m.school_name },
    { h: '年级', f: (m) => m.grade },
    { h: '困难等级与类型', f: (m) => [m.level, m.categories].filter(Boolean).join('：') },
    { h: '问题', f: (m) => (m.problems || []).join('；') },
    { h: '待发放的资助', f: (m) => (m.pending_aid || []).map((p) => el('div', {}, `${programName(p.program)} ${termLabel(p.term)} ${yuan(p.amount_fen)} 元 `, badge(ENT_STATUS, p.status))) },
  ], list, { caption, id, empty: '无' });
}

export async function viewMatching(gen) {
  const kind = select('kind', KINDS, 'dibao');
  const year = select('school_year', yearsAround(state.term).map((y) => [y, `${y} 学年`]), state.term.slice(0, 9));
  const file = el('input', { type: 'file', name: 'file', id: 'matching-file', accept: '.xlsx' });
  const err = errorSlot();
  const go = el('button', { type: 'submit', class: 'primary', id: 'matching-submit' }, '上传并比对');
  const out = el('div', { id: 'matching-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'fields', novalidate: true }, field('名单类别', kind, null, 'span2'), field('学年', year),
    field('部门名单（.xlsx）', file, '第一行为表头，须有“身份证件号”列（也可写作身份证号、证件号码），可有“姓名”列', true),
    el('div', { class: 'field wide' }, go, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!file.files.length) { showError(err, new Error('请选择部门提供的名单文件'), file); return; }
    showError(err, null, file);
    busy(go, err, async () => {
      const fd = new FormData();
      fd.set('file', file.files[0]);
      fd.set('kind', kind.value);
      fd.set('school_year', year.value);
      const { status, body } = await upload('/matching', fd);
      if (status !== 200) throw errorOf(status, body);
      out.replaceChildren(card(`比对结果：${body.kind_label}（${body.school_year} 学年）`,
        el('ul', { class: 'stats' }, stat('名单行数', body.rows, 'match-rows'), stat('与档案一致', body.matched), stat('档案中没有', body.unmatched),
          stat('新发现异常', body.findings_opened), stat('已消除异常', body.findings_resolved)),
        body.invalid.length ? table([{ h: '行号', num: true, f: (p) => p.row }, { h: '列', f: (p) => p.column }, { h: '问题', f: (p) => p.message }],
          body.invalid, { caption: `名单中无法识别的行（${body.invalid.length}）` }) : '',
        students(body.on_list_disagree, '在名单上、但档案不一致的学生', 'match-on-list'),
        students(body.not_on_list, '档案有此类别、但不在名单上的学生', 'match-not-on-list'),
        body.not_on_list_note ? el('p', { class: 'info' }, body.not_on_list_note) : '',
        el('p', {}, '比对发现的问题已记入', el('a', { href: '#/anomalies' }, '异常情况'), '，请逐一核实；不应享受的资助可在', el('a', { href: '#/corrections' }, '撤销、扣回与更正'), '处理。')));
    });
  });
  page(gen, '跨部门比对', el('p', { class: 'lead' }, '上传民政、乡村振兴、残联或公安（死亡）部门的名单，与本县学生档案逐人比对；名单只用于比对，不保存。'), card('上传名单', form), out);
}
