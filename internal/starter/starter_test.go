package starter

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/internal/topology"
)

// offline is an Env whose Dial fails the test: these cases must be decided before Temporal is reached.
func offline(t *testing.T) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	e := DefaultEnv()
	e.Out, e.Err = &out, &errOut
	e.Dial = func(context.Context, temporalclient.Config) (client.Client, error) {
		t.Error("dialed Temporal")
		return nil, errors.New("offline")
	}
	return e, &out, &errOut
}

func TestUsageAndBadInputExitCodes(t *testing.T) {
	good := filepath.Join("..", "..", "examples", "roadcall-local.json")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"platform":"roadcall","stage":"prod","primaryRegion":"us-east-1","drRegion":"us-east-1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, ExitBadInput, "usage: starter"},
		{[]string{"help"}, ExitOK, "usage: starter"},
		{[]string{"failovr"}, ExitBadInput, `unknown command "failovr"`},
		{[]string{"readiness"}, ExitBadInput, "--topology is required"},
		{[]string{"readiness", "--topology", bad}, ExitBadInput, `"drRegion"`},
		{[]string{"readiness", "--topology", good, "extra"}, ExitBadInput, `unexpected argument "extra"`},
		{[]string{"readiness", "--topolgy", good}, ExitBadInput, "flag provided but not defined: -topolgy"},
		{[]string{"status"}, ExitBadInput, "--workflow-id is required"},
		{[]string{"approve", "--workflow-id", "x"}, ExitBadInput, "--gate is required"},
		{[]string{"operator", "--workflow-id", "x", "--action", "reboot"}, ExitBadInput, `--action "reboot"`},
		{[]string{"schedule"}, ExitBadInput, "say what to schedule"},
		{[]string{"schedule", "readiness", "--every", "10s"}, ExitBadInput, "use at least 1m"},
		{[]string{"--address", "127.0.0.1:1", "readiness", "--topology", bad}, ExitBadInput, `"drRegion"`},
	} {
		e, out, errOut := offline(t)
		code := Main(context.Background(), tc.args, e)
		if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("starter %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
}

func TestSplitGlobal(t *testing.T) {
	g, rest := splitGlobal([]string{"--address", "h:1", "--namespace=dr", "status", "--workflow-id", "x"})
	if strings.Join(g, " ") != "--address h:1 --namespace=dr" || strings.Join(rest, " ") != "status --workflow-id x" {
		t.Fatalf("global %q rest %q", g, rest)
	}
	// Every temporal CLI connection flag, booleans standing alone.
	g, rest = splitGlobal([]string{"--tls", "--tls-ca-path", "ca.pem", "--profile=prod", "--tls-disable-host-verification", "readiness", "--topology", "t.json"})
	if strings.Join(g, " ") != "--tls --tls-ca-path ca.pem --profile=prod --tls-disable-host-verification" || strings.Join(rest, " ") != "readiness --topology t.json" {
		t.Fatalf("global %q rest %q", g, rest)
	}
}

func TestUnreadableTLSFileIsBadInputNamingTheSetting(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "ca.pem")
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	t.Setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", missing)
	var out, errOut bytes.Buffer
	e := DefaultEnv()
	e.Out, e.Err = &out, &errOut
	code := Main(context.Background(), []string{"status", "--workflow-id", "x"}, e)
	if code != ExitBadInput || !strings.Contains(errOut.String(), "TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read "+missing) {
		t.Fatalf("exit %d:\n%s", code, errOut.String())
	}
	errOut.Reset()
	code = Main(context.Background(), []string{"--tls-cert-path", missing, "--tls-key-path", missing, "status", "--workflow-id", "x"}, e)
	if code != ExitBadInput || !strings.Contains(errOut.String(), "--tls-cert-path: cannot read "+missing) {
		t.Fatalf("exit %d:\n%s", code, errOut.String())
	}
}

func TestRunIDsSortAndDiffer(t *testing.T) {
	e := DefaultEnv()
	now := time.Date(2026, 3, 1, 2, 3, 4, 5e6, time.UTC)
	e.Now = func() time.Time { return now }
	topo := mustTopo(t)
	a := e.runID("readiness", topo)
	now = now.Add(time.Millisecond)
	b := e.runID("readiness", topo)
	if a != "readiness-roadcall-prod-20260301T020304.005Z" || a >= b {
		t.Fatalf("run IDs %q, %q", a, b)
	}
}

func mustTopo(t *testing.T) topology.Topology {
	t.Helper()
	topo, err := topology.Load(filepath.Join("..", "..", "examples", "roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}
