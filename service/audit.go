package service

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// AuditFilter selects audit entries; zero values do not filter.
type AuditFilter struct {
	Action   string
	Entity   string
	EntityID string
	Actor    string
	From, To time.Time
	Sort     string // one of auditSorts; empty: the newest first
	Page     Page
}

// ListAudit is for auditors and admins only.
func (s *Audit) ListAudit(ctx context.Context, a model.Actor, f AuditFilter) (List[model.AuditEntry], error) {
	q, err := s.auditQuery(ctx, a, f)
	if err != nil {
		return List[model.AuditEntry]{}, err
	}
	out := List[model.AuditEntry]{Page: f.Page.Normalize()}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	err = out.Page.apply(q.Order(auditSorts[f.Sort])).Find(&out.Items).Error
	return out, err
}

// auditQuery is the filtered log, for the page and for its export.
func (s *Audit) auditQuery(ctx context.Context, a model.Actor, f AuditFilter) (*gorm.DB, error) {
	if !a.Is(model.RoleAuditor, model.RoleAdmin) {
		return nil, errRoleForbidden
	}
	if _, err := sortOrder(auditSorts, f.Sort); err != nil {
		return nil, err
	}
	// A county auditor reads its county's entries (its entities and its
	// users' actions), a city auditor the city's, an admin all (API.md).
	q := inScopeRegions(s.reader(ctx).Model(&model.AuditEntry{}), a, "region_code")
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Entity != "" {
		q = q.Where("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	if f.Actor != "" {
		q = q.Where("actor_name = ?", f.Actor)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	return q, nil
}

// AuditCheck is the result of walking the chain.
type AuditCheck struct {
	Entries  int64
	OK       bool
	BrokenAt int64  // the first entry that does not verify
	Problem  string // what is wrong with it
}

// VerifyAudit walks the whole chain in id order, recomputing every keyed
// hash: an edited row, a deleted row (a gap in the sequence) or a cut tail
// (the head no longer matches) all break it. The last anchor exported outside
// the database must still be in the chain, with the same hash: that catches
// a tail cut together with a rewritten head, and a rewrite by someone who
// holds the data key, up to the anchor.
func (s *Audit) VerifyAudit(ctx context.Context, a model.Actor) (AuditCheck, error) {
	if !a.Is(model.RoleAuditor, model.RoleAdmin) {
		return AuditCheck{}, errRoleForbidden
	}
	anchor, anchored, err := s.lastAnchor()
	if err != nil {
		return AuditCheck{}, err
	}
	res := AuditCheck{OK: true}
	prev := zeroHash
	var lastID int64
	fail := func(id int64, why string) {
		if res.OK {
			res.OK, res.BrokenAt, res.Problem = false, id, why
		}
	}
	var batch []model.AuditEntry
	err = s.db.WithContext(ctx).Order("id").FindInBatches(&batch, 2000, func(_ *gorm.DB, _ int) error {
		for _, e := range batch {
			res.Entries++
			switch {
			case e.ID != lastID+1:
				fail(e.ID, fmt.Sprintf("第 %d 条之前缺少记录（上一条是第 %d 条）", e.ID, lastID))
			case e.PrevHash != prev:
				fail(e.ID, "记录中的前一条哈希与前一条记录不符")
			case s.keys.entryHash(e) != e.Hash:
				fail(e.ID, "记录内容与其哈希不符（被修改过，或不是用本系统的密钥写入的）")
			case anchored && e.ID == anchor.Seq && e.Hash != anchor.Hash:
				fail(e.ID, fmt.Sprintf("第 %d 条与 %s 导出的外部锚点不符（日志被重写过）", e.ID, anchor.At.In(model.Shanghai()).Format("2006-01-02 15:04")))
			}
			prev, lastID = e.Hash, e.ID
		}
		return nil
	}).Error
	if err != nil {
		return res, err
	}
	head, err := readAuditHead(s.db.WithContext(ctx))
	if err != nil {
		return res, err
	}
	if head.Seq != lastID || head.LastHash != prev {
		fail(lastID+1, fmt.Sprintf("日志末尾缺少记录：链头指向第 %d 条", head.Seq))
	}
	if anchored && lastID < anchor.Seq {
		fail(lastID+1, fmt.Sprintf("日志在外部锚点（第 %d 条）之前被截断", anchor.Seq))
	}
	return res, nil
}

// AuditActor is someone who appears in the log: the login name and a role
// their entries were made in (one of them, should the role have changed).
type AuditActor struct {
	Username string
	Role     string
}

// AuditActors lists the distinct actors of the entries the caller may read
// (the same scope as ListAudit), by name, for the log's actor filter: an
// auditor learns no user outside the entries already open to them.
func (s *Audit) AuditActors(ctx context.Context, a model.Actor) ([]AuditActor, error) {
	q, err := s.auditQuery(ctx, a, AuditFilter{})
	if err != nil {
		return nil, err
	}
	var out []AuditActor
	err = q.Select("actor_name AS username, MAX(role) AS role").Group("actor_name").Order("actor_name").Scan(&out).Error
	return out, err
}
