package service

import (
	"context"
	"strconv"

	"studentaid/model"
	"studentaid/service/ledger"
)

// StudentWorkbook exports the students GET /students would list with the
// same filter (search included), every page, as .xlsx; ID numbers stay
// masked. The download is audited.
func (s *Students) StudentWorkbook(ctx context.Context, a model.Actor, f StudentFilter) ([]byte, error) {
	if a.Is(model.RoleFinance) {
		return nil, errRoleForbidden
	}
	if a.Is(model.RoleAdmin) {
		return nil, errStudentData
	}
	db := s.reader(ctx)
	var rows []StudentRow
	q, visible, err := s.studentQuery(db, a, f)
	if err != nil {
		return nil, err
	}
	if visible {
		if err := checkExportSize(q, "共 %d 人，超过单次导出上限 %d 人：请按学校或学年筛选后导出"); err != nil {
			return nil, err
		}
		// In the order the screen shows, when the user sorted it.
		if f.Sort != "" {
			rows, err = s.sortedStudentRows(db, q, f.Sort)
		} else {
			rows, err = s.studentRows(db, q.Select("e.id"))
		}
		if err != nil {
			return nil, err
		}
	}
	out := ledger.List{Title: "学生名单", Sheet: "学生", At: s.now(), Columns: []ledger.ListColumn{
		{Header: "序号", Width: 7, Count: true}, {Header: "姓名", Width: 12}, {Header: "身份证件号", Width: 22},
		{Header: "学校", Width: 28}, {Header: "学年", Width: 11}, {Header: "年级", Width: 11}, {Header: "班级", Width: 10},
		{Header: "寄宿", Width: 7}, {Header: "学籍状态", Width: 9}, {Header: "困难等级", Width: 10}}}
	for i, r := range rows {
		boarding := ""
		if r.Boarding != nil {
			boarding = map[bool]string{true: "是", false: "否"}[*r.Boarding]
		}
		out.Rows = append(out.Rows, []any{i + 1, r.Name, r.IDMasked, r.SchoolName, r.SchoolYear, model.GradeText(r.Stage, r.Grade),
			r.Class, boarding, r.Status, model.LevelLabel(r.Level)})
	}
	b, err := ledger.WriteList(out)
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "students", "", nil, map[string]any{"rows": len(rows), "school_id": f.SchoolID,
		"school_year": f.SchoolYear, "searched": strconv.FormatBool(f.Q != "")})
	return b, nil
}
