// Package testenv starts what an end-to-end test needs on one machine, each on a free port, and tears it
// all down with t.Cleanup: the `temporal` binary's dev server with the DR search attributes, an awssim
// seeded from the local topology, and a worker either in this process or as a separate process that a test
// can SIGKILL and replace.
package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/roadcall/dr/internal/iam"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// Options choose what New starts.
type Options struct {
	// TimeScale for awssim: 0 makes every modeled AWS operation finish on the next read; 0.001 turns a
	// 20-minute restore into 1.2 s, for tests that need to act while an operation is in flight.
	TimeScale float64
	// WorkerProcess runs ./worker as a separate process (built once per test binary) instead of in-process.
	WorkerProcess bool
	// NoWorker starts no worker; call Env.StartWorker when the test wants one.
	NoWorker bool
	// UI enables the dev server's web UI (off by default: tests do not need it and it costs a port).
	UI bool
	// UICodecEndpoint, when set, is the UI's remote codec (start-dev --ui-codec-endpoint); it implies UI.
	UICodecEndpoint string
	// Topology is the topology file, absolute or relative to the module root (default
	// examples/roadcall-local.json).
	Topology string
	// Policy is the worker's policy file, absolute or relative to the module root. Empty writes
	// PermissivePolicy: typed names and auto-approval for every workflow, so that scenario tests drive
	// gates as they always have; the trust tests use examples/policy-local.json.
	Policy string
	// EnforcePolicy, when set, makes awssim deny every call it does not allow (awssim --enforce-policy).
	EnforcePolicy *iam.Document
}

// Env is one running environment.
type Env struct {
	t        testing.TB
	Temporal *Temporal
	Sim      *Sim
	// Worker is nil with NoWorker until StartWorker is called.
	Worker *Worker
	// Topology is the topology awssim was seeded with, health URLs pointing at this awssim.
	Topology topology.Topology
	// TopologyFile holds Topology as JSON, for the starter and the CLI.
	TopologyFile string
	// PolicyFile is the worker's policy, for the worker and the starter (--policy).
	PolicyFile string
	opts       Options
}

// New starts a dev server, an awssim and (unless NoWorker) a worker.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	e := &Env{t: t, opts: opts}
	var devArgs []string
	if opts.UICodecEndpoint != "" {
		devArgs = []string{"--ui-codec-endpoint", opts.UICodecEndpoint}
	}
	e.Temporal = StartTemporal(t, opts.UI || opts.UICodecEndpoint != "", devArgs...)
	e.Sim = StartSim(t, opts.Topology, opts.TimeScale)
	if opts.EnforcePolicy != nil {
		e.Sim.Server.SetEnforcePolicy(opts.EnforcePolicy)
	}
	e.Topology = e.Sim.Topology
	e.TopologyFile = filepath.Join(t.TempDir(), "topology.json")
	writeJSON(t, e.TopologyFile, e.Topology)
	e.PolicyFile = opts.Policy
	switch {
	case e.PolicyFile == "":
		e.PolicyFile = filepath.Join(t.TempDir(), "policy.json")
		writeJSON(t, e.PolicyFile, PermissivePolicy(e.Topology))
	case !filepath.IsAbs(e.PolicyFile):
		e.PolicyFile = filepath.Join(ModuleRoot(t), e.PolicyFile)
	}
	if !opts.NoWorker {
		e.StartWorker()
	}
	return e
}

// StartWorker starts a worker of the kind the options ask for and makes it Env.Worker.
func (e *Env) StartWorker() *Worker {
	e.t.Helper()
	if e.opts.WorkerProcess {
		e.Worker = StartWorkerProcess(e.t, e.Temporal, e.Sim, e.PolicyFile)
	} else {
		e.Worker = StartWorkerInProcess(e.t, e.Temporal, e.Sim, e.PolicyFile)
	}
	return e.Worker
}

// RequestFile writes {"topology": <Env.Topology>} plus extra fields as a request file for
// `temporal workflow start --input-file`, and returns its path.
func (e *Env) RequestFile(extra map[string]any) string {
	e.t.Helper()
	req := map[string]any{"topology": e.Topology}
	for k, v := range extra {
		req[k] = v
	}
	f, err := os.CreateTemp(e.t.TempDir(), "request-*.json")
	if err != nil {
		e.t.Fatal(err)
	}
	_ = f.Close()
	writeJSON(e.t, f.Name(), req)
	return f.Name()
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ModuleRoot is the directory holding go.mod, found from the test's working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// TemporalBinary finds the temporal CLI in PATH or in $(go env GOPATH)/bin, failing with how to install it.
func TemporalBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("temporal"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "temporal")
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
	}
	t.Fatal("testenv: the temporal CLI is not installed (not in PATH nor in $(go env GOPATH)/bin).\n" +
		"Install it with:  go install github.com/temporalio/cli/cmd/temporal@v1.5.1   (or: make tools)")
	return ""
}

// CLI runs the temporal CLI against the dev server and returns its combined output.
func (e *Env) CLI(args ...string) (string, error) {
	e.t.Helper()
	return e.Temporal.CLI(e.t, args...)
}

// CLI runs the temporal CLI against this dev server.
func (tp *Temporal) CLI(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append(append([]string{}, args...), "--address", tp.Address, "--namespace", tp.Namespace)
	cmd := exec.CommandContext(ctx, tp.Binary, full...)
	cmd.Env = append(os.Environ(), "TEMPORAL_CONFIG_FILE=/dev/null", "NO_COLOR=1")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("temporal %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// StartWorkflowCLI starts a workflow with `temporal workflow start --type T --task-queue roadcall-dr
// --workflow-id ID --input-file F`, as an operator would.
func (e *Env) StartWorkflowCLI(workflowType, id, inputFile string) {
	e.t.Helper()
	if _, err := e.CLI("workflow", "start", "--type", workflowType, "--task-queue", workflows.TaskQueue,
		"--workflow-id", id, "--input-file", inputFile); err != nil {
		e.t.Fatal(err)
	}
}

// SignalCLI sends a signal with a JSON input through the CLI.
func (e *Env) SignalCLI(id, name string, input any) {
	e.t.Helper()
	b, err := json.Marshal(input)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.CLI("workflow", "signal", "--workflow-id", id, "--name", name, "--input", string(b)); err != nil {
		e.t.Fatal(err)
	}
}

// QueryCLI runs `temporal workflow query --name NAME -o json` and decodes the query result into out.
func (e *Env) QueryCLI(id, name string, out any) {
	e.t.Helper()
	s, err := e.CLI("workflow", "query", "--workflow-id", id, "--name", name, "--output", "json")
	if err != nil {
		e.t.Fatal(err)
	}
	var res struct {
		QueryResult []json.RawMessage `json:"queryResult"`
	}
	if err := json.Unmarshal([]byte(s), &res); err != nil || len(res.QueryResult) == 0 {
		e.t.Fatalf("temporal workflow query output is not {\"queryResult\": [...]}: %v\n%s", err, s)
	}
	if err := json.Unmarshal(res.QueryResult[0], out); err != nil {
		e.t.Fatalf("query %s result: %v\n%s", name, err, res.QueryResult[0])
	}
}
