package model

import "time"

// Anomaly statuses: a finding is open until the county explains it (with a
// note) or a later scan no longer finds it (resolved).
const (
	AnomalyOpen      = "open"
	AnomalyExplained = "explained"
	AnomalyResolved  = "resolved"
)

// Anomaly severities.
const (
	SeverityHigh   = "high"
	SeverityMedium = "medium"
	SeverityLow    = "low"
)

// Anomaly is one finding of the scan or of a cross-department matching.
// Fingerprint identifies the records involved, so a finding seen again is
// the same row; summary and details never hold a full ID or account number.
type Anomaly struct {
	ID          int64
	Rule        string
	Severity    string
	Fingerprint string
	RegionCode  string
	SchoolYear  string // the school year a finding is about ("" when none)
	Term        string // the term, when the finding is about one
	SchoolID    *int64
	StudentID   *int64
	Summary     string
	DetailsJSON string `gorm:"column:details_json"`
	FirstSeen   time.Time
	LastSeen    time.Time
	ResolvedAt  *time.Time
	Status      string
	Note        string
	UpdatedBy   string
	UpdatedAt   time.Time
}

// AnomalyRule describes a rule: its code, the item of POLICY.md's Anomalies
// list it implements (0 for the matching rules), its title and severity.
type AnomalyRule struct {
	Code     string
	PolicyNo int
	Title    string
	Severity string
	Matching bool // found by a cross-department matching, not by the scan
}

// Rule codes.
const (
	RuleDuplicateAid    = "duplicate_aid"
	RuleSharedAccount   = "shared_account"
	RuleHolderMismatch  = "holder_mismatch"
	RuleAgeGrade        = "age_grade"
	RuleDoubleEnrolment = "double_enrolment"
	RuleAidAfterExit    = "aid_after_exit"
	RuleAmountMismatch  = "amount_mismatch"
	RuleRepeatedFailure = "repeated_failure"
	RuleStaleApproved   = "stale_approved"
	RuleStaleBatch      = "stale_batch"
	RuleMatchingDeath   = "matching_death"
	// RuleDuplicateIdentity: one resident ID in several records under
	// different document types (POLICY.md "One person, one record").
	RuleDuplicateIdentity = "duplicate_identity"
)

// AnomalyRules are POLICY.md's Anomalies list in its order, then the rules
// the cross-department matching stores.
var AnomalyRules = []AnomalyRule{
	{RuleDuplicateAid, 1, "同一身份证件号同一学期重复享受同一资助项目", SeverityHigh, false},
	{RuleSharedAccount, 2, "同一银行账户为多名学生或不同监护人的学生领取资助（代领）", SeverityHigh, false},
	{RuleHolderMismatch, 3, "持卡人既不是学生本人也不是监护人", SeverityMedium, false},
	{RuleAgeGrade, 4, "年龄与年级不符", SeverityLow, false},
	{RuleDoubleEnrolment, 5, "同一学年在两所学校在读（一人多籍）", SeverityHigh, false},
	{RuleAidAfterExit, 6, "毕业、辍学、转出或死亡后仍有资助", SeverityHigh, false},
	{RuleAmountMismatch, 7, "资助金额与该学期、档次、地区的现行标准不符", SeverityMedium, false},
	{RuleRepeatedFailure, 8, "同一账户发放失败两次及以上", SeverityMedium, false},
	{RuleStaleApproved, 9, "审核通过后超过期限未纳入发放批次（滞留）", SeverityMedium, false},
	{RuleStaleBatch, 9, "批次审核后超过期限未发放（滞留）", SeverityMedium, false},
	{RuleDuplicateIdentity, 1, "同一居民身份证号以不同证件类型建有多份档案（一人多档）", SeverityHigh, false},
	{RuleMatchingDeath, 0, "比对：在死亡名单上但仍有待发放的资助", SeverityHigh, true},
}

// AnomalyRuleByCode finds a rule.
func AnomalyRuleByCode(code string) (AnomalyRule, bool) {
	for _, r := range AnomalyRules {
		if r.Code == code {
			return r, true
		}
	}
	return AnomalyRule{}, false
}

// AnomalyStatusLabel is a status as users read it.
func AnomalyStatusLabel(status string) string {
	switch status {
	case AnomalyOpen:
		return "待核实"
	case AnomalyExplained:
		return "已说明"
	case AnomalyResolved:
		return "已消除"
	}
	return status
}

// SeverityLabel is a severity as users read it.
func SeverityLabel(sev string) string {
	switch sev {
	case SeverityHigh:
		return "高"
	case SeverityMedium:
		return "中"
	case SeverityLow:
		return "低"
	}
	return sev
}
