package api

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"sort"

	"github.com/gin-gonic/gin"
)

// webFiles is the browser page, built into the binary so `go run . serve`
// shows it with no separate build step and no CDN: the bureaus' intranets
// have no internet.
//
//go:embed web
var webFiles embed.FS

// webTypes are the assets' content types, fixed here rather than taken from
// the host's mime database so that every server answers the same (nosniff is
// on, so a wrong type would break the page).
var webTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// webPaths lists the page's URLs in order: / and one /web/… per embedded
// asset. Each is a route of its own, so anything else under /web/ gets the
// API's JSON 404 and the route list says exactly what is served.
func webPaths() []string {
	entries, _ := fs.ReadDir(webFiles, "web")
	out := []string{"/"}
	for _, e := range entries {
		if _, ok := webTypes[path.Ext(e.Name())]; ok && !e.IsDir() {
			out = append(out, "/web/"+e.Name())
		}
	}
	sort.Strings(out[1:])
	return out
}

// mountWeb serves the single-page app. The page is static: it reads
// everything through /api/v1 with the user's token, so it sees exactly what
// the API's scope rules allow.
func (s *Server) mountWeb(e *gin.Engine) {
	for _, p := range webPaths() {
		name := path.Base(p)
		if p == "/" {
			name = "index.html"
		}
		body, err := webFiles.ReadFile("web/" + name)
		if err != nil {
			panic(err) // listed from the same embedded directory a line above
		}
		ctype := webTypes[path.Ext(name)]
		// HEAD too, for the load balancers' and monitors' probes of the page.
		e.Match([]string{http.MethodGet, http.MethodHead}, p, func(c *gin.Context) { c.Data(http.StatusOK, ctype, body) })
	}
}
