// Package api is the HTTP adapter: the gin router, middleware, request and
// response types, and handlers that parse, call one service method and write.
package api

import (
	"log/slog"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"studentaid/jobs"
	"studentaid/service"
)

// Options are the HTTP settings.
type Options struct {
	MaxBodyBytes   int64           // JSON bodies
	MaxUploadBytes int64           // multipart uploads (rosters, bank results)
	Jobs           *jobs.Scheduler // nil on an instance that runs no jobs
	// TrustedProxies may set X-Forwarded-For (configs.Server); none by default.
	TrustedProxies []string
}

// Server holds the service domains its handlers call, not the whole
// service, so each handler file shows what it depends on.
type Server struct {
	auth         *service.Auth
	users        *service.Users
	schools      *service.Schools
	students     *service.Students
	standards    *service.Standards
	entitlements *service.Entitlements
	batches      *service.Batches
	anomalies    *service.Anomalies
	matcher      *service.Matching
	jobs         *service.Jobs
	audit        *service.Audit
	reports      *service.Reports
	loans        *service.Loans
	log          *slog.Logger
	opt          Options
	metrics      *httpMetrics
}

// route is one endpoint with what the OpenAPI document says of it.
type route struct {
	method, path string
	summary      string
	public       bool
	upload       bool // multipart: gets the upload size limit
	handler      gin.HandlerFunc
}

// New builds the gin engine with every route of API.md.
func New(svc *service.Service, log *slog.Logger, reg *prometheus.Registry, opt Options) *gin.Engine {
	if opt.MaxBodyBytes == 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	if opt.MaxUploadBytes == 0 {
		opt.MaxUploadBytes = 60 << 20
	}
	s := &Server{
		auth: svc.Auth, users: svc.Users, schools: svc.Schools, students: svc.Students,
		standards: svc.Standards, entitlements: svc.Entitlements, batches: svc.Batches,
		anomalies: svc.Anomalies, matcher: svc.Matching, jobs: svc.Jobs, audit: svc.Audit, reports: svc.Reports,
		loans: svc.Loans,
		log:   log, opt: opt, metrics: newHTTPMetrics(reg),
	}
	reg.MustRegister(newFiguresCollector(svc.Reports, log), newDBCollector(svc))
	e := gin.New()
	if err := e.SetTrustedProxies(opt.TrustedProxies); err != nil {
		// configs validated them; trust no one rather than a bad entry.
		log.Error("trusted proxies", "err", err)
		_ = e.SetTrustedProxies(nil)
	}
	e.HandleMethodNotAllowed = true
	e.Use(requestID, withLog(log), securityHeaders, recovery(log), accessLog(log), s.metrics.observe)
	e.NoRoute(func(c *gin.Context) { fail(c, http.StatusNotFound, "not_found", "没有这个地址") })
	e.NoMethod(func(c *gin.Context) {
		fail(c, http.StatusMethodNotAllowed, "method_not_allowed", "该地址不支持此请求方法")
	})

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.ready)
	e.GET("/metrics", loopbackOnly, gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	s.mountWeb(e)

	v1 := e.Group("/api/v1")
	routes := s.routes()
	v1.GET("/openapi.json", openAPIHandler(routes))
	for _, r := range routes {
		limit := limitBody(opt.MaxBodyBytes)
		if r.upload {
			limit = limitBody(opt.MaxUploadBytes)
		}
		chain := []gin.HandlerFunc{limit}
		if !r.public {
			chain = append(chain, s.authenticate)
		}
		v1.Handle(r.method, r.path, append(chain, r.handler)...)
	}
	return e
}

// routes is the API's table; the OpenAPI document is generated from it, so
// the two cannot drift apart.
func (s *Server) routes() []route {
	return append([]route{
		{method: "POST", path: "/auth/login", summary: "登录，返回令牌", public: true, handler: s.login},
		{method: "POST", path: "/auth/logout", summary: "退出，吊销令牌", handler: s.logout},
		{method: "POST", path: "/auth/password", summary: "修改本人密码", handler: s.changePassword},
		{method: "GET", path: "/me", summary: "当前用户", handler: s.me},
		{method: "POST", path: "/users", summary: "新增用户（管理员）", handler: s.createUser},
		{method: "GET", path: "/users", summary: "用户列表（管理员）", handler: s.listUsers},
		{method: "PATCH", path: "/users/:id", summary: "修改用户（管理员）", handler: s.updateUser},
		{method: "POST", path: "/regions", summary: "新增区域（管理员）", handler: s.createRegion},
		{method: "GET", path: "/regions", summary: "区域列表", handler: s.listRegions},
		{method: "POST", path: "/schools", summary: "新增学校", handler: s.createSchool},
		{method: "GET", path: "/schools", summary: "学校列表（按权限范围）", handler: s.listSchools},
		{method: "GET", path: "/schools/:id", summary: "学校详情", handler: s.getSchool},
		{method: "GET", path: "/rosters/template", summary: "下载花名册模板", handler: s.rosterTemplate},
		{method: "POST", path: "/rosters", summary: "上传花名册", upload: true, handler: s.uploadRoster},
		{method: "GET", path: "/rosters/:id", summary: "花名册导入报告", handler: s.getRoster},
		{method: "GET", path: "/rosters/:id/errors.xlsx", summary: "下载花名册错误行", handler: s.rosterErrors},
		{method: "GET", path: "/students", summary: "学生列表（按权限范围）", handler: s.listStudents},
		{method: "GET", path: "/students.xlsx", summary: "导出学生名单（与列表同样的筛选和查找）", handler: s.exportStudents},
		{method: "GET", path: "/students/:id", summary: "学生电子档案", handler: s.getStudent},
		{method: "PATCH", path: "/students/:id", summary: "更正学生信息", handler: s.patchStudent},
		{method: "GET", path: "/account-changes", summary: "待确认的银行账户变更（县级，按权限范围）", handler: s.listAccountChanges},
		{method: "POST", path: "/account-changes/:id/confirm", summary: "确认银行账户变更（本县另一名专干）", handler: decision(without(s.students.ConfirmAccountChange), accountChangeOf)},
		{method: "POST", path: "/account-changes/:id/reject", summary: "驳回银行账户变更并恢复原账户", handler: decision(s.students.RejectAccountChange, accountChangeOf)},
		{method: "POST", path: "/transfers", summary: "转学申请：接收学校申请转入本学年已在其他学校注册的学生", handler: s.requestTransfer},
		{method: "GET", path: "/transfers", summary: "转学申请（转入或转出本校、本县）", handler: s.listTransfers},
		{method: "POST", path: "/transfers/:id/accept", summary: "同意转学（原学校或其县级）：原学籍记为转出", handler: decision(without(s.students.AcceptTransfer), transferOf)},
		{method: "POST", path: "/transfers/:id/reject", summary: "不同意转学（附原因）", handler: decision(s.students.RejectTransfer, transferOf)},
		{method: "GET", path: "/programs", summary: "资助项目及发放时间", handler: s.listPrograms},
		{method: "GET", path: "/standards", summary: "资助标准", handler: s.listStandards},
		{method: "POST", path: "/standards", summary: "新增资助标准（自某日起生效）", handler: s.createStandard},
		{method: "POST", path: "/entitlements/calculate", summary: "计算资助名单", handler: s.calculate},
		{method: "GET", path: "/entitlements", summary: "资助名单", handler: s.listEntitlements},
		{method: "GET", path: "/entitlements.xlsx", summary: "导出资助名单（含合计行）", handler: s.exportEntitlements},
		{method: "POST", path: "/entitlements/submit", summary: "学校提交名单", handler: s.submit},
		{method: "POST", path: "/entitlements/approve", summary: "县级审核通过", handler: s.approve},
		{method: "POST", path: "/entitlements/return", summary: "县级退回", handler: reasoned(s.entitlements.ReturnEntitlements)},
		{method: "POST", path: "/entitlements/revoke", summary: "撤销已审核未发放的资助", handler: reasoned(s.entitlements.RevokeEntitlements)},
		{method: "POST", path: "/entitlements/recover", summary: "登记已发放资助的扣回", handler: reasoned(s.entitlements.RecoverEntitlements)},
		{method: "POST", path: "/entitlements/:id/correct", summary: "认定更正：更正已发放资助的困难等级或学段（生成补发或扣回草稿）", handler: s.correctEntitlement},
		{method: "GET", path: "/adjustments", summary: "补发与扣回", handler: s.listAdjustments},
		{method: "POST", path: "/adjustments/approve", summary: "审核补发与扣回", handler: reasoned(s.entitlements.ApproveAdjustments)},
		{method: "GET", path: "/notices", summary: "下载公示表（开始公示期）", handler: s.notice},
		{method: "POST", path: "/notices/objections", summary: "登记公示异议", handler: s.createObjection},
		{method: "GET", path: "/quotas", summary: "学校名单、指标与公示期", handler: s.listQuotas},
		{method: "PUT", path: "/quotas", summary: "设定学校资助指标", handler: s.setQuota},
		{method: "GET", path: "/batches", summary: "发放批次", handler: s.listBatches},
		{method: "GET", path: "/batches.xlsx", summary: "导出发放批次清单（含合计行）", handler: s.exportBatches},
		{method: "GET", path: "/batches/:id", summary: "批次详情（按学校汇总）", handler: s.getBatch},
		{method: "GET", path: "/batches/:id/lines", summary: "批次明细", handler: s.listBatchLines},
		{method: "GET", path: "/batches/:id/lines.xlsx", summary: "导出批次明细（按页面的筛选、查询与排序，含合计行）", handler: s.exportBatchLines},
		{method: "GET", path: "/batches/:id/ledger.xlsx", summary: "下载发放台账", handler: s.ledger},
		{method: "GET", path: "/batches/:id/bank-file", summary: "下载银行代发文件（财政）", handler: s.bankFile},
		{method: "POST", path: "/batches/:id/approve", summary: "财政审核批次", handler: s.approveBatch},
		{method: "POST", path: "/batches/:id/results", summary: "上传银行结果", upload: true, handler: s.batchResults},
		{method: "GET", path: "/jobs", summary: "定时任务", handler: s.listJobs},
		{method: "POST", path: "/jobs/:name/run", summary: "立即运行任务", handler: s.runJob},
		{method: "GET", path: "/jobs/runs", summary: "任务运行记录", handler: s.listRuns},
		{method: "GET", path: "/reports/summary.xlsx", summary: "资助汇总表", handler: s.summaryReport},
		{method: "GET", path: "/audit", summary: "审计日志", handler: s.listAudit},
		{method: "GET", path: "/audit.xlsx", summary: "导出审计日志（中文，北京时间）", handler: s.exportAudit},
		{method: "GET", path: "/audit/words", summary: "审计日志的操作与对象名称（筛选用）", handler: s.auditWords},
		{method: "GET", path: "/audit/actors", summary: "审计日志中出现的操作人（本辖区，筛选用）", handler: s.auditActors},
		{method: "GET", path: "/audit/verify", summary: "校验审计日志哈希链", handler: s.verifyAudit},
		{method: "GET", path: "/anomalies", summary: "异常情况（审计规则扫描与比对结果，按区域范围）", handler: s.listAnomalies},
		{method: "GET", path: "/anomalies.xlsx", summary: "导出异常情况清单", handler: s.exportAnomalies},
		{method: "GET", path: "/anomalies/:id", summary: "异常详情", handler: s.getAnomaly},
		{method: "PATCH", path: "/anomalies/:id", summary: "说明异常（explained，附说明）或重新打开（open）", handler: s.patchAnomaly},
		{method: "POST", path: "/anomalies/scan", summary: "立即扫描异常情况", handler: s.scanAnomalies},
		{method: "POST", path: "/matching", summary: "跨部门比对（民政低保、脱贫监测、残联、死亡名单）", upload: true, handler: s.matching},
		{method: "GET", path: "/dashboard", summary: "首页：待办事项与学期统计（默认有数据的最近学期；按权限范围）", handler: s.dashboard},
		{method: "GET", path: "/workbench", summary: "首页待办：各校各项目进度与指标、已审核待生成批次、暂缓发放的学生", handler: s.workbench},
		{method: "GET", path: "/dashboard/chart.svg", summary: "首页统计图（SVG，kind=program|school|batches）", handler: s.dashboardChart},
	}, s.loanRoutes()...)
}

func (s *Server) ready(c *gin.Context) {
	if err := s.reports.Ping(c.Request.Context()); err != nil {
		s.log.WarnContext(c.Request.Context(), "not ready", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// loopbackOnly keeps metrics off the public listener: the peer address is
// used, not X-Forwarded-For, which a caller could forge.
func loopbackOnly(c *gin.Context) {
	host, _, err := net.SplitHostPort(c.Request.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fail(c, http.StatusForbidden, "forbidden", "监控指标只对本机开放")
		return
	}
	c.Next()
}
