package api

// loanRoutes are the 生源地信用助学贷款 desk's endpoints (API.md loans).
func (s *Server) loanRoutes() []route {
	return []route{
		{method: "GET", path: "/loans/limits", summary: "贷款参数（某日生效的额度、期限、宽限期、利率、风险补偿金比例）", handler: s.loanLimits},
		{method: "POST", path: "/loans/figures", summary: "新增贷款参数（自某日起生效，管理员）", handler: s.addLoanFigures},
		{method: "POST", path: "/loans/rates", summary: "新增贷款利率（LPR加点，自某日起生效，管理员）", handler: s.addLoanRate},
		{method: "PUT", path: "/loans/deadlines/:school_year", summary: "设定学年贷款申请截止日期（管理员）", handler: s.setLoanDeadline},
		{method: "POST", path: "/loans/applications", summary: "受理贷款申请（首贷、续贷）", handler: s.createLoanApplication},
		{method: "POST", path: "/loans/applications/import", summary: "批量导入贷款申请", upload: true, handler: s.importLoanApplications},
		{method: "GET", path: "/loans/applications/template", summary: "下载贷款申请模板", handler: s.loanTemplate},
		{method: "GET", path: "/loans/applications", summary: "贷款申请列表（按权限范围）", handler: s.listLoanApplications},
		{method: "GET", path: "/loans/applications.xlsx", summary: "导出贷款申请名单（按权限范围，可按学年、状态筛选，如逾期名单）", handler: s.exportLoanApplications},
		{method: "POST", path: "/loans/applications/:id/approve", summary: "贷款申请审核通过", handler: loanStep(bare(s.loans.ApproveLoan))},
		{method: "POST", path: "/loans/applications/:id/return", summary: "退回贷款申请（附原因）", handler: loanStep(s.returnLoan)},
		{method: "POST", path: "/loans/applications/:id/contract", summary: "登记贷款合同", handler: loanStep(s.contractLoan)},
		{method: "POST", path: "/loans/applications/:id/receipt", summary: "确认高校回执", handler: loanStep(s.receiptLoan)},
		{method: "POST", path: "/loans/applications/:id/graduate", summary: "毕业确认", handler: loanStep(s.graduateLoan)},
		{method: "POST", path: "/loans/receipts", summary: "导入高校回执清单", upload: true, handler: s.loanReceipts},
		{method: "POST", path: "/loans/bank-files", summary: "导入经办银行放款或还款状态文件", upload: true, handler: s.loanBankFile},
		{method: "GET", path: "/loans/years", summary: "按学年的新增贷款和逾期率（图表数据，按权限范围）", handler: s.loanYears},
		{method: "GET", path: "/loans/overdue", summary: "逾期名单（按借款人，可按状态、高校、逾期年度、姓名或身份证号筛选；仅县级资助中心和审计）", handler: s.listOverdueLoans},
		{method: "GET", path: "/loans/overdue.xlsx", summary: "导出逾期名单（筛选同列表）", handler: s.exportOverdueLoans},
		{method: "GET", path: "/loans/reminders", summary: "还款提醒名单（某年有应还款的借款人，可按高校、姓名或身份证号筛选，分页）", handler: s.loanReminders},
		{method: "GET", path: "/loans/reminders.xlsx", summary: "导出还款提醒名单（筛选同列表）", handler: s.exportLoanReminders},
		{method: "GET", path: "/loans/statements", summary: "年度财政贴息及风险补偿金统计表（冻结，SHA-256 ETag）", handler: s.loanStatement},
		{method: "GET", path: "/loans/:id", summary: "贷款详情：合同、各学年金额、还款计划、财政贴息、状态记录", handler: s.getLoan},
		{method: "POST", path: "/loans/:id/extension", summary: "登记展期", handler: loanStep(s.extendLoan)},
		{method: "POST", path: "/loans/:id/prepayment", summary: "登记提前还款", handler: loanStep(s.prepayLoan)},
	}
}
