package starter

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roadcall/dr/internal/temporalclient"
)

func TestCodecServerRefusesBadSettingsAtStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	key := base64.StdEncoding.EncodeToString(k)
	for _, tc := range []struct {
		key  string
		args []string
		want string
	}{
		{"", []string{"--listen", "127.0.0.1:0"}, "no key: set ROADCALL_CODEC_KEY"},
		{base64.StdEncoding.EncodeToString(k[:31]), []string{"--listen", "127.0.0.1:0"}, "ROADCALL_CODEC_KEY: key"},
		{key, []string{"--listen", busy.Addr().String()}, "--listen " + busy.Addr().String()},
		{key, []string{"--listen", "127.0.0.1:0", "--ui-origin", "localhost:8080"}, `--ui-origin "localhost:8080"`},
		{key, []string{"--listen", "127.0.0.1:0", "--ui-origin", "http://localhost:8080/ui"}, "no path"},
	} {
		t.Setenv(temporalclient.EnvCodecKey, tc.key)
		e, _, errOut := offline(t)
		if code := Main(context.Background(), append([]string{"codec-server"}, tc.args...), e); code != ExitBadInput || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, want 2 with %q:\n%s", tc.args, code, tc.want, errOut)
		}
	}
}

func TestCodecHandlerRoundTripsAndGuardsOriginAndNamespace(t *testing.T) {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	codec, err := temporalclient.NewCodec("test", temporalclient.CodecKey{ID: "k1", Key: k})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(CodecHandler(codec, "dr", []string{"http://ui.example"}))
	defer srv.Close()
	post := func(path, body, ns, origin string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if ns != "" {
			req.Header.Set("X-Namespace", ns)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// "json/plain" and "roadcall-users-prod" in base64, as the protocol carries them.
	plain := `{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"InJvYWRjYWxsLXVzZXJzLXByb2Qi"}]}`
	resp, enc := post("/encode", plain, "dr", "http://ui.example")
	if resp.StatusCode != 200 || strings.Contains(enc, "InJvYWRjYWxsLXVzZXJzLXByb2Qi") || resp.Header.Get("Access-Control-Allow-Origin") != "http://ui.example" {
		t.Fatalf("encode: %d %v %s", resp.StatusCode, resp.Header, enc)
	}
	resp, dec := post("/decode", enc, "", "")
	if resp.StatusCode != 200 || !strings.Contains(dec, "InJvYWRjYWxsLXVzZXJzLXByb2Qi") {
		t.Fatalf("decode: %d %s", resp.StatusCode, dec)
	}
	if resp, _ := post("/decode", enc, "other", "http://ui.example"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another namespace: %d", resp.StatusCode)
	}
	if resp, _ := post("/decode", enc, "dr", "http://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS for an origin not given: %v", resp.Header)
	}
	// A payload under a key the server lacks: 400 with the key ID, never garbage.
	other, _ := temporalclient.NewCodec("other", temporalclient.CodecKey{ID: "k0", Key: make([]byte, 32)})
	srv2 := httptest.NewServer(CodecHandler(other, "dr", nil))
	defer srv2.Close()
	r2, _ := http.Post(srv2.URL+"/decode", "application/json", strings.NewReader(enc))
	b, _ := io.ReadAll(r2.Body)
	_ = r2.Body.Close()
	if r2.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `key ID "k1"`) {
		t.Fatalf("decode with the wrong key: %d %s", r2.StatusCode, b)
	}
}
