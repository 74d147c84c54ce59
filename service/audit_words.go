package service

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"studentaid/model"
)

// AuditWord is a code of the audit log with the words an auditor reads.
type AuditWord struct {
	Code  string
	Label string
}

// AuditActions and AuditEntities name the log's codes in Chinese, in the
// order the page's drop-downs list them. A code missing here (a newer
// action) is shown by AuditLabel as 其他, never as the bare code.
var AuditActions = []AuditWord{
	{"login", "登录"}, {"login_failed", "登录失败"}, {"logout", "退出登录"},
	{"create", "新增"}, {"update", "修改"}, {"import", "导入花名册"},
	{"calculate", "计算名单"}, {"submit", "提交名单"}, {"start_notice", "开始公示"}, {"set_quota", "设定指标"},
	{"approve", "审核通过"}, {"return", "退回"}, {"revoke", "撤销"}, {"recover", "登记扣回"},
	{"generate", "生成批次"}, {"bank_results", "登记银行结果"}, {"download", "下载"},
	{"scan", "异常扫描"}, {"explain", "说明异常"}, {"reopen", "重新打开异常"}, {"match", "跨部门比对"},
	{"rekey", "轮换数据密钥"},
	{"correct", "认定更正"}, {"confirmed", "确认"}, {"rejected", "驳回"},
	{"request", "提出申请"}, {"accept", "同意"}, {"reject", "不同意"},
}

var AuditEntities = []AuditWord{
	{"user", "用户"}, {"session", "登录会话"}, {"region", "区域"}, {"school", "学校"},
	{"roster", "花名册"}, {"roster_errors", "花名册错误行"}, {"student", "学生档案"},
	{"standard", "资助标准"}, {"aid_list", "学校资助名单"}, {"entitlement", "资助记录"},
	{"adjustment", "补发与扣回"}, {"objection", "公示异议"}, {"notice", "公示表"},
	{"batch", "发放批次"}, {"ledger", "发放台账"}, {"bank_file", "银行代发文件"},
	{"summary_report", "资助汇总表"}, {"anomaly", "异常情况"}, {"anomalies", "异常情况清单"},
	{"department_list", "部门比对名单"}, {"job", "定时任务"}, {"audit", "审计日志"},
	{"students", "学生名单"}, {"entitlements", "资助名单"}, {"batches", "发放批次清单"}, {"batch_lines", "发放明细"},
	{"data_key", "数据密钥"},
	{"account_change", "银行账户变更"}, {"transfer", "转学申请"},
}

// AuditLabel is the Chinese word for a code of the list, or 其他 for one
// it does not know.
func AuditLabel(words []AuditWord, code string) string {
	for _, w := range words {
		if w.Code == code {
			return w.Label
		}
	}
	return "其他"
}

// auditFields name the keys of the before/after records.
var auditFields = map[string]string{
	"status": "状态", "term": "学期", "key_id": "密钥编号", "school_id": "学校编号", "school_name": "学校", "program": "资助项目",
	"total_fen": "金额合计", "amount_fen": "金额", "budget_fen": "预算", "rows": "行数", "student_id": "学生编号",
	"school_year": "学年", "reason": "原因", "number": "批次号", "approved_at": "审核时间", "approved_by": "审核人",
	"note": "说明", "name": "姓名", "lines": "笔数", "id_number": "身份证件号", "count": "人数", "username": "用户名",
	"updated": "更新", "created": "新增", "unchanged": "未变", "removed": "移除", "rejected": "未导入",
	"submitted_at": "提交时间", "rule": "规则", "region_code": "区域代码", "region": "区域", "max_count": "名额",
	"locked_until": "锁定至", "holder": "持卡人", "failed_logins": "失败次数", "year": "年度", "stage": "学段",
	"level": "困难等级", "paid": "成功", "failed": "失败", "pending": "待定", "ends_at": "期满时间",
	"role": "角色", "disabled": "停用", "bank_account": "银行卡号", "bank_name": "开户银行", "guardian": "监护人",
	"phone": "联系电话", "class": "班级", "boarding": "是否寄宿", "file": "文件", "filename": "文件名",
	"annual_fen": "年标准", "effective_from": "生效日期", "ledger_sha256": "台账 SHA-256", "parts": "文件份数",
	"found": "线索", "opened": "新发现", "resolved": "已消除", "matched": "比对一致", "kind": "类别",
	"entitlements": "资助记录数", "adjustments": "补发扣回数", "batch_id": "批次编号", "list_id": "名单编号",
	"entitlement_ids": "资助记录编号", "adjustment_ids": "补发扣回编号", "entitlement_id": "资助记录编号",
	"ids": "编号", "student_count": "学生数", "warnings": "提示", "invalid": "无效", "errors": "错误",
	"thresholds": "阈值", "content": "内容", "by_rule": "按规则", "adjustment_fen": "补发扣回金额",
	"from_school_id": "原学校编号", "to_school_id": "转入学校编号",
	// Records written whole (a standard) carry Go's field names.
	"AnnualFen": "年标准", "CreatedAt": "创建时间", "CreatedBy": "创建人", "EffectiveFrom": "生效日期", "ID": "编号",
	"Level": "档次", "Program": "资助项目", "RegionCode": "区域代码", "Source": "依据", "Stage": "学段",
}

// auditStatuses name the status codes of entitlements, batches, lines and
// anomalies as the pages do.
var auditStatuses = map[string]string{
	"draft": "草稿", "submitted": "已提交", "returned": "已退回", "approved": "已审核", "batched": "已纳入批次",
	"paid": "已发放", "revoked": "已撤销", "generated": "已生成", "partially_paid": "部分发放", "failed": "发放失败",
	"pending": "待发放", "open": "待核实", "explained": "已说明", "resolved": "已消除", "cancelled": "已取消",
}

// auditLoanWords name the loan applications' statuses, kinds and levels.
var auditLoanWords = map[string]map[string]string{
	"status": {"received": "已受理", "contracted": "已签合同", "receipt_confirmed": "回执已确认", "disbursed": "已放款",
		"graduated": "已毕业", "repaying": "还款中", "settled": "已结清", "overdue": "逾期", "defaulted": "违约"},
	"kind":  {"first": "首贷", "renewal": "续贷"},
	"level": {"junior_college": "专科（高职）", "undergraduate": "本科", "graduate": "研究生"},
}

// auditStages name the 学段 codes.
var auditStages = map[string]string{"primary": "小学", "junior": "初中", "senior": "普通高中", "vocational": "中职"}

// AuditChange writes an entry's before and after as a line an auditor can
// read: fields in Chinese, fen as 元, times in Beijing time, and only what
// changed when both sides are there.
func AuditChange(beforeJSON, afterJSON string) string {
	before, after := auditRecord(beforeJSON), auditRecord(afterJSON)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		b, hasB := before[k]
		a, hasA := after[k]
		label := auditFields[k]
		if label == "" {
			label = k
		}
		switch {
		case hasB && hasA && auditValue(k, b) == auditValue(k, a):
			continue
		case hasB && hasA:
			parts = append(parts, fmt.Sprintf("%s：%s → %s", label, auditValue(k, b), auditValue(k, a)))
		case hasA:
			parts = append(parts, fmt.Sprintf("%s：%s", label, auditValue(k, a)))
		default:
			parts = append(parts, fmt.Sprintf("%s：%s（原值）", label, auditValue(k, b)))
		}
	}
	return strings.Join(parts, "；")
}

func auditRecord(s string) map[string]any {
	var m map[string]any
	if s == "" || json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

// auditValue writes one value: fen as 元, RFC 3339 times in Beijing time,
// lists joined, booleans as 是/否, programs and statuses in Chinese.
func auditValue(key string, v any) string {
	switch x := v.(type) {
	case nil:
		return "空"
	case bool:
		if x {
			return "是"
		}
		return "否"
	case float64:
		if strings.HasSuffix(strings.ToLower(key), "fen") {
			return model.Fen(int64(x)).Yuan() + " 元"
		}
		return fmt.Sprintf("%v", x)
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.In(model.Shanghai()).Format("2006-01-02 15:04")
		}
		switch strings.ToLower(key) {
		case "level":
			if l := model.LevelLabel(x); l != "" {
				return l
			}
		case "stage":
			if st, ok := auditStages[x]; ok {
				return st
			}
		}
		if strings.ToLower(key) == "program" {
			if p, ok := model.ProgramByCode(x); ok {
				return p.Name
			}
		}
		if w, ok := auditLoanWords[key][x]; ok {
			return w
		}
		if w, ok := auditStatuses[x]; ok && key == "status" {
			return w
		}
		if key == "term" {
			if t, err := model.ParseTerm(x); err == nil {
				return t.Label()
			}
		}
		return x
	case []any:
		items := make([]string, len(x))
		for i, e := range x {
			items[i] = auditValue(key, e)
		}
		return strings.Join(items, "、")
	}
	b, _ := json.Marshal(v)
	return string(b)
}
