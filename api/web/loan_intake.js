// 受理: the county officer takes one loan application at the desk, the
// student and the co-borrower in front of them. Entries are checked field
// by field before anything is sent; the amount granted is the server's
// (capped at the year's limit, tuition and accommodation first).

import { state } from './state.js';
import { yuan, parseYuan, yearsAround } from './format.js';
import { el, checkedField, select, input, errorSlot, showError, busy, confirmAction, rerender } from './dom.js';
import { api } from './net.js';
import { LOAN_LEVEL } from './loans.js';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

// idProblem says what is wrong with an 18-digit resident ID number
// (GB 11643: the last character is a check digit), or '' when it reads.
export function idProblem(v) {
  const s = v.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return '须为 18 位，最后一位可为 X';
  const sum = WEIGHTS.reduce((t, w, i) => t + w * Number(s[i]), 0);
  return '10X98765432'[sum % 11] === s[17] ? '' : '校验位错误，请核对';
}

const text = (name, id, attrs) => input(name, { id, ...attrs });

// applyForm is the 受理 form; the response's granted amount is shown in the
// message on top of the page drawn again.
export function applyForm() {
  const years = yearsAround(state.term).map((y) => [y, `${y} 学年`]);
  const f = {
    year: checkedField('学年', select('school_year', years, state.term.slice(0, 9))),
    name: checkedField('学生姓名', text('name', 'apply-name', { maxlength: '30', autocomplete: 'off' })),
    id: checkedField('学生身份证号', text('id_number', 'apply-id', { maxlength: '18', autocomplete: 'off' })),
    coName: checkedField('共同借款人姓名', text('co_name', 'apply-co-name', { maxlength: '30', autocomplete: 'off' })),
    coID: checkedField('共同借款人身份证号', text('co_id_number', 'apply-co-id', { maxlength: '18', autocomplete: 'off' })),
    relation: checkedField('与学生关系', text('relation', 'apply-relation', { maxlength: '8' }), '如 父子、母女、监护人'),
    phone: checkedField('共同借款人电话', text('phone', 'apply-phone', { inputmode: 'tel', maxlength: '20' })),
    university: checkedField('就读高校', text('university', 'apply-university', { maxlength: '100' })),
    code: checkedField('高校代码', text('university_code', 'apply-university-code', { inputmode: 'numeric', maxlength: '5' }), '教育部 5 位院校代码'),
    level: checkedField('学历层次', select('level', Object.entries(LOAN_LEVEL), 'undergraduate')),
    years: checkedField('学制（年）', text('years', 'apply-years', { type: 'number', min: '1', max: '8', value: '4' })),
    entry: checkedField('入学年份', text('entry_year', 'apply-entry', { type: 'number', min: '1990', value: state.term.slice(0, 4) })),
    tuition: checkedField('学费（元/年）', text('tuition', 'apply-tuition', { inputmode: 'decimal' })),
    accommodation: checkedField('住宿费（元/年）', text('accommodation', 'apply-accommodation', { inputmode: 'decimal' })),
    living: checkedField('生活费（元/年）', text('living', 'apply-living', { inputmode: 'decimal' })),
    difficulty: checkedField('困难证明类型', text('difficulty', 'apply-difficulty', { maxlength: '40' }), '电子档案中没有困难认定时填写，如 低保、特困供养'),
  };
  f.level.control.id = 'apply-level';
  const fields = Object.values(f);
  const err = errorSlot();
  err.id = 'apply-error';
  const save = el('button', { type: 'submit', class: 'primary', id: 'apply-submit' }, '受理');
  const form = el('form', { class: 'fields', novalidate: true, id: 'apply-form' }, fields.map((x) => x.node), el('div', { class: 'field' }, save, err));

  const check = () => {
    const v = (x) => x.control.value.trim();
    const chars = (s) => [...s].length;
    if (chars(v(f.name)) < 2 || chars(v(f.name)) > 30) return f.name.fail('学生姓名须为 2–30 个字');
    if (idProblem(v(f.id))) return f.id.fail(`学生身份证号${idProblem(v(f.id))}`);
    if (chars(v(f.coName)) < 2 || chars(v(f.coName)) > 30) return f.coName.fail('共同借款人姓名须为 2–30 个字');
    if (idProblem(v(f.coID))) return f.coID.fail(`共同借款人身份证号${idProblem(v(f.coID))}`);
    if (v(f.coID).toUpperCase() === v(f.id).toUpperCase()) return f.coID.fail('共同借款人不能是学生本人');
    if (!v(f.relation)) return f.relation.fail('请填写共同借款人与学生的关系');
    if (!/^1\d{10}$/.test(v(f.phone).replace(/[\s-]/g, ''))) return f.phone.fail('请填写 11 位手机号码');
    if (!v(f.university)) return f.university.fail('请填写就读高校名称');
    if (!/^\d{5}$/.test(v(f.code))) return f.code.fail('高校代码应为 5 位数字');
    const years = Number(v(f.years));
    if (!Number.isInteger(years) || years < 1 || years > 8) return f.years.fail('学制须为 1–8 年');
    const entry = Number(v(f.entry));
    const first = Number(f.year.control.value.slice(0, 4));
    if (!Number.isInteger(entry) || entry < 1990 || first < entry || first >= entry + years) return f.entry.fail(`${f.year.control.value} 学年不在入学年份起的学制之内`);
    const fen = {};
    for (const [k, x] of [['tuition_fen', f.tuition], ['accommodation_fen', f.accommodation], ['living_fen', f.living]]) {
      fen[k] = v(x) === '' ? 0 : parseYuan(v(x));
      if (fen[k] === null) return x.fail('须为金额，最多两位小数，如 6000.00');
    }
    if (fen.tuition_fen + fen.accommodation_fen + fen.living_fen <= 0) return f.tuition.fail('申请金额须大于 0');
    return { school_year: f.year.control.value, id_number: v(f.id).toUpperCase(), name: v(f.name),
      co_borrower: { name: v(f.coName), id_number: v(f.coID).toUpperCase(), relation: v(f.relation), phone: v(f.phone).replace(/[\s-]/g, '') },
      university: v(f.university), university_code: v(f.code), level: f.level.control.value, years, entry_year: entry, ...fen, difficulty: v(f.difficulty) };
  };
  // A refusal the server can pin on one entry is shown under it.
  const FIELD_OF = { loan_exists: f.id, name_mismatch: f.name, deadline_passed: f.year, cumulative_limit: f.tuition, no_difficulty: f.difficulty };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const x of fields) x.clear();
    showError(err, null);
    const b = check();
    if (!b) return;
    const asked = b.tuition_fen + b.accommodation_fen + b.living_fen;
    if (!await confirmAction('受理贷款申请', [['借款学生', b.name], ['学年', `${b.school_year} 学年`], ['高校', `${b.university}（${b.university_code}）· ${LOAN_LEVEL[b.level]}`],
      ['共同借款人', `${b.co_borrower.name}（${b.co_borrower.relation}）`], ['申请金额', `${yuan(asked)} 元/年`]],
    '贷款金额按学年开始时的年度额度核定，先保学费和住宿费。', '确认受理')) return;
    busy(save, err, async () => {
      let app;
      try {
        app = await api('POST', '/loans/applications', b);
      } catch (e) {
        if (!FIELD_OF[e.code]) throw e;
        FIELD_OF[e.code].fail(e.message);
        return;
      }
      rerender(`已受理 ${b.name} 的贷款申请，核定贷款 ${yuan(app.granted_fen)} 元。`);
    });
  });
  return form;
}
