package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testcerts"
	"github.com/roadcall/dr/internal/testenv"
)

// tlsTerminator is what sits in front of a TLS-secured Temporal (a load balancer, an ingress): it
// accepts TLS, optionally demands a client certificate, and passes the bytes to the plaintext dev server.
type tlsTerminator struct {
	Addr string
	// Accepted counts connections whose handshake succeeded; Refused collects the handshake errors.
	Accepted atomic.Int64
	mu       sync.Mutex
	Refused  []string
}

// With clientCAs it requires a client certificate signed by one of them. Go's TLS server names those CAs in
// its request, and Go's client then offers only a certificate they signed (none otherwise); a terminator
// that does not name them (quietCAs, as some load balancers) gets the wrong certificate and refuses it.
func startTLSTerminator(t *testing.T, backend string, cert tls.Certificate, clientCAs *x509.CertPool, quietCAs bool) *tlsTerminator {
	t.Helper()
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		// gRPC refuses a TLS server that does not negotiate HTTP/2 by ALPN.
		NextProtos: []string{"h2"},
		MinVersion: tls.VersionTLS12,
	}
	switch {
	case clientCAs != nil && quietCAs:
		cfg.ClientAuth = tls.RequireAnyClientCert
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			leaf, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			_, err = leaf.Verify(x509.VerifyOptions{Roots: clientCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			return err
		}
	case clientCAs != nil:
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, clientCAs
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	term := &tlsTerminator{Addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var conns sync.Map
	t.Cleanup(func() {
		_ = ln.Close()
		conns.Range(func(k, _ any) bool { _ = k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				term.serve(c.(*tls.Conn), backend, &conns)
			}()
		}
	}()
	return term
}

func (term *tlsTerminator) serve(c *tls.Conn, backend string, conns *sync.Map) {
	conns.Store(net.Conn(c), true)
	defer func() { conns.Delete(net.Conn(c)); _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		term.mu.Lock()
		term.Refused = append(term.Refused, err.Error())
		term.mu.Unlock()
		// Closing at once can reset the connection before the client reads the alert, and the client
		// then reports a broken pipe instead of the refusal; drain until it hangs up.
		_ = c.NetConn().SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.Copy(io.Discard, c.NetConn())
		return
	}
	_ = c.SetDeadline(time.Time{})
	term.Accepted.Add(1)
	b, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	conns.Store(b, true)
	defer func() { conns.Delete(b); _ = b.Close() }()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
}

func (term *tlsTerminator) refused() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return strings.Join(term.Refused, "\n")
}

// runStarterEnv runs one starter command line in-process, reaching Temporal only through the TEMPORAL_*
// variables in vars: no connection flag is given, as an operator's shell or a CI job would run it.
func runStarterEnv(t *testing.T, ctx context.Context, env *testenv.Env, vars map[string]string, args ...string) starterResult {
	t.Helper()
	for _, k := range temporalVars {
		t.Setenv(k, vars[k])
		if _, ok := vars[k]; !ok {
			_ = os.Unsetenv(k)
		}
	}
	var out, errOut bytes.Buffer
	e := starter.DefaultEnv()
	e.Out, e.Err, e.PollInterval, e.Policy = &out, &errOut, 100*time.Millisecond, env.PolicyFile
	code := starter.Main(ctx, args, e)
	return starterResult{code: code, stdout: out.String(), stderr: errOut.String(), dialed: true}
}

// temporalVars are the variables a test controls; the machine's own values must not leak into it.
var temporalVars = []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_TLS",
	"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
	"TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_CONFIG_FILE", "TEMPORAL_PROFILE"}

func envList(vars map[string]string) []string {
	var out []string
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// TestWorkerAndStarterOverTLS puts a TLS terminator in front of the dev server and configures the worker
// process and the starter only by the temporal CLI's documented variables: the address of the terminator,
// the CA that signed its certificate, the name in it, and an API key (which turns TLS on by itself, as
// for Temporal Cloud). A readiness run goes from the starter through the server to the worker and back.
func TestWorkerAndStarterOverTLS(t *testing.T) {
	env := testenv.New(t, testenv.Options{NoWorker: true})
	ctx := ctxT(t, 3*time.Minute)
	ca := testcerts.NewCA(t, "roadcall-test")
	server := ca.Server("temporal", "temporal.roadcall.test")
	term := startTLSTerminator(t, env.Temporal.Address, server.TLS, nil, false)

	const apiKey = "tmprl-test-api-key-do-not-log"
	vars := map[string]string{
		"TEMPORAL_ADDRESS":                 term.Addr,
		"TEMPORAL_NAMESPACE":               env.Temporal.Namespace,
		"TEMPORAL_API_KEY":                 apiKey,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": ca.CertFile,
		// The certificate names the service, not 127.0.0.1: as behind a load balancer reached by IP.
		"TEMPORAL_TLS_SERVER_NAME": "temporal.roadcall.test",
		"TEMPORAL_CONFIG_FILE":     filepath.Join(t.TempDir(), "none.toml"),
	}
	w := testenv.StartWorkerProcessEnv(t, env.Temporal, env.Sim, env.PolicyFile, envList(vars))
	workerConns := term.Accepted.Load()
	if workerConns == 0 {
		t.Fatalf("the worker polls, but not through the TLS terminator")
	}

	r := runStarterEnv(t, ctx, env, vars, "readiness", "--topology", env.TopologyFile)
	if r.code != starter.ExitOK || !strings.Contains(r.stdout, "PASS") {
		t.Fatalf("starter readiness over TLS: exit %d\nstdout:\n%s\nstderr:\n%s\nterminator refused:\n%s", r.code, r.stdout, r.stderr, term.refused())
	}
	if term.Accepted.Load() <= workerConns {
		t.Fatalf("the starter did not connect through the TLS terminator")
	}
	if s := term.refused(); s != "" {
		t.Fatalf("the terminator refused handshakes: %s", s)
	}

	// Without the CA the server's certificate is not trusted, and the message says which variable to set.
	delete(vars, "TEMPORAL_TLS_SERVER_CA_CERT_PATH")
	r = runStarterEnv(t, ctx, env, vars, "status", "--workflow-id", "x")
	if r.code == starter.ExitOK || !strings.Contains(r.stderr, "TEMPORAL_TLS_SERVER_CA_CERT_PATH") {
		t.Fatalf("untrusted server certificate: exit %d\nstderr:\n%s", r.code, r.stderr)
	}

	// The API key went to the worker and the starter, and neither wrote it anywhere.
	logb, err := os.ReadFile(w.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logb), "worker starting") || !strings.Contains(string(logb), "API key from TEMPORAL_API_KEY") {
		t.Fatalf("the worker should say how it connects:\n%s", logb)
	}
	if strings.Contains(string(logb)+r.stdout+r.stderr, apiKey) {
		t.Fatalf("the API key was logged")
	}
}

// TestWorkerAndStarterOverMTLS requires a client certificate at the terminator. The worker is configured by a
// profile in a temporal.toml (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), the starter by the TLS variables; a
// certificate from another CA and no certificate at all are refused, each with a message that says what to fix.
func TestWorkerAndStarterOverMTLS(t *testing.T) {
	env := testenv.New(t, testenv.Options{NoWorker: true})
	ctx := ctxT(t, 3*time.Minute)
	serverCA := testcerts.NewCA(t, "roadcall-server")
	server := serverCA.Server("temporal", "127.0.0.1", "localhost")
	clientCA := testcerts.NewCA(t, "roadcall-clients")
	workerCert := clientCA.Client("worker", "roadcall-dr-worker")
	starterCert := clientCA.Client("starter", "sre-alice")
	strangerCert := testcerts.NewCA(t, "someone-else").Client("stranger", "mallory")
	term := startTLSTerminator(t, env.Temporal.Address, server.TLS, clientCA.Pool, false)
	quiet := startTLSTerminator(t, env.Temporal.Address, server.TLS, clientCA.Pool, true)

	profile := filepath.Join(t.TempDir(), "temporal.toml")
	toml := fmt.Sprintf(`[profile.dr]
address = %q
namespace = %q
[profile.dr.tls]
client_cert_path = %q
client_key_path = %q
server_ca_cert_path = %q
`, term.Addr, env.Temporal.Namespace, workerCert.CertFile, workerCert.KeyFile, serverCA.CertFile)
	if err := os.WriteFile(profile, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	w := testenv.StartWorkerProcessEnv(t, env.Temporal, env.Sim, env.PolicyFile,
		[]string{"TEMPORAL_CONFIG_FILE=" + profile, "TEMPORAL_PROFILE=dr"})
	if term.Accepted.Load() == 0 {
		t.Fatalf("the worker polls, but not through the mTLS terminator")
	}

	vars := map[string]string{
		"TEMPORAL_ADDRESS":                 term.Addr,
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    starterCert.CertFile,
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     starterCert.KeyFile,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": serverCA.CertFile,
		"TEMPORAL_CONFIG_FILE":             filepath.Join(t.TempDir(), "none.toml"),
	}
	r := runStarterEnv(t, ctx, env, vars, "readiness", "--topology", env.TopologyFile)
	if r.code != starter.ExitOK || !strings.Contains(r.stdout, "PASS") {
		t.Fatalf("starter readiness over mTLS: exit %d\nstdout:\n%s\nstderr:\n%s\nterminator refused:\n%s", r.code, r.stdout, r.stderr, term.refused())
	}
	if s := term.refused(); s != "" {
		t.Fatalf("the terminator refused a handshake of the worker or the starter: %s", s)
	}

	// A certificate the clients' CA did not sign, at both kinds of terminator.
	vars["TEMPORAL_TLS_CLIENT_CERT_PATH"], vars["TEMPORAL_TLS_CLIENT_KEY_PATH"] = strangerCert.CertFile, strangerCert.KeyFile
	for _, tm := range []*tlsTerminator{term, quiet} {
		vars["TEMPORAL_ADDRESS"] = tm.Addr
		r = runStarterEnv(t, ctx, env, vars, "status", "--workflow-id", "x")
		if r.code == starter.ExitOK || !strings.Contains(r.stderr, "the server refused our client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH "+strangerCert.CertFile+")") {
			t.Fatalf("a client certificate of another CA: exit %d\nstderr:\n%s", r.code, r.stderr)
		}
	}
	// The client reads the alert a moment before the terminator's handshake call returns.
	waitFor(t, 5*time.Second, "the terminators refusing the stranger", func() bool {
		return strings.Contains(term.refused(), "didn't provide a certificate") && strings.Contains(quiet.refused(), "certificate signed by unknown authority")
	})
	vars["TEMPORAL_ADDRESS"] = term.Addr
	// No certificate at all.
	delete(vars, "TEMPORAL_TLS_CLIENT_CERT_PATH")
	delete(vars, "TEMPORAL_TLS_CLIENT_KEY_PATH")
	r = runStarterEnv(t, ctx, env, vars, "status", "--workflow-id", "x")
	if r.code == starter.ExitOK || !strings.Contains(r.stderr, "the server requires a client certificate (mTLS)") {
		t.Fatalf("no client certificate: exit %d\nstderr:\n%s", r.code, r.stderr)
	}

	// The worker's key never reaches its log.
	logb, err := os.ReadFile(w.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logb), "mTLS") || !strings.Contains(string(logb), "profile dr in "+profile) {
		t.Fatalf("the worker should say it connects with mTLS from the profile:\n%s", logb)
	}
	keyBody := strings.Split(string(workerCert.KeyPEM), "\n")[1]
	if strings.Contains(string(logb), keyBody) {
		t.Fatalf("the worker logged its private key")
	}
}
