package starter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/roadcall/dr/internal/temporalclient"
)

// codecServerCmd: starter codec-server --listen ADDR [--ui-origin URL,...]
//
// It serves Temporal's remote codec protocol (POST /encode and /decode of JSON Payloads) with the
// worker's keys, so `temporal workflow show --codec-endpoint` and the Temporal UI show plaintext to whoever
// can reach it. The protocol is the SDK's handler; this adds CORS for the UI and the namespace check.
func codecServerCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "codec-server")
	listen := f.String("listen", "127.0.0.1:8081", "HOST:PORT to serve /encode and /decode on")
	origins := f.String("ui-origin", "", "the Temporal UI's origin(s), comma-separated (e.g. http://localhost:8080), allowed by CORS; without it only non-browser clients (the temporal CLI) can use the server")
	if err := f.parse(args); err != nil {
		return err
	}
	codec, err := f.temporal.Codec()
	if err != nil {
		return badInput("%v", err)
	}
	if !codec.Encrypts() {
		return badInput("codec-server: no key: set %s (base64 of 32 bytes) or %s, the worker's keys", temporalclient.EnvCodecKey, temporalclient.EnvCodecKeyFile)
	}
	allowed, err := parseOrigins(*origins)
	if err != nil {
		return err
	}
	ns := f.temporal.ResolvedNamespace()
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return badInput("--listen %s: %v", *listen, err)
	}
	srv := &http.Server{Handler: CodecHandler(codec, ns, allowed), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.Out, "codec server on http://%s for namespace %s (%s); UI origins: %s\n", l.Addr(), ns, codec, orNone(allowed))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// CodecHandler is the codec server's handler: the SDK's remote codec protocol, behind CORS for the
// allowed origins and a check that the caller's X-Namespace (sent by the UI and the CLI) is ours, since
// these keys belong to one namespace.
func CodecHandler(codec *temporalclient.Codec, namespace string, origins []string) http.Handler {
	inner := converter.NewPayloadCodecHTTPHandler(codec)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && slices.Contains(origins, o) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", o)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			h.Set("Access-Control-Max-Age", "600")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if ns := r.Header.Get("X-Namespace"); ns != "" && ns != namespace {
			http.Error(w, fmt.Sprintf("this codec server holds the keys of namespace %s, not %s", namespace, ns), http.StatusForbidden)
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// parseOrigins checks --ui-origin: each must be scheme://host[:port], what a browser sends as Origin.
func parseOrigins(s string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, badInput("--ui-origin %q: want an origin such as http://localhost:8080 (scheme and host, no path)", o)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
