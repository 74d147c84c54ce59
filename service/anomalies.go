package service

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// Reading, explaining and exporting the anomaly scan's findings; the scan
// is in scan.go, its rules in rules*.go.

// AnomalyFilter narrows GET /anomalies; zero values do not filter.
type AnomalyFilter struct {
	RegionCode string
	SchoolYear string
	Term       string
	Rule       string
	Status     string
	Q          string // a student's name (any part) or full ID number, or a school's name
	Sort       string // one of anomalySorts; empty: open ones first, newest first
	Page       Page
}

// AnomalyRow is a finding with its school's name.
type AnomalyRow struct {
	model.Anomaly
	SchoolName string
}

// anomalyQuery validates the filter (every value is checked against what it
// can be, so nothing a caller sends reaches SQL as a pattern) and scopes it.
func (s *Anomalies) anomalyQuery(ctx context.Context, a model.Actor, f AnomalyFilter) (*gorm.DB, error) {
	if !a.Is(anomalyReaders...) {
		return nil, errRoleForbidden
	}
	if _, err := sortOrder(anomalySorts, f.Sort); err != nil {
		return nil, err
	}
	q := s.reader(ctx).Table("anomalies an").Joins("LEFT JOIN schools sc ON sc.id = an.school_id")
	q = inScopeRegions(q, a, "an.region_code")
	if f.RegionCode != "" {
		if !regionCodePattern.MatchString(f.RegionCode) {
			return nil, invalid("region_code 须为 6 位区域代码")
		}
		q = q.Where("an.region_code LIKE ?", model.RegionPrefix(f.RegionCode)+"%")
	}
	if f.SchoolYear != "" {
		if model.ParseSchoolYear(f.SchoolYear) != nil {
			return nil, invalid("school_year 格式应为 2025-2026")
		}
		q = q.Where("an.school_year = ?", f.SchoolYear)
	}
	if f.Term != "" {
		t, err := model.ParseTerm(f.Term)
		if err != nil {
			return nil, invalid("term 格式应为 2025-2026-1")
		}
		// A finding about a whole school year (an enrolment, an age) shows
		// under both of its terms.
		q = q.Where("(an.term = ? OR (an.term = '' AND an.school_year = ?))", string(t), t.SchoolYear())
	}
	if f.Rule != "" {
		if _, ok := model.AnomalyRuleByCode(f.Rule); !ok {
			return nil, invalid("未知规则 %q", truncateRunes(f.Rule, 32))
		}
		q = q.Where("an.rule = ?", f.Rule)
	}
	if f.Status != "" {
		switch f.Status {
		case model.AnomalyOpen, model.AnomalyExplained, model.AnomalyResolved:
		default:
			return nil, invalid("status 须为 open、explained 或 resolved")
		}
		q = q.Where("an.status = ?", f.Status)
	}
	if qs := strings.TrimSpace(f.Q); qs != "" {
		if utf8.RuneCountInString(qs) > maxQueryRunes {
			return nil, invalid("查询内容不能超过 %d 个字（学生姓名、完整的身份证件号或学校名称）", maxQueryRunes)
		}
		q = s.searchAnomalies(ctx, q, qs)
	}
	return q, nil
}

// searchAnomalies narrows findings to a student or a school: a full ID
// number through the keyed hash of the finding's student; otherwise any
// part of the student's name, of the school's, or of the summary. A finding
// about several students (a shared account) has no one student: their
// names are in its details (numbers there only masked), searched for a
// name in Chinese only, so that a word such as "name" or a digit does not
// match the JSON's keys and ids.
func (s *Anomalies) searchAnomalies(ctx context.Context, q *gorm.DB, search string) *gorm.DB {
	students := s.reader(ctx).Table("students").Select("id")
	if id, err := model.ParseIDNumber(model.IDTypeResident, search, s.opt.Now()); err == nil {
		return q.Where("an.student_id IN (?)", students.Where("id_hash = ?", s.idLookup(id)))
	}
	like := "%" + likeEscape(search) + "%"
	cond := "an.student_id IN (?) OR sc.name LIKE ? ESCAPE '!' OR an.summary LIKE ? ESCAPE '!'"
	args := []any{students.Where("name LIKE ? ESCAPE '!'", like), like, like}
	if !strings.ContainsFunc(search, func(r rune) bool { return r < utf8.RuneSelf }) {
		cond += " OR an.details_json LIKE ? ESCAPE '!'"
		args = append(args, like)
	}
	return q.Where("("+cond+")", args...)
}

const anomalyOrder = "CASE an.status WHEN 'open' THEN 0 WHEN 'explained' THEN 1 ELSE 2 END, an.id DESC"

// ListAnomalies lists findings in the actor's area, open ones first.
func (s *Anomalies) ListAnomalies(ctx context.Context, a model.Actor, f AnomalyFilter) (List[AnomalyRow], error) {
	out := List[AnomalyRow]{Page: f.Page.Normalize()}
	q, err := s.anomalyQuery(ctx, a, f)
	if err != nil {
		return out, err
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	err = out.Page.apply(q.Select("an.*, sc.name AS school_name").Order(anomalySorts[f.Sort])).Scan(&out.Items).Error
	return out, err
}

// LastAnomalyScan is when the last scan ran (nil before the first).
func (s *Anomalies) LastAnomalyScan(ctx context.Context) (*time.Time, error) {
	var head struct{ LastScanAt *time.Time }
	err := s.db.WithContext(ctx).Raw("SELECT last_scan_at FROM anomaly_scan_head WHERE id = 1").Scan(&head).Error
	return head.LastScanAt, err
}

// GetAnomaly returns one finding the actor may read (404 otherwise).
func (s *Anomalies) GetAnomaly(ctx context.Context, a model.Actor, id int64) (AnomalyRow, error) {
	var row AnomalyRow
	if !a.Is(anomalyReaders...) {
		return row, errRoleForbidden
	}
	err := s.db.WithContext(ctx).Table("anomalies an").Select("an.*, sc.name AS school_name").
		Joins("LEFT JOIN schools sc ON sc.id = an.school_id").Where("an.id = ?", id).Take(&row).Error
	if err != nil {
		return AnomalyRow{}, translate(err, "异常记录")
	}
	if !seesRegion(a, row.RegionCode) {
		return AnomalyRow{}, notFound("异常记录")
	}
	return row, nil
}

// AnomalyUpdate explains a finding (status explained, with a note) or
// reopens one that was explained.
type AnomalyUpdate struct {
	Status string
	Note   string
}

// UpdateAnomaly records the county's explanation of a finding or an
// auditor's reopening of it, audited in the same transaction. The note is
// free text: digit runs that could be ID or account numbers are masked.
func (s *Anomalies) UpdateAnomaly(ctx context.Context, a model.Actor, id int64, u AnomalyUpdate) (AnomalyRow, error) {
	if !a.Is(anomalyReaders...) {
		return AnomalyRow{}, errRoleForbidden
	}
	note := strings.TrimSpace(u.Note)
	note = digitRuns.ReplaceAllStringFunc(note, func(m string) string { return m[:4] + "****" + m[len(m)-4:] })
	switch u.Status {
	case model.AnomalyExplained:
		if note == "" {
			return AnomalyRow{}, invalid("说明异常时须填写说明（note）")
		}
	case model.AnomalyOpen:
	default:
		return AnomalyRow{}, invalid("status 须为 explained（说明）或 open（重新打开）")
	}
	if utf8.RuneCountInString(note) > 1000 {
		return AnomalyRow{}, invalid("说明不能超过 1000 字")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var an model.Anomaly
		if err := tx.First(&an, id).Error; err != nil {
			return translate(err, "异常记录")
		}
		if !seesRegion(a, an.RegionCode) {
			return forbidden("该异常记录不在您的管辖范围内")
		}
		switch {
		case an.Status == model.AnomalyResolved:
			return conflict("该异常已在最近一次扫描中消除，无需说明或重新打开")
		case u.Status == model.AnomalyOpen && an.Status == model.AnomalyOpen:
			return conflict("该异常已是“待核实”状态")
		}
		if u.Status == model.AnomalyOpen && note == "" {
			note = an.Note // reopening keeps the explanation it did not accept
		}
		before := map[string]any{"status": an.Status, "note": an.Note}
		now := s.now()
		res := tx.Model(&model.Anomaly{}).Where("id = ? AND status = ?", id, an.Status).
			Updates(map[string]any{"status": u.Status, "note": note, "updated_by": a.Username, "updated_at": now})
		if res.Error != nil || res.RowsAffected != 1 {
			return firstErr(res.Error, conflict("该异常记录已被他人修改，请刷新"))
		}
		action := "explain"
		if u.Status == model.AnomalyOpen {
			action = "reopen"
		}
		return s.audit(tx, a, action, "anomaly", strconv.FormatInt(id, 10), before,
			map[string]any{"status": u.Status, "note": note, "rule": an.Rule})
	})
	if err != nil {
		return AnomalyRow{}, err
	}
	return s.GetAnomaly(ctx, a, id)
}

// maxExportRows bounds one export; a filter narrows a larger set.
const maxExportRows = 100000

// checkExportSize counts the rows q selects and refuses an export of more
// than maxExportRows with a too_many_rows rule error; format words the
// refusal and takes the count and the bound, in that order.
func checkExportSize(q *gorm.DB, format string) error {
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return err
	}
	if total > maxExportRows {
		return ruleErr("too_many_rows", format, total, maxExportRows)
	}
	return nil
}

// AnomalyWorkbook exports the filtered findings as .xlsx; every cell is a
// text cell (a name typed as "=…" stays text). The download is audited.
func (s *Anomalies) AnomalyWorkbook(ctx context.Context, a model.Actor, f AnomalyFilter) ([]byte, error) {
	q, err := s.anomalyQuery(ctx, a, f)
	if err != nil {
		return nil, err
	}
	if err := checkExportSize(q, "共 %d 条，超过单次导出上限 %d 条：请按区域、学期或规则筛选后导出"); err != nil {
		return nil, err
	}
	var rows []AnomalyRow
	if err := q.Select("an.*, sc.name AS school_name").Order(anomalySorts[f.Sort]).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ledger.Anomaly, len(rows))
	for i, r := range rows {
		out[i] = ledger.Anomaly{Anomaly: r.Anomaly, SchoolName: r.SchoolName}
	}
	b, err := ledger.AnomalyWorkbook(out, s.now())
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "anomalies", "", nil, map[string]any{"rows": len(rows), "region_code": f.RegionCode,
		"term": f.Term, "rule": f.Rule, "status": f.Status})
	return b, nil
}

func AnomalyDetails(an model.Anomaly) json.RawMessage {
	if !json.Valid([]byte(an.DetailsJSON)) {
		return json.RawMessage("{}")
	}
	return json.RawMessage(an.DetailsJSON)
}
