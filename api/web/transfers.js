// 转学申请: a school that finds its roster row refused because the pupil is
// enrolled elsewhere this school year asks for the pupil here; the pupil's
// current school (or its county) agrees, which marks the old enrolment 转出,
// or refuses with a reason. Until then nothing in the pupil's file changes.

import { state } from './state.js';
import { fmtTime, isRole, yearsAround } from './format.js';
import { el, nextID, field, input, select, schoolSelect, errorSlot, showError, busy, table, card, confirmAction, page, rerender } from './dom.js';
import { api, qs } from './net.js';

const STATUS = { pending: ['待原学校确认', 'warn'], accepted: ['已同意', 'ok'], rejected: ['未同意', 'bad'] };

export async function viewTransfers(gen) {
  const status = state.query.get('status') || 'pending';
  const l = await api('GET', `/transfers${qs({ status, page_size: 200 })}`);
  const incoming = l.items.filter((t) => t.can_decide);
  const outgoing = l.items.filter((t) => !t.can_decide);
  const filter = select('status', [['pending', '待确认'], ['accepted', '已同意'], ['rejected', '未同意'], ['', '全部']], status);
  filter.addEventListener('change', () => { location.hash = `#/transfers${qs({ status: filter.value })}`; });
  const cols = [
    { h: '学生', f: (t) => [t.student_id ? el('a', { href: `#/students/${t.student_id}` }, t.name) : t.name, el('br'), t.id_number] },
    { h: '学年', f: (t) => t.school_year },
    { h: '原学校', f: (t) => t.from_school_name },
    { h: '转入学校', f: (t) => t.to_school_name },
    { h: '说明', f: (t) => t.note || '' },
    { h: '申请人', f: (t) => [t.requested_by, el('br'), fmtTime(t.requested_at)] },
    { h: '状态', f: (t) => [el('span', { class: `badge ${STATUS[t.status][1]}` }, STATUS[t.status][0]), t.reason ? [el('br'), t.reason] : ''] },
  ];
  page(gen, '转学申请',
    el('p', { class: 'lead' }, '学生本学年已在其他学校注册时，转入学校提交转学申请；原学校或其县级资助中心同意后，原学籍记为“转出”，转入学校再上传花名册。同意前学生档案不作任何改动；本学期已审核的资助仍由原学校发放，不会重复享受。'),
    await requestCard(),
    card('转出本校（本县）的申请', el('div', { class: 'fields' }, field('状态', filter)),
      table([...cols, { h: '操作', f: (t) => (t.status === 'pending' ? decide(t) : '') }], incoming,
        { id: 'transfers-in', caption: `共 ${incoming.length} 条`, empty: '没有需要处理的转学申请。' })),
    card('本校（本县）提出的申请', table(cols, outgoing, { id: 'transfers-out', caption: `共 ${outgoing.length} 条`, empty: '没有提出的转学申请。' })));
}

async function requestCard() {
  const years = yearsAround(state.term).map((y) => [y, `${y} 学年`]);
  const year = select('school_year', years, state.term.slice(0, 9));
  const id = input('id_number', { autocomplete: 'off', maxlength: '30', placeholder: '18 位身份证号' });
  const note = input('note', { maxlength: '250', placeholder: '如：随父母迁居' });
  const school = isRole('county_officer') ? await schoolSelect('', null) : null;
  const err = errorSlot();
  const go = el('button', { type: 'submit', class: 'primary', id: 'transfer-request' }, '提交转学申请');
  const form = el('form', { class: 'fields' }, field('身份证件号', id, '花名册中被拒绝的那一行的证件号', 'span2'), field('学年', year),
    school ? field('转入学校', school, null, 'span2') : '', field('说明', note, null, 'span2'), el('div', { class: 'field wide' }, go, err));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!id.value.trim()) { showError(err, new Error('请填写身份证件号'), id); id.focus(); return; }
    busy(go, err, async () => {
      const t = await api('POST', '/transfers', { id_number: id.value.trim(), school_year: year.value, note: note.value.trim(),
        school_id: school ? Number(school.value) : 0 });
      rerender(`已提交 ${t.name} 的转学申请，等待${t.from_school_name}确认。`);
    });
  });
  return card('申请转入', form);
}

function decide(t) {
  const err = errorSlot();
  const ok = el('button', { type: 'button', class: 'primary', 'data-transfer': t.id }, '同意转出');
  const no = el('button', { type: 'button', class: 'danger', 'data-transfer-reject': t.id }, '不同意');
  const reason = el('textarea', { name: 'reason', id: nextID('transfer-reason'), rows: '2', maxlength: '250' });
  const facts = [['学生', `${t.name}（${t.id_number}）`], ['学年', t.school_year], ['转入学校', t.to_school_name]];
  ok.addEventListener('click', () => busy(ok, err, async () => {
    if (!await confirmAction('同意转学', facts, '同意后本校该学年学籍记为“转出”，转入学校可上传其花名册。', '确认同意')) return;
    await api('POST', `/transfers/${t.id}/accept`);
    rerender(`已同意 ${t.name} 转出。`);
  }));
  no.addEventListener('click', () => busy(no, err, async () => {
    if (!reason.value.trim()) { showError(err, new Error('请填写不同意的原因'), reason); reason.focus(); return; }
    if (!await confirmAction('不同意转学', [...facts, ['原因', reason.value.trim()]], '学生档案不作改动。', '确认')) return;
    await api('POST', `/transfers/${t.id}/reject`, { reason: reason.value.trim() });
    rerender(`已答复 ${t.name} 的转学申请：不同意。`);
  }));
  return [el('span', { class: 'actions' }, ok, no), field('不同意的原因', reason), err];
}
