package service

import (
	"context"
	"strconv"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// AuditRow is an audit entry with what an auditor reads beside the codes:
// the action and object kind in Chinese, the object's own name (the
// student's name, the batch's number and program, the school's list) and
// the change in words.
type AuditRow struct {
	model.AuditEntry
	ActionLabel string
	EntityLabel string
	Object      string
	Change      string
}

// ListAuditRows is ListAudit with the words filled in.
func (s *Audit) ListAuditRows(ctx context.Context, a model.Actor, f AuditFilter) (List[AuditRow], error) {
	l, err := s.ListAudit(ctx, a, f)
	out := List[AuditRow]{Total: l.Total, Page: l.Page, Items: []AuditRow{}}
	if err != nil {
		return out, err
	}
	out.Items, err = auditRows(s.reader(ctx), a, l.Items)
	return out, err
}

func auditRows(db *gorm.DB, a model.Actor, entries []model.AuditEntry) ([]AuditRow, error) {
	objects, err := auditObjects(db, a, entries)
	if err != nil {
		return nil, err
	}
	out := make([]AuditRow, len(entries))
	for i, e := range entries {
		out[i] = AuditRow{AuditEntry: e, ActionLabel: AuditLabel(AuditActions, e.Action), EntityLabel: AuditLabel(AuditEntities, e.Entity),
			Object: objects[e.Entity+":"+e.EntityID], Change: AuditChange(e.BeforeJSON, e.AfterJSON)}
	}
	return out, nil
}

// auditObjectNames are, per kind of object, the query naming its ids: one
// query per kind on a page, never one per entry.
var auditObjectNames = map[string]string{
	"student": `SELECT id, name AS label FROM students WHERE id IN ?`,
	"entitlement": `SELECT ent.id, s.name AS label FROM entitlements ent
		JOIN students s ON s.id = ent.student_id WHERE ent.id IN ?`,
	"batch":  `SELECT id, number AS label, program AS extra FROM batches WHERE id IN ?`,
	"school": `SELECT id, name AS label FROM schools WHERE id IN ?`,
	"aid_list": `SELECT l.id, sc.name AS label, l.program AS extra, l.term AS extra2 FROM aid_lists l
		JOIN schools sc ON sc.id = l.school_id WHERE l.id IN ?`,
	"user": `SELECT id, username AS label FROM users WHERE id IN ?`,
}

// auditObjects names the objects of the entries, keyed "entity:id". Admin
// reads the log but never students' files, so gets no students' names.
func auditObjects(db *gorm.DB, a model.Actor, entries []model.AuditEntry) (map[string]string, error) {
	ids := map[string][]int64{}
	for _, e := range entries {
		if _, ok := auditObjectNames[e.Entity]; !ok {
			continue
		}
		if a.Is(model.RoleAdmin) && (e.Entity == "student" || e.Entity == "entitlement") {
			continue
		}
		if id, err := strconv.ParseInt(e.EntityID, 10, 64); err == nil {
			ids[e.Entity] = append(ids[e.Entity], id)
		}
	}
	out := map[string]string{}
	for entity, list := range ids {
		var rows []struct {
			ID                   int64
			Label, Extra, Extra2 string
		}
		if err := db.Raw(auditObjectNames[entity], list).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			label := r.Label
			if p, ok := model.ProgramByCode(r.Extra); ok {
				label += " " + p.Name
			}
			if t, err := model.ParseTerm(r.Extra2); err == nil {
				label += " " + t.Label()
			}
			out[entity+":"+strconv.FormatInt(r.ID, 10)] = label
		}
	}
	return out, nil
}

// AuditWorkbook exports the filtered log as .xlsx in the words of the page,
// in the list's order (newest first unless sorted), up to maxExportRows entries. The download is itself audited.
func (s *Audit) AuditWorkbook(ctx context.Context, a model.Actor, f AuditFilter) ([]byte, error) {
	q, err := s.auditQuery(ctx, a, f)
	if err != nil {
		return nil, err
	}
	if err := checkExportSize(q, "共 %d 条，超过单次导出上限 %d 条：请缩小日期范围或按操作、对象筛选后导出"); err != nil {
		return nil, err
	}
	var entries []model.AuditEntry
	if err := q.Order(auditSorts[f.Sort]).Find(&entries).Error; err != nil {
		return nil, err
	}
	rows, err := auditRows(s.reader(ctx), a, entries)
	if err != nil {
		return nil, err
	}
	out := ledger.List{Title: "审计日志", Sheet: "审计日志", At: s.now(), Columns: []ledger.ListColumn{
		{Header: "序号", Width: 8, Count: true}, {Header: "时间（北京时间）", Width: 17}, {Header: "操作人", Width: 16},
		{Header: "角色", Width: 14}, {Header: "操作", Width: 12}, {Header: "对象", Width: 14}, {Header: "对象名称", Width: 36},
		{Header: "内容", Width: 70}, {Header: "来源 IP", Width: 16}}}
	for _, r := range rows {
		out.Rows = append(out.Rows, []any{r.ID, r.At.In(model.Shanghai()).Format("2006-01-02 15:04:05"), r.ActorName,
			model.Role(r.Role).Label(), r.ActionLabel, r.EntityLabel, r.Object, r.Change, r.ClientIP})
	}
	b, err := ledger.WriteList(out)
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "audit", "", nil, map[string]any{"rows": len(rows), "action": f.Action, "entity": f.Entity})
	return b, nil
}
