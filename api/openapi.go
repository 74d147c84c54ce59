package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
)

var pathParam = regexp.MustCompile(`:([a-z_]+)`)

// openAPIPath turns gin's /students/:id into OpenAPI's /students/{id}.
func openAPIPath(p string) string {
	return pathParam.ReplaceAllString(p, "{$1}")
}

// openAPIDocument describes every route of the table in OpenAPI 3.
func openAPIDocument(routes []route) map[string]any {
	paths := map[string]map[string]any{}
	for _, r := range routes {
		p := "/api/v1" + openAPIPath(r.path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{
			"summary":     r.summary,
			"operationId": strings.ToLower(r.method) + operationIDChars.Replace(openAPIPath(r.path)),
			"responses": map[string]any{
				"200":     map[string]any{"description": "成功"},
				"default": map[string]any{"description": "错误", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.public {
			op["security"] = []any{}
		}
		if r.upload {
			op["requestBody"] = map[string]any{"content": map[string]any{"multipart/form-data": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		paths[p][strings.ToLower(r.method)] = op
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		paths[p] = map[string]any{"get": map[string]any{"summary": "服务状态", "operationId": "get" + operationIDChars.Replace(p),
			"security": []any{}, "responses": map[string]any{"200": map[string]any{"description": "成功"}}}}
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "studentaid 学生资助管理 API", "version": "1"},
		"paths":   paths,
		"security": []any{
			map[string]any{"bearer": []any{}},
		},
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{
				"Error": map[string]any{"type": "object", "properties": map[string]any{
					"error": map[string]any{"type": "object", "properties": map[string]any{
						"code":    map[string]any{"type": "string"},
						"message": map[string]any{"type": "string"},
					}},
				}},
			},
		},
	}
}

func openAPIHandler(routes []route) gin.HandlerFunc {
	doc := openAPIDocument(routes)
	doc["paths"].(map[string]map[string]any)["/api/v1/openapi.json"] = map[string]any{
		"get": map[string]any{"summary": "本文档", "operationId": "get_api_v1_openapi.json", "security": []any{}, "responses": map[string]any{"200": map[string]any{"description": "成功"}}},
	}
	return func(c *gin.Context) { c.JSON(http.StatusOK, doc) }
}

// operationIDChars turns a path into an identifier: /students/{id} → _students_by_id.
var operationIDChars = strings.NewReplacer("/", "_", "-", "_", "{", "by_", "}", "")
