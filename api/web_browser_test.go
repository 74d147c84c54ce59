package api_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// chromiumPath finds Debian's Chromium. scripts/test.sh sets
// STUDENTAID_REQUIRE_BROWSER=1 so that a missing browser fails the suite
// instead of quietly skipping the page's end-to-end tests.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("STUDENTAID_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium is not installed but STUDENTAID_REQUIRE_BROWSER=1 (apt-get install chromium)")
	}
	t.Skip("chromium is not installed; set STUDENTAID_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// browser is one headless Chromium tab on the page under test. Its steps
// fail the test with what the page showed, and it collects script errors,
// CSP refusals and console errors, which the page must never cause, except
// the answers the API gives on purpose (allowed).
type browser struct {
	t         *testing.T
	ctx       context.Context
	base      string
	shots     string
	downloads string

	mu       sync.Mutex
	problems []string
	allowed  map[string]bool
}

// expectedStatuses are the API answers a page shows as a message rather
// than failing on: an ended session (401), a refusal by role or scope (403),
// a conflict such as a loan already taken (409) and a broken rule (422). The
// browser logs each as a failed resource load; any other failed load is a
// problem unless the test allows its status.
var expectedStatuses = []string{"401", "403", "409", "422"}

var failedLoad = regexp.MustCompile(`status of (\d{3})`)

// allow adds statuses this test provokes on purpose (such as 400 for a form
// the server refuses).
func (b *browser) allow(statuses ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range statuses {
		b.allowed[s] = true
	}
}

// problem is what a console message says is wrong with the page, or "";
// b.mu is held.
func (b *browser) problem(m chromedp.ConsoleMessage) string {
	switch {
	case m.IsException() || strings.Contains(m.Text, "Content Security Policy"):
		return m.Text
	case m.Type != chromedp.ConsoleError:
		return ""
	}
	if st := failedLoad.FindStringSubmatch(m.Text); m.Source == "network" && st != nil && b.allowed[st[1]] {
		return ""
	}
	return fmt.Sprintf("console %s: %s %s", m.Type, m.Text, m.URL)
}

const browserStep = 15 * time.Second

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := chromiumPath(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	shots := os.Getenv("STUDENTAID_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, base: base, shots: shots, downloads: t.TempDir(), allowed: map[string]bool{}}
	b.allow(expectedStatuses...)
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
	})
	if err := chromedp.Do(ctx); err != nil {
		close(done)
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			if p := b.problem(m); p != "" {
				b.problems = append(b.problems, p)
			}
			b.mu.Unlock()
		}
	}()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: b.downloads}); err != nil {
		t.Fatal(err)
	}
	b.desktop()
	b.do(chromedp.Navigate(base + "/"))
	t.Logf("screenshots in %s", shots)
	return b
}

// do runs steps with a deadline; on failure it shows what the page said.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v\npage: %s", err, b.pageText())
	}
}

func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash + "\n" + document.body.innerText`))
	return s
}

// checkProblems fails the test on any script error, CSP refusal or console
// error so far.
func (b *browser) checkProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("page error: %s", p)
	}
	b.problems = nil
}

// waitFor waits until a JavaScript condition holds.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting for %s: %v\npage: %s", what, err, b.pageText())
	}
}

// waitText waits until the element's text contains every want.
func (b *browser) waitText(sel string, wants ...string) string {
	b.t.Helper()
	cond := fmt.Sprintf(`(() => { const n = document.querySelector(%q); return !!n`, sel)
	for _, w := range wants {
		cond += fmt.Sprintf(` && n.textContent.includes(%q)`, w)
	}
	b.waitFor(fmt.Sprintf("%s to show %q", sel, wants), cond+"; })()")
	return b.text(sel)
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).textContent`, sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// visit moves the single-page app to a route and waits for its heading.
func (b *browser) visit(route, title string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = %q`, "#"+route)))
	b.waitText("#page-title", title)
	b.waitFor("the page to settle", `!document.querySelector('main .loading')`)
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// login signs in through the form, after signing out whoever is in.
func (b *browser) login(user, password string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#logout') ? document.querySelector('#logout').click() : (location.hash = '#/login')`))
	b.waitFor("the login form", `!!document.querySelector('#login-submit')`)
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#username').value = document.querySelector('#password').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#username"), user), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")))
}

// signIn logs in and waits for the user's home page.
func (b *browser) signIn(user, password string) {
	b.t.Helper()
	b.login(user, password)
	b.waitText("#who-name", user)
	b.waitText("#page-title", "您好，")
}

// confirm waits for the confirmation dialog, checks it states the totals,
// photographs it and accepts.
func (b *browser) confirm(shot string, wants ...string) {
	b.t.Helper()
	b.waitFor("the confirmation dialog", `document.querySelector('#confirm').open`)
	b.waitText("#confirm", wants...)
	b.shot(shot)
	b.click("#confirm-ok")
	b.waitFor("the dialog to close", `!document.querySelector('#confirm').open`)
}

func (b *browser) upload(sel, path string) {
	b.t.Helper()
	b.do(chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}

// download waits for a file whose name contains part to finish downloading.
func (b *browser) download(part string) string {
	b.t.Helper()
	deadline := time.Now().Add(browserStep)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(b.downloads)
		for _, e := range entries {
			if strings.Contains(e.Name(), part) && !strings.HasSuffix(e.Name(), ".crdownload") {
				if info, err := e.Info(); err == nil && info.Size() > 0 {
					return filepath.Join(b.downloads, e.Name())
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("no download named *%s* in %s\npage: %s", part, b.downloads, b.pageText())
	return ""
}

func (b *browser) desktop() {
	b.do(chromedp.EmulateViewport(1366, 768))
}

// chartsFit holds once every chart on the page is drawn for its frame's
// width, as the page redraws them when the window changes size.
const chartsFit = `[...document.querySelectorAll('figure.chart')].every((f) => {
	const s = f.querySelector('svg');
	return !s || Number(s.getAttribute('width')) === Math.max(280, Math.floor(f.clientWidth));
})`

// shot saves the page as an office screen (1366×768) and a phone (390×844)
// show it, the whole length of the page.
func (b *browser) shot(name string) {
	b.t.Helper()
	for _, v := range []struct {
		suffix string
		size   chromedp.Action[chromedp.Void]
	}{
		{"1366x768", chromedp.EmulateViewport(1366, 768)},
		{"390x844", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)},
	} {
		b.do(v.size)
		b.waitFor("charts drawn for the width", chartsFit)
		b.checkWords(name)
		if v.suffix == "390x844" {
			b.checkFits(name)
		}
		ctx, cancel := context.WithTimeout(b.ctx, browserStep)
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(b.shots, name+"-"+v.suffix+".png"), img, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.desktop()
}

// tooWide lists the elements sticking out past the viewport's right edge,
// outside the boxes that scroll sideways on purpose (wide tables, the menu).
const tooWide = `[...document.querySelectorAll('body *')].filter((e) => {
	if (e.closest('.table-wrap, #nav ul, dialog:not([open])') || !e.getClientRects().length) return false;
	return e.getBoundingClientRect().right > window.innerWidth + 1;
}).slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')`

// checkFits fails when anything but a scrolling table is wider than a phone.
func (b *browser) checkFits(shot string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](tooWide))
	if err != nil {
		b.t.Fatal(err)
	}
	if len(wide) > 0 {
		b.t.Errorf("%s: wider than 390 px: %v", shot, wide)
	}
}

// latinWords are the ASCII words a page may show: codes and names people
// use as they are (login names, batch numbers, file types).
var latinWords = map[string]bool{"Excel": true, "xlsx": true, "xls": true, "WPS": true, "SHA": true, "IP": true,
	"admin": true, "BOARDING": true, "NONBOARDING": true, "VOCATIONAL": true, "GRANT": true, "SENIOR": true, "JavaScript": true}

// visibleWords are the Latin-letter words in the visible text, except in
// the user's login name and the users table, where login names are shown.
const visibleWords = `(() => {
	const skip = (n) => n.parentElement && n.parentElement.closest('#who-name, #users, code, input, select, option, [hidden]');
	const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	const out = [];
	for (let n; (n = w.nextNode());) {
		if (skip(n) || !n.parentElement.getClientRects().length) continue;
		out.push(...(n.textContent.match(/[A-Za-z][A-Za-z0-9_]*/g) || []).filter((w) => w.length > 1));
	}
	return out;
})()`

// checkWords fails on an English word on screen: the page is for people
// who read Chinese, and a code showing means a missing translation.
func (b *browser) checkWords(shot string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	words, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](visibleWords))
	if err != nil {
		b.t.Fatal(err)
	}
	var bad []string
	for _, w := range words {
		// Login names (with "_"), the system's own actor name and
		// hashes or numbers (with digits) are names and codes, not words.
		if !latinWords[w] && !strings.Contains(w, "_") && !strings.ContainsAny(w, "0123456789") && w != "system" {
			bad = append(bad, w)
		}
	}
	if len(bad) > 0 {
		b.t.Errorf("%s: English words on screen: %v", shot, bad)
	}
}

// sameRows checks that a downloaded export has the rows the table on the
// screen shows: same count, and each screen row's cell screenCol equal to
// the file's column fileCol (the file's own 序号 and 合计 rows aside).
func (b *browser) sameRows(path, sheet, table string, screenCol, fileCol int) {
	b.t.Helper()
	b.sameRowsAs(path, sheet, 2, fileCol, table, fmt.Sprintf("r.cells[%d].innerText.trim()", screenCol))
}

// sameRowsAs is sameRows for a file whose data starts at row first (0-based)
// and a screen row read by the expression cell of r (its <tr>), for a cell
// that holds more than the file's value (a link beside it).
func (b *browser) sameRowsAs(path, sheet string, first, fileCol int, table, cell string) {
	b.t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		b.t.Fatalf("export %s does not open: %v", path, err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	screen, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`[...document.querySelectorAll('%s tbody tr')].map((r) => %s)`, table, cell)))
	if err != nil {
		b.t.Fatal(err)
	}
	var data []string
	for _, r := range rows[min(first, len(rows)):] {
		if len(r) > fileCol && r[0] != "合计" {
			data = append(data, r[fileCol])
		}
	}
	if len(data) != len(screen) {
		b.t.Fatalf("export %s has %d rows, the screen %d", path, len(data), len(screen))
	}
	for i := range screen {
		if data[i] != screen[i] {
			b.t.Errorf("export row %d: %q, screen %q", i+1, data[i], screen[i])
		}
	}
}
