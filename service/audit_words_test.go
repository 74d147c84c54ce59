package service

import "testing"

func TestAuditChangeReadsLikeAPerson(t *testing.T) {
	for _, c := range []struct{ before, after, want string }{
		{`{"status":"approved","total_fen":62500}`, `{"status":"approved","total_fen":125000}`, "金额合计：625.00 元 → 1,250.00 元"},
		{``, `{"approved_at":"2025-09-23T01:00:00Z","program":"boarding"}`, "审核时间：2025-09-23 09:00；资助项目：义务教育家庭经济困难寄宿生生活补助"},
		{`{"holder":"本人"}`, ``, "持卡人：本人（原值）"},
		{`{"disabled":false}`, `{"disabled":true}`, "停用：否 → 是"},
		{`not json`, `null`, ""},
	} {
		if got := AuditChange(c.before, c.after); got != c.want {
			t.Errorf("AuditChange(%s, %s) = %q, want %q", c.before, c.after, got, c.want)
		}
	}
	if AuditLabel(AuditActions, "approve") != "审核通过" || AuditLabel(AuditActions, "teleport") != "其他" {
		t.Error("labels")
	}
}
