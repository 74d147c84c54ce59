package service_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// An import longer than one chunk (the workbook is read while the chunks
// already read are stored): the errors of every chunk come back by their
// line, in order, whether the cells could not be read, the row fails its
// checks or the rules (the same person twice, across chunks); valid_rows
// takes the rest, all_or_nothing nothing. A file that is not a workbook
// stores nothing.
func TestLoanImportOverSeveralChunks(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		le := newLoanEnv(t, env)
		ctx := context.Background()
		header := []string{"姓名", "身份证号", "共同借款人姓名", "共同借款人身份证号", "与学生关系", "共同借款人电话", "高校名称", "高校代码",
			"学历层次", "学制", "入学年份", "学费(元)", "住宿费(元)", "生活费(元)", "困难证明类型"}
		const n = 2300
		rows := make([][]string, n)
		for i := range rows {
			birth := fmt.Sprintf("2007%02d%02d", 1+i/(28*999)%12, 1+i/999%28)
			rows[i] = []string{"吴用", residentID("430921", birth, 1+i%999), "吴大山", residentID("430921", "19750101", 99), "父子",
				"13700000000", "湘潭大学", "10530", "本科", "4", "2025", "5000", "1000", "14000", "低保"}
		}
		rows[3][8] = "初中"                        // line 5: a cell that does not read
		rows[1500][1] = rows[1500][1][:17] + "Y" // line 1502: an ID that fails its check
		rows[2200][1] = rows[10][1]              // line 2202: line 12's person again, two chunks later
		f := workbook(t, header, rows...)
		rep, err := le.loans.ImportLoanApplications(ctx, le.nanxian, service.LoanImport{File: f, Size: f.Size(), SchoolYear: "2025-2026"})
		wantCode(t, err, "file_rejected")
		if rep.Rows != n || rep.Created != 0 || rep.Rejected != 3 {
			t.Fatalf("all_or_nothing: %+v", rep)
		}
		f = workbook(t, header, rows...)
		rep, err = le.loans.ImportLoanApplications(ctx, le.nanxian, service.LoanImport{File: f, Size: f.Size(), SchoolYear: "2025-2026", Mode: "valid_rows"})
		if err != nil || rep.Rows != n || rep.Created != n-3 || rep.Rejected != 3 {
			t.Fatalf("valid_rows: %+v %v", rep, err)
		}
		var lines []int
		for _, e := range rep.Errors {
			lines = append(lines, e.Row)
		}
		if fmt.Sprint(lines) != "[5 1502 2202]" {
			t.Errorf("errors %+v", rep.Errors)
		}
		var apps, events int64
		env.DB.Model(&model.LoanApplication{}).Count(&apps)
		env.DB.Model(&model.LoanEvent{}).Count(&events)
		if apps != n-3 || events != n-3 {
			t.Errorf("%d applications, %d events stored, want %d", apps, events, n-3)
		}

		junk := bytes.NewReader([]byte("姓名,身份证号\n吴用,430921"))
		rep, err = le.loans.ImportLoanApplications(ctx, le.nanxian, service.LoanImport{File: junk, Size: junk.Size(), SchoolYear: "2026-2027"})
		if err == nil || rep.Rows != 0 || rep.Created != 0 {
			t.Errorf("not a workbook: %+v %v", rep, err)
		}
		env.DB.Model(&model.LoanApplication{}).Count(&apps)
		if apps != n-3 {
			t.Errorf("not a workbook stored %d applications", apps-(n-3))
		}
	})
}
