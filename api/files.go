package api

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"

	"github.com/gin-gonic/gin"
)

const (
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	xlsType  = "application/vnd.ms-excel"
)

// setDownloadName names a download; the name may be Chinese (RFC 6266).
func setDownloadName(c *gin.Context, name string) {
	c.Header("Content-Disposition", `attachment; filename="download`+path.Ext(name)+`"; filename*=UTF-8''`+url.PathEscape(name))
}

// sendFile answers with a download.
func sendFile(c *gin.Context, name, contentType string, body []byte) {
	setDownloadName(c, name)
	c.Data(http.StatusOK, contentType, body)
}

// sendXLSX writes a workbook produced by write, or the error.
func sendXLSX(c *gin.Context, name string, write func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, name, xlsxType, buf.Bytes())
}

// formFile opens the uploaded file of a multipart field, answering 400 or
// 413 itself when there is none or the body is too large.
func formFile(c *gin.Context, field string) (multipart.File, *multipart.FileHeader, bool) {
	fh, err := c.FormFile(field)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(c, http.StatusRequestEntityTooLarge, "file_too_large", "上传的文件过大")
			return nil, nil, false
		}
		fail(c, http.StatusBadRequest, "no_file", "请选择要上传的文件（表单字段 "+field+"）")
		return nil, nil, false
	}
	f, err := fh.Open()
	if err != nil {
		writeError(c, err)
		return nil, nil, false
	}
	return f, fh, true
}

// notModified marks a frozen file with its SHA-256 as ETag and answers 304
// when the client already holds those bytes (true: the answer is sent).
func notModified(c *gin.Context, sha256 string) bool {
	etag := `"` + sha256 + `"`
	c.Header("ETag", etag)
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return true
	}
	return false
}
