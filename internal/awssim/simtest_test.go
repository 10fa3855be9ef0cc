package awssim

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/topology"
)

// start serves a fresh awssim seeded from the local example topology and returns SDK clients for it.
func start(t *testing.T, opts Options) (*Server, *awsclient.Factory, string) {
	t.Helper()
	return startWith(t, opts, nil)
}

// startWith is start with the example topology changed by edit first (nil: unchanged).
func startWith(t *testing.T, opts Options, edit func(*topology.Topology)) (*Server, *awsclient.Factory, string) {
	t.Helper()
	topo, err := topology.Load("../../examples/roadcall-local.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&topo)
	}
	sim := New(topo, opts)
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	if err != nil {
		t.Fatal(err)
	}
	return sim, f, hs.URL
}

// upsertMode turns the example into an older topology: DNS mode upsert, no failover records, routing
// controls or RECOVERY_CONTROL checks, so the zone holds one simple alias record as before issue 10.
func upsertMode(t *topology.Topology) {
	t.DNS.Mode, t.DNS.Records, t.DNS.RoutingControls = topology.DNSUpsert, nil, nil
	var https []topology.HealthCheck
	for _, hc := range t.HealthChecks {
		if hc.Type != topology.HealthCheckRecoveryControl {
			https = append(https, hc)
		}
	}
	t.HealthChecks = https
}

// awsCLI runs the machine's AWS CLI against the simulator at url and decodes its JSON output. The CLI is a
// client we did not write: it proves awssim speaks AWS, not just what our SDK code expects.
func awsCLI(t *testing.T, url string, args ...string) map[string]any {
	t.Helper()
	out, err := awsCLIRaw(t, url, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var v map[string]any
	if len(strings.TrimSpace(string(out))) == 0 {
		return map[string]any{}
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("aws %s: output is not a JSON object: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// awsCLIRaw runs the CLI and returns its combined output and error, for tests that expect a failure.
func awsCLIRaw(t *testing.T, url string, args ...string) ([]byte, error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed (pip install awscli); skipping the independent-client check")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=awssim", "AWS_SECRET_ACCESS_KEY=awssim", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=2")
	return cmd.CombinedOutput()
}
