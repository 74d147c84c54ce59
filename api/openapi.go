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
			op["responses"].(map[string]any)["413"] = map[string]any{"description": "文件过大：超过上传大小上限，或解压后超过内容上限（单元格、行、全表），未写入任何数据",
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		}
		if detail, ok := openAPIDetails[r.method+" "+r.path]; ok {
			detail(op)
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

// openAPIDetails describe the parameters and answers of routes whose
// contract the table alone does not say.
var openAPIDetails = map[string]func(op map[string]any){
	"GET /rosters/template": func(op map[string]any) {
		op["parameters"] = []any{
			map[string]any{"name": "school_year", "in": "query", "schema": map[string]any{"type": "string", "example": "2025-2026"}},
			map[string]any{"name": "format", "in": "query", "description": "xlsx（默认，含示例行）；xls：Excel 97-2003 格式，供 WPS 和旧版 Excel 使用，不含示例行，各学年通用",
				"schema": map[string]any{"type": "string", "enum": []string{"xlsx", "xls"}}},
		}
		op["responses"].(map[string]any)["200"] = map[string]any{"description": "花名册模板", "content": map[string]any{
			xlsxType: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
			xlsType:  map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
		}}
	},
	"POST /rosters": func(op map[string]any) {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{"schema": map[string]any{
			"type": "object", "required": []string{"file", "school_year"},
			"properties": map[string]any{
				"file": map[string]any{"type": "string", "format": "binary",
					"description": "花名册：Excel 工作簿（.xlsx），或 Excel 97-2003 工作簿（.xls，WPS 等保存）。按内容识别格式，与扩展名无关"},
				"school_year": map[string]any{"type": "string", "example": "2025-2026"},
				"school_id":   map[string]any{"type": "integer", "description": "县级上传可省略，按每行的学校标识码"},
				"mode":        map[string]any{"type": "string", "enum": []string{"all_or_nothing", "valid_rows"}},
				"dry_run":     map[string]any{"type": "string", "enum": []string{"true", "false"}},
			},
		}}}}
		responses := op["responses"].(map[string]any)
		responses["202"] = map[string]any{"description": "大文件在后台导入：按 id 查询 GET /rosters/{id}"}
		responses["413"] = map[string]any{"description": "文件过大（code：file_too_large 超过大小上限；too_many_rows 行数过多；zip_bomb 压缩比异常；" +
			"cell_too_large、row_too_large、content_too_large 解压后单元格、行或全表内容超过上限），未导入任何数据",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	},
	// Bank results and the loan desk's files are read by the roster's
	// reader within its bounds (service/ledger).
	"POST /batches/:id/results":       tableUpload413("bank_result_too_large"),
	"POST /loans/applications/import": tableUpload413("loan_file_too_large"),
	"POST /loans/receipts":            tableUpload413("loan_file_too_large"),
	"POST /loans/bank-files":          tableUpload413("loan_file_too_large"),
}

// tableUpload413 describes the 413 of an upload read like a roster; sizeCode
// is the route's own code for a file over the size limit.
func tableUpload413(sizeCode string) func(op map[string]any) {
	return func(op map[string]any) {
		op["responses"].(map[string]any)["413"] = map[string]any{"description": "文件过大（code：file_too_large、" + sizeCode + " 超过大小上限；" +
			"zip_bomb 压缩比异常；cell_too_large、row_too_large、content_too_large 解压后单元格、行或全表内容超过上限），未写入任何数据",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
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
