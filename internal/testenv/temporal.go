package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/workflows"
)

// Temporal is a running dev server.
type Temporal struct {
	logf      *os.File
	Address   string
	Namespace string
	// UIAddress is set when the UI was asked for.
	UIAddress string
	Client    client.Client
	Binary    string
	// LogFile collects the server's output; its tail is printed when the test fails.
	LogFile string
}

// StartTemporal starts `temporal server start-dev` (headless unless ui) on a free port, with the DR search
// attributes registered, and stops it when the test ends.
// extraArgs go to start-dev as they are, e.g. --ui-codec-endpoint URL.
func StartTemporal(t testing.TB, ui bool, extraArgs ...string) *Temporal {
	t.Helper()
	bin := TemporalBinary(t)
	// The dev server picks several internal ports itself after we pick its frontend port; under a parallel
	// test run another process can take one first and the server dies at startup. A few attempts on fresh
	// ports make that race harmless, and a crash is noticed in its log instead of waiting out the dial.
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		tp, ds, err := startDevServer(t, bin, ui, attempt, extraArgs)
		if err == nil {
			return tp.keep(t, ds)
		}
		lastErr = err
		t.Logf("testenv: dev server attempt %d failed: %v", attempt, err)
	}
	t.Fatalf("testenv: start the Temporal dev server (%s): %v", bin, lastErr)
	return nil
}

func startDevServer(t testing.TB, bin string, ui bool, attempt int, extraArgs []string) (*Temporal, *testsuite.DevServer, error) {
	tp := &Temporal{Namespace: "default", Binary: bin, LogFile: filepath.Join(t.TempDir(), fmt.Sprintf("temporal-%d.log", attempt))}
	logf, err := os.Create(tp.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	tp.logf = logf
	tp.Address = freeAddr(t)
	opts := testsuite.DevServerOptions{
		ExistingPath:     bin,
		ClientOptions:    &client.Options{HostPort: tp.Address, Namespace: tp.Namespace, Logger: quietLogger{}, DataConverter: temporalclient.DataConverter()},
		LogLevel:         "error",
		LogFormat:        "json",
		SearchAttributes: searchAttributes(t),
		EnableUI:         ui,
		ExtraArgs:        extraArgs,
		Stdout:           logf,
		Stderr:           logf,
	}
	if ui {
		opts.UIPort = strings.TrimPrefix(freeAddr(t), "127.0.0.1:")
		tp.UIAddress = "http://127.0.0.1:" + opts.UIPort
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	go func() {
		// A server that crashed at startup never answers; stop waiting for it as soon as its log says so.
		for ctx.Err() == nil {
			if b, _ := os.ReadFile(tp.LogFile); crashed(b) {
				cancel()
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	ds, err := testsuite.StartDevServer(ctx, opts)
	if err != nil {
		killPort(bin, tp.Address)
		_ = logf.Close()
		return nil, nil, fmt.Errorf("%v\n%s", err, crashLines(tp.LogFile))
	}
	return tp, ds, nil
}

// keep registers the server's teardown.
func (tp *Temporal) keep(t testing.TB, ds *testsuite.DevServer) *Temporal {
	logf := tp.logf
	tp.Client = ds.Client()
	t.Cleanup(func() {
		tp.Client.Close()
		// Stop sends SIGINT and waits; bound the wait so a wedged server shows up as a failure, not a hang.
		stopped := make(chan error, 1)
		go func() { stopped <- ds.Stop() }()
		select {
		case <-stopped:
		case <-time.After(30 * time.Second):
			t.Errorf("testenv: the Temporal dev server at %s did not stop within 30s; killed", tp.Address)
			killPort(tp.Binary, tp.Address)
		}
		_ = logf.Close()
		if t.Failed() {
			t.Logf("temporal dev server log (tail):\n%s", tail(tp.LogFile, 30))
		}
	})
	return tp
}

// searchAttributes turns workflows.SearchAttributeTypes into what the dev server registers; the values
// are placeholders, only names and types are used.
func searchAttributes(t testing.TB) temporal.SearchAttributes {
	var ups []temporal.SearchAttributeUpdate
	for name, typ := range workflows.SearchAttributeTypes {
		switch typ {
		case "Keyword":
			ups = append(ups, temporal.NewSearchAttributeKeyKeyword(name).ValueSet(""))
		case "Bool":
			ups = append(ups, temporal.NewSearchAttributeKeyBool(name).ValueSet(false))
		case "Int":
			ups = append(ups, temporal.NewSearchAttributeKeyInt64(name).ValueSet(0))
		case "Double":
			ups = append(ups, temporal.NewSearchAttributeKeyFloat64(name).ValueSet(0))
		case "Text":
			ups = append(ups, temporal.NewSearchAttributeKeyString(name).ValueSet(""))
		case "Datetime":
			ups = append(ups, temporal.NewSearchAttributeKeyTime(name).ValueSet(time.Time{}))
		default:
			t.Fatalf("testenv: search attribute %s has type %q, which testenv does not know", name, typ)
		}
	}
	return temporal.NewSearchAttributes(ups...)
}

// freeAddr returns a 127.0.0.1 port that was free a moment ago, for servers that bind it themselves.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// quietLogger drops the SDK's client logs, which would bury the test's own output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

var _ log.Logger = quietLogger{}

// crashLines returns the lines of a dev server log that say why it died.
func crashLines(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "panic") || strings.Contains(line, "error") || strings.Contains(line, "address already in use") {
			out = append(out, line)
		}
		if len(out) == 8 {
			break
		}
	}
	return strings.Join(out, "\n")
}

// crashed reports a dev server log that shows it died at startup (a panic, or a port it could not bind).
func crashed(log []byte) bool {
	for _, sign := range []string{"panic:", `"level":"fatal"`, "address already in use"} {
		if bytes.Contains(log, []byte(sign)) {
			return true
		}
	}
	return false
}
