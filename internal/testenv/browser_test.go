package testenv

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The page's text is what script rendered after load, as in the Temporal UI, not the HTML that was served.
func TestOpenPageWaitsForWhatScriptRenders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<html><body><p id="p">loading</p><script>
setTimeout(function(){document.getElementById("p").textContent = "gate failover pending"}, 300)</script></body></html>`))
	}))
	defer srv.Close()
	p := OpenPage(t, srv.URL, 30*time.Second, "gate failover pending")
	if !bytes.HasPrefix(p.PNG, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG: % x", p.PNG[:8])
	}
	if bytes.Contains([]byte(p.Text), []byte("loading")) {
		t.Fatalf("text is the served HTML, not the rendered page: %q", p.Text)
	}
	SaveScreenshot(t, "browser-selftest.png", p.PNG)
}
