package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Page is what a person would see of a page: its rendered text and a full-page screenshot.
type Page struct {
	Text string
	PNG  []byte
}

// Chromium is the headless browser's path. A check of what a person sees must not pass by not running, so
// a machine without it fails the test with the fix (CI's .ci/run installs it).
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{os.Getenv("ROADCALL_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on this machine: apt-get install chromium (or set ROADCALL_CHROMIUM to a Chrome binary)")
	return ""
}

// OpenPage loads url in headless Chromium, waits until the rendered text contains every one of want (a
// single-page app renders after load), and returns the text and a PNG screenshot. It fails the test with the
// text it did see when want never appears within timeout. The browser is gone when it returns.
func OpenPage(t testing.TB, url string, timeout time.Duration, want ...string) Page {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.WindowSize(1440, 1100),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	defer cancelT()

	var text string
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("chromium could not load %s: %v", url, err)
	}
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if err == nil {
			text = got
		}
		if err == nil && containsAll(text, want) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never showed %q within %s; it showed:\n%s", url, want, timeout, text)
		case <-time.After(250 * time.Millisecond):
		}
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", url, err)
	}
	return Page{Text: text, PNG: png}
}

// SaveScreenshot writes png into the test's temp dir and, when ROADCALL_SCREENSHOT_DIR is set, there too, so
// a person can look at what the check saw. It returns the path in the screenshot dir, or the temp one.
func SaveScreenshot(t testing.TB, name string, png []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("ROADCALL_SCREENSHOT_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot: %s", path)
	return path
}

func containsAll(s string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
