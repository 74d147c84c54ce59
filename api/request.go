package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

// bindJSON decodes the body or answers 400/413 itself and returns false.
func bindJSON(c *gin.Context, v any) bool {
	if err := c.ShouldBindJSON(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(c, http.StatusRequestEntityTooLarge, "body_too_large", "请求内容过大")
			return false
		}
		fail(c, http.StatusBadRequest, "invalid_json", "请求内容不是有效的 JSON："+err.Error())
		return false
	}
	return true
}

// pathID reads a numeric path parameter; anything else is simply not found.
func pathID(c *gin.Context, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		fail(c, http.StatusNotFound, "not_found", "记录不存在")
		return 0, false
	}
	return id, true
}

// page reads ?page=&page_size=.
func page(c *gin.Context) (service.Page, bool) {
	var p service.Page
	for name, dst := range map[string]*int{"page": &p.Page, "page_size": &p.PageSize} {
		if v := c.Query(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > service.MaxPage {
				fail(c, http.StatusBadRequest, "invalid_page", fmt.Sprintf("%s 必须是 1 到 %d 之间的整数", name, service.MaxPage))
				return p, false
			}
			*dst = n
		}
	}
	return p.Normalize(), true
}

// dateParam reads an optional YYYY-MM-DD (a day in Asia/Shanghai) or RFC 3339 time.
func dateParam(c *gin.Context, name string) (time.Time, bool) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.ParseInLocation("2006-01-02", v, model.Shanghai()); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	fail(c, http.StatusBadRequest, "invalid_date", name+" 须为 YYYY-MM-DD 格式的日期")
	return time.Time{}, false
}

// schoolYearQuery reads ?school_year=, the current one when absent.
func schoolYearQuery(c *gin.Context) (string, bool) {
	year := c.Query("school_year")
	if year == "" {
		year = model.TermOf(time.Now()).SchoolYear()
	}
	if model.ParseSchoolYear(year) != nil {
		fail(c, http.StatusBadRequest, "invalid_school_year", "学年格式应为 2025-2026")
		return "", false
	}
	return year, true
}

// listBody is the list shape of API.md.
type listBody[T any] struct {
	Items    []T   `json:"items"`
	Total    int64 `json:"total"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
}

func listOf[S, T any](l service.List[S], conv func(S) T) listBody[T] {
	out := listBody[T]{Items: make([]T, 0, len(l.Items)), Total: l.Total, Page: l.Page.Page, PageSize: l.Page.PageSize}
	for _, it := range l.Items {
		out.Items = append(out.Items, conv(it))
	}
	return out
}

func respond(c *gin.Context, status int, body any, err error) {
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(status, body)
}
