package service_test

import (
	"strings"
	"testing"
	"time"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// Each anomaly rule of POLICY.md, and duplicate_identity: a planted case the
// scan must find, with its rule, region and a summary that names the
// student or account masked; and a near miss it must not find.
func TestUnitAnomalyRules(t *testing.T) {
	const card = "6217000011112222" // masked 6217 **** **** 2222
	cases := []struct {
		name   string
		rule   string
		region string // "": the near miss, nothing to find
		// plant writes the case and returns what the summary must say.
		plant func(f *unitFix) string
	}{
		{"1 a second paid line that escaped the open-entitlement key", model.RuleDuplicateAid, "430921", func(f *unitFix) string {
			e := f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.line(f.batch("430921", "boarding", autumn, model.BatchPaid, servicetest.Start), e, payment{Status: model.LinePaid, Unkeyed: true})
			return f.person(e) + " 在 2025-2026-1 学期的义务教育家庭经济困难寄宿生生活补助有 2 笔发放"
		}},
		{"1 near miss: a failed line and the paid one", model.RuleDuplicateAid, "", func(f *unitFix) string {
			e := f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.line(f.batch("430921", "boarding", autumn, model.BatchFailed, servicetest.Start), e, payment{Status: model.LineFailed})
			return ""
		}},
		{"2 one card for four siblings", model.RuleSharedAccount, "430921", func(f *unitFix) string {
			for range 4 {
				f.student(cardOf(nanzhouPrimary, card, "王芳"))
			}
			return "银行账户 6217 **** **** 2222 为 4 名学生领取资助（超过 3 名）"
		}},
		{"2 near miss: one card for three siblings", model.RuleSharedAccount, "", func(f *unitFix) string {
			for range 3 {
				f.student(cardOf(nanzhouPrimary, card, "王芳"))
			}
			return ""
		}},
		{"2 one card, two guardians, two counties: the city's finding", model.RuleSharedAccount, "430900", func(f *unitFix) string {
			f.student(cardOf(nanzhouPrimary, card, "王芳"))
			f.student(cardOf(dongpingPrimary, card, "李强"))
			return "6217 **** **** 2222 学生的监护人不同（王芳、李强）"
		}},
		{"3 paid under a name neither the student's nor the guardian's", model.RuleHolderMismatch, "430921", func(f *unitFix) string {
			e := f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.line(f.batch("430921", "boarding", autumn, model.BatchFailed, servicetest.Start), e, payment{Status: model.LineFailed, HolderName: "陌生人"})
			return f.person(e) + " 的 1 笔发放户名为“陌生人”"
		}},
		{"3 near miss: paid under the guardian's name", model.RuleHolderMismatch, "", func(f *unitFix) string {
			f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			return ""
		}},
		{"4 grade 1 and ten on 1 September", model.RuleAgeGrade, "430921", func(f *unitFix) string {
			st := f.student(pupil{School: nanzhouPrimary, Stage: "primary", Grade: 1, ID: residentID("430921", "20150901", 1)})
			return who(st) + " 2025-2026学年在南县南洲镇中心小学读一年级，9月1日时 10 岁"
		}},
		{"4 near miss: grade 1 and nine on 1 September", model.RuleAgeGrade, "", func(f *unitFix) string {
			f.student(pupil{School: nanzhouPrimary, Stage: "primary", Grade: 1, ID: residentID("430921", "20150902", 1)})
			return ""
		}},
		{"4 under five on 1 September", model.RuleAgeGrade, "430921", func(f *unitFix) string {
			st := f.student(pupil{School: nanzhouPrimary, Stage: "primary", Grade: 1, ID: residentID("430921", "20200902", 1)})
			return who(st) + " 2025-2026学年在南县南洲镇中心小学读一年级，9月1日时 4 岁（不满 5 周岁）"
		}},
		{"4 near miss: five that day", model.RuleAgeGrade, "", func(f *unitFix) string {
			f.student(pupil{School: nanzhouPrimary, Stage: "primary", Grade: 1, ID: residentID("430921", "20200901", 1)})
			return ""
		}},
		{"4 near miss: an adult at a vocational school", model.RuleAgeGrade, "", func(f *unitFix) string {
			f.student(pupil{School: nanxianVocational, Stage: "vocational", Grade: 1, ID: residentID("430921", "19950301", 1)})
			return ""
		}},
		{"5 在读 at two schools in two counties", model.RuleDoubleEnrolment, "430900", func(f *unitFix) string {
			p := pupil{School: nanzhouPrimary, Stage: "primary"}
			st := f.student(p)
			p.School = dongpingPrimary
			f.enrol(st, p)
			return who(st) + " 2025-2026学年同时在 2 所学校有在籍记录"
		}},
		{"5 休学 at one school, 在读 at another", model.RuleDoubleEnrolment, "430921", func(f *unitFix) string {
			p := pupil{School: nanzhouPrimary, Stage: "primary", Status: model.StatusSuspended}
			st := f.student(p)
			p.School, p.Status = "2143092102", ""
			f.enrol(st, p)
			return "南县南洲镇中心小学（三年级，休学）；南县茅草街镇九年制学校（三年级，在读）"
		}},
		{"5 near miss: 转出 from one, 在读 at the other", model.RuleDoubleEnrolment, "", func(f *unitFix) string {
			p := pupil{School: nanzhouPrimary, Stage: "primary", Status: model.StatusTransferred}
			st := f.student(p)
			p.School, p.Status = dongpingPrimary, ""
			f.enrol(st, p)
			return ""
		}},
		{"6 paid after the leaving was recorded", model.RuleAidAfterExit, "430921", func(f *unitFix) string {
			e := f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.leftAt(e, servicetest.Start.Add(-2*time.Hour)) // paid an hour later
			return f.person(e) + " 2025-2026学年学籍状态为“辍学”，仍有 2025-2026-1 学期"
		}},
		{"6 near miss: paid before the leaving was recorded", model.RuleAidAfterExit, "", func(f *unitFix) string {
			e := f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.leftAt(e, servicetest.Start.Add(24*time.Hour))
			return ""
		}},
		{"6 aid in a year after an earlier year's record of death", model.RuleAidAfterExit, "430921", func(f *unitFix) string {
			e := f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.earlierYear(e, model.StatusDeceased)
			return f.person(e) + " 2024-2025学年学籍状态为“死亡”"
		}},
		{"6 near miss: an earlier year's record of leaving only", model.RuleAidAfterExit, "", func(f *unitFix) string {
			f.earlierYear(f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding"), model.StatusTransferred)
			return ""
		}},
		{"7 paid below a standard raised since, with no adjustment", model.RuleAmountMismatch, "430921", func(f *unitFix) string {
			f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.standard("boarding", "primary", "", "430921", "2025-09-01", 130000)
			return "南县南洲镇中心小学 2025-2026-1 学期义务教育家庭经济困难寄宿生生活补助（困难） 1 人每人 625.00 元：现行标准（2025-09-01起，地区 430921 标准）本学期应为 650.00 元"
		}},
		{"7 near miss: the raise is covered by its 补发", model.RuleAmountMismatch, "", func(f *unitFix) string {
			f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.standard("boarding", "primary", "", "430921", "2025-09-01", 130000)
			f.calculate("boarding", autumn, nanzhouPrimary)
			return ""
		}},
		{"8 two failed payments to one card", model.RuleRepeatedFailure, "430921", func(f *unitFix) string {
			e := f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			for range 2 {
				f.line(f.batch("430921", "boarding", autumn, model.BatchFailed, servicetest.Start), e, payment{Status: model.LineFailed})
			}
			return f.person(e) + " 的资助向账户 6217 **** **** 2222 发放失败 2 次（账户已冻结）"
		}},
		{"8 near miss: one failure, then paid", model.RuleRepeatedFailure, "", func(f *unitFix) string {
			e := f.paidOne(cardOf(nanzhouPrimary, card, "王芳"), "boarding")
			f.line(f.batch("430921", "boarding", autumn, model.BatchFailed, servicetest.Start), e, payment{Status: model.LineFailed})
			return ""
		}},
		{"9 approved 31 days ago and not in a batch", model.RuleStaleApproved, "430921", func(f *unitFix) string {
			st := f.student(cardOf(nanzhouPrimary, card, "王芳"))
			f.calculate("boarding", autumn, nanzhouPrimary)
			e, _ := f.entitlementOf(st.ID, "boarding", autumn)
			f.approve(servicetest.Start.AddDate(0, 0, -31), e.ID)
			return "南县南洲镇中心小学 2025-2026-1 学期义务教育家庭经济困难寄宿生生活补助有 1 人 625.00 元自 2025-08-15 审核通过后超过 30 天"
		}},
		{"9 near miss: approved 29 days ago", model.RuleStaleApproved, "", func(f *unitFix) string {
			st := f.student(cardOf(nanzhouPrimary, card, "王芳"))
			f.calculate("boarding", autumn, nanzhouPrimary)
			e, _ := f.entitlementOf(st.ID, "boarding", autumn)
			f.approve(servicetest.Start.AddDate(0, 0, -29), e.ID)
			return ""
		}},
		{"9 a batch approved 31 days ago and not paid", model.RuleStaleBatch, "430921", func(f *unitFix) string {
			b := f.batch("430921", "boarding", autumn, model.BatchApproved, servicetest.Start.AddDate(0, 0, -31))
			return "批次 " + b.Number + "（0 人，0.00 元）于 2025-08-15 审核，超过 30 天仍未发放"
		}},
		{"9 near miss: a batch approved 29 days ago", model.RuleStaleBatch, "", func(f *unitFix) string {
			f.batch("430921", "boarding", autumn, model.BatchApproved, servicetest.Start.AddDate(0, 0, -29))
			return ""
		}},
		{"one resident ID filed again as a passport", model.RuleDuplicateIdentity, "430921", func(f *unitFix) string {
			id := residentID("430921", "20150301", 7)
			st := f.student(pupil{School: nanzhouPrimary, Stage: "primary", ID: id})
			f.student(pupil{School: nanzhouPrimary, Stage: "primary", ID: id, IDType: string(model.IDTypePassport)})
			return who(st) + " 的居民身份证号在 2 份档案中出现"
		}},
		{"near miss: a resident-shaped passport number held once", model.RuleDuplicateIdentity, "", func(f *unitFix) string {
			f.student(pupil{School: nanzhouPrimary, Stage: "primary", ID: residentID("430921", "20150301", 7), IDType: string(model.IDTypePassport)})
			f.student(pupil{School: nanzhouPrimary, Stage: "primary", ID: residentID("430921", "20150301", 8)})
			return ""
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
				f := newUnitFix(t, env)
				says := c.plant(f)
				if _, err := env.Svc.Anomalies.ScanAnomalies(f.ctx, model.SystemActor("test"), service.ScanOptions{}); err != nil {
					t.Fatal(err)
				}
				var found []model.Anomaly
				if err := env.DB.Where("rule = ?", c.rule).Find(&found).Error; err != nil {
					t.Fatal(err)
				}
				if c.region == "" {
					if len(found) != 0 {
						t.Fatalf("near miss found: %+v", found)
					}
					return
				}
				if len(found) != 1 {
					t.Fatalf("%d findings of %s, want 1: %+v", len(found), c.rule, found)
				}
				an := found[0]
				if an.RegionCode != c.region || !strings.Contains(an.Summary, says) {
					t.Fatalf("finding in %s: %q\nwant region %s and a summary saying %q", an.RegionCode, an.Summary, c.region, says)
				}
				if n := fullNumber.FindString(an.Summary + an.DetailsJSON); n != "" {
					t.Fatalf("the finding shows a full number %s: %q %s", n, an.Summary, an.DetailsJSON)
				}
			})
		})
	}
}
