package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"studentaid/model"
)

// LineView is a batch line as a caller may see it: full ID and account for
// finance and auditors (hard rule 4), masked for everyone else.
type LineView struct {
	model.BatchLine
	IDNumber    string
	BankAccount string
}

// LineFilter narrows and orders GET /batches/{id}/lines.
type LineFilter struct {
	Status string
	Q      string // any part of the name, a full ID number, or its last digits
	Sort   string // one of lineSorts; empty: the ledger's order (seq)
	Page   Page
}

// lineSorts are the orders a batch's lines can be listed in, each ending on
// seq, the ledger's 序号, so that pages never overlap.
var lineSorts = map[string]string{
	"":        "seq",
	"seq":     "seq",
	"-seq":    "seq DESC",
	"name":    "name, seq",
	"-name":   "name DESC, seq",
	"school":  "school_code, seq",
	"-school": "school_code DESC, seq",
	"grade":   "stage, grade, seq",
	"-grade":  "stage DESC, grade DESC, seq",
	"amount":  "amount_fen, seq",
	"-amount": "amount_fen DESC, seq",
	"status":  "status, seq",
	"-status": "status DESC, seq",
}

// LinePage is a page of a batch's lines, with the amount of all the lines
// the filter keeps (the list's 合计 row, not only the page's).
type LinePage struct {
	List[LineView]
	TotalFen model.Fen
}

// ListBatchLines lists a batch's lines in the ledger's order.
func (s *Batches) ListBatchLines(ctx context.Context, a model.Actor, id int64, status string, p Page) (List[LineView], error) {
	l, err := s.ListLines(ctx, a, id, LineFilter{Status: status, Page: p})
	return l.List, err
}

// lineQuery is the batch's lines the filter keeps and their order, once the
// actor may see the batch.
func (s *Batches) lineQuery(db *gorm.DB, a model.Actor, id int64, f LineFilter) (*gorm.DB, string, model.Batch, error) {
	order, err := sortOrder(lineSorts, f.Sort)
	if err != nil {
		return nil, "", model.Batch{}, err
	}
	b, err := s.batch(db, a, id)
	if err != nil {
		return nil, "", b, err
	}
	q := db.Model(&model.BatchLine{}).Where("batch_id = ?", id)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if qs := strings.TrimSpace(f.Q); qs != "" {
		if utf8.RuneCountInString(qs) > maxQueryRunes {
			return nil, "", b, invalid("查询内容不能超过 %d 个字（姓名、完整的身份证件号或其末几位）", maxQueryRunes)
		}
		q = s.searchLines(db, q, qs)
	}
	return q, order, b, nil
}

// searchLines narrows a batch's lines as searchStudents narrows students,
// on the line's own name and masked number (what the ledger says, even if
// the file was corrected since): a full ID number goes through the keyed
// hash of the student it was paid to, never a LIKE on a plain number.
func (s *Batches) searchLines(db, q *gorm.DB, search string) *gorm.DB {
	if id, err := model.ParseIDNumber(model.IDTypeResident, search, s.opt.Now()); err == nil {
		return q.Where("student_id IN (?)", db.Table("students").Select("id").Where("id_hash = ?", s.idLookup(id)))
	}
	if idTail.MatchString(search) {
		return q.Where("id_masked LIKE ?", "%"+strings.ToUpper(search))
	}
	return q.Where("name LIKE ? ESCAPE '!'", "%"+likeEscape(search)+"%")
}

// ListLines lists a page of a batch's lines, filtered and in the filter's
// order, with the count and amount of all the lines the filter keeps.
func (s *Batches) ListLines(ctx context.Context, a model.Actor, id int64, f LineFilter) (LinePage, error) {
	out := LinePage{List: List[LineView]{Page: f.Page.Normalize()}}
	q, order, _, err := s.lineQuery(s.reader(ctx), a, id, f)
	if err != nil {
		return out, err
	}
	var t struct {
		N   int64
		Fen model.Fen
	}
	if err := q.Session(&gorm.Session{}).Select("COUNT(*) AS n, COALESCE(SUM(amount_fen), 0) AS fen").Scan(&t).Error; err != nil {
		return out, err
	}
	out.Total, out.TotalFen = t.N, t.Fen
	var lines []model.BatchLine
	if err := out.Page.apply(q.Order(order)).Find(&lines).Error; err != nil {
		return out, err
	}
	out.Items, err = s.lineViews(a, lines)
	return out, err
}

// lineViews opens the lines' sealed numbers for finance and auditors and
// masks them for everyone else.
func (s *Batches) lineViews(a model.Actor, lines []model.BatchLine) ([]LineView, error) {
	full := a.Is(model.RoleFinance, model.RoleAuditor)
	out := make([]LineView, 0, len(lines))
	for _, l := range lines {
		v := LineView{BatchLine: l, IDNumber: l.IDMasked, BankAccount: l.AccountMasked}
		no, err := s.keys.Open(l.StudentNo)
		if err != nil {
			return nil, err
		}
		v.StudentNo = model.MaskStudentNo(no)
		if full {
			v.StudentNo = no
			if v.IDNumber, err = s.keys.Open(l.IDEnc); err != nil {
				return nil, err
			}
			if v.BankAccount, err = s.keys.Open(l.AccountEnc); err != nil {
				return nil, err
			}
		}
		v.IDEnc, v.AccountEnc = "", ""
		out = append(out, v)
	}
	return out, nil
}
