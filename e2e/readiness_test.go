package e2e

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// TestReadinessFromTemporalCLI is the README's recipe: a worker process pointed at awssim by the standard
// AWS environment, and `temporal workflow start --input-file examples/requests/readiness.json` as-is.
func TestReadinessFromTemporalCLI(t *testing.T) {
	env := testenv.New(t, testenv.Options{WorkerProcess: true})
	ctx := ctxT(t, 2*time.Minute)
	id := "readiness-from-cli"
	env.StartWorkflowCLI("ReadinessCheck", id, filepath.Join(testenv.ModuleRoot(t), "examples", "requests", "readiness.json"))

	var rep workflows.ReadinessReport
	if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, &rep); err != nil {
		t.Fatalf("ReadinessCheck started from the CLI: %v", err)
	}
	if rep.Overall != workflows.Pass || rep.Fail != 0 || rep.Warn != 0 {
		t.Fatalf("default awssim should pass every check, got %s:\n%s", rep.Overall, render.ReadinessReport(rep))
	}
	topo := env.Topology
	// Every table gets a replica, PITR and latency row; plus Aurora, S3, backups, health checks, stacks.
	if min := 3*len(topo.Tables) + 2 + 2*len(topo.Buckets) + 1 + len(topo.HealthChecks) + len(topo.Stacks.Names); len(rep.Rows) < min {
		t.Fatalf("report has %d rows, want at least %d:\n%s", len(rep.Rows), min, render.ReadinessReport(rep))
	}
	var st workflows.Status
	env.QueryCLI(id, workflows.QueryStatus, &st)
	if st.Workflow != "ReadinessCheck" || st.Phase != workflows.PhaseCompleted {
		t.Fatalf("status query through the CLI: %+v", st)
	}
	// Read-only: not a single mutating AWS call, and no alarm when everything passes.
	if j := env.Sim.Journal(); len(j) != 0 {
		t.Fatalf("a passing readiness check made mutating AWS calls: %+v", j)
	}
	if p := env.Sim.Published(); len(p) != 0 {
		t.Fatalf("a passing readiness check published to SNS: %+v", p)
	}
}

// TestReadinessFromStarter runs `starter readiness` against a passing platform, then with Aurora lag above
// the RPO: the second report has a failing row that gives the reason, exits 1, and pages once.
func TestReadinessFromStarter(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := ctxT(t, 3*time.Minute)
	readiness := func() starterResult { return runStarter(ctx, env, "readiness", "--topology", env.TopologyFile) }

	r := readiness()
	if r.code != starter.ExitOK {
		t.Fatalf("starter readiness exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"started DR readiness check for roadcall-prod", "DR readiness for roadcall-prod: PASS", "RESULT", "dynamodb-replica", "roadcall-users-prod", "dr-standby-stack"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("starter output lacks %q:\n%s", want, r.stdout)
		}
	}

	env.Sim.AddFault(awssim.Fault{Kind: "replication-lag", Seconds: 1200})
	r = readiness()
	if r.code != starter.ExitFailed {
		t.Fatalf("with 20 min of lag (RPO 15 min) the check should fail with exit 1, got %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, ": FAIL") || !strings.Contains(r.stdout, "aurora-replication-lag") || !strings.Contains(r.stdout, "exceeds the RPO") {
		t.Fatalf("the report should show the Aurora lag row failing with its reason:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "readiness check(s) failed") {
		t.Errorf("stderr should say checks failed: %s", r.stderr)
	}
	pub := env.Sim.Published()
	if len(pub) != 1 || pub[0].Topic != env.Topology.AlarmTopic || !strings.Contains(pub[0].Body, "aurora-replication-lag") {
		t.Fatalf("want one alarm on %s naming the failing check, got %+v", env.Topology.AlarmTopic, pub)
	}
	for _, j := range env.Sim.Journal() {
		if j.Service != "sns" {
			t.Fatalf("readiness made a mutating call other than the alarm: %+v", j)
		}
	}
}

// TestStarterShowsRefusals: approve and operator go through the workflow's updates, so the validator's
// refusal reaches the operator with exit code 3. AWS latency keeps the readiness run open meanwhile.
func TestStarterShowsRefusals(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := ctxT(t, 2*time.Minute)
	env.Sim.AddFault(awssim.Fault{Kind: "latency", Service: "*", LatencyMS: 2000})
	r := runStarter(ctx, env, "readiness", "--topology", env.TopologyFile, "--wait=false")
	if r.code != starter.ExitOK {
		t.Fatalf("readiness --wait=false: exit %d: %s", r.code, r.stderr)
	}
	_, id, ok := strings.Cut(r.stdout, "workflow ID ")
	if !ok {
		t.Fatalf("no workflow ID in:\n%s", r.stdout)
	}
	id = strings.Fields(id)[0]

	r = runStarter(ctx, env, "approve", "--workflow-id", id, "--gate", "failover", "--approver", "alice")
	if r.code != starter.ExitRefused || !strings.Contains(r.stderr, `"failover" is not a gate of ReadinessCheck`) {
		t.Fatalf("approve of an unknown gate: exit %d, stderr %s", r.code, r.stderr)
	}
	r = runStarter(ctx, env, "operator", "--workflow-id", id, "--action", "retry")
	if r.code != starter.ExitRefused || !strings.Contains(r.stderr, "0 steps are paused") {
		t.Fatalf("operator with nothing paused: exit %d, stderr %s", r.code, r.stderr)
	}
	r = runStarter(ctx, env, "status", "--workflow-id", id)
	if r.code != starter.ExitOK || !strings.Contains(r.stdout, "ReadinessCheck  "+id) || !strings.Contains(r.stdout, "checks") {
		t.Fatalf("status: exit %d\n%s", r.code, r.output())
	}
	r = runStarter(ctx, env, "operator", "--workflow-id", id, "--action", "reboot")
	if r.code != starter.ExitBadInput || !strings.Contains(r.stderr, "--action") {
		t.Fatalf("operator --action reboot: exit %d, stderr %s", r.code, r.stderr)
	}
	env.Sim.ClearFaults()
	var rep workflows.ReadinessReport
	if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, &rep); err != nil || rep.Overall != workflows.Pass {
		t.Fatalf("the run should still complete and pass after the refusals: %v %s", err, rep.Overall)
	}
}

// badTopologies are topologies the starter and ReadinessCheck must both refuse, one of each kind of
// mistake a hand-edited topology file can carry (a value the rules forbid, a required field missing, a
// misspelt field, a file cut short), each with the words the refusal must contain to point at it.
func badTopologies(t *testing.T, env *testenv.Env) map[string]struct {
	body  []byte
	field string
} {
	base := mustJSON(t, env.Topology)
	edit := func(f func(m map[string]any)) []byte { return editTopology(t, env.Topology, f) }
	return map[string]struct {
		body  []byte
		field string
	}{
		"same primary and DR region": {edit(func(m map[string]any) { m["drRegion"] = m["primaryRegion"] }), `"drRegion"`},
		"missing table list":         {edit(func(m map[string]any) { delete(m, "tables") }), `"tables"`},
		"unknown field":              {edit(func(m map[string]any) { m["tabels"] = []any{} }), `"tabels"`},
		"malformed JSON":             {base[:len(base)/2], "malformed JSON"},
	}
}

// TestBadInputRefused: the starter refuses each bad topology before it dials Temporal, naming the field,
// with exit code 2; the workflow, given the same request directly, fails fast with a non-retryable
// InvalidRequest. awssim's journal proves no AWS call changed anything and no alarm went out.
func TestBadInputRefused(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := ctxT(t, 3*time.Minute)
	for name, tc := range badTopologies(t, env) {
		t.Run(name, func(t *testing.T) {
			path := tempFile(t, strings.ReplaceAll(name, " ", "-")+".json", tc.body)
			// No env: the starter must refuse before it dials Temporal.
			r := runStarter(ctx, nil, "readiness", "--topology", path)
			if r.dialed {
				t.Error("the starter dialed Temporal for a bad topology")
			}
			if r.code != starter.ExitBadInput || !strings.Contains(r.stderr, tc.field) || !strings.Contains(r.stderr, "nothing was started") {
				t.Fatalf("starter: exit %d, want %d with %s named\nstderr: %s", r.code, starter.ExitBadInput, tc.field, r.stderr)
			}

			// The workflow gets the same bytes as its request, bypassing every client-side check.
			req := append(append([]byte(`{"topology":`), tc.body...), '}')
			payload := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)}, Data: req}
			run, err := env.Temporal.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bad-" + strings.ReplaceAll(name, " ", "-"),
				TaskQueue: workflows.TaskQueue}, "ReadinessCheck", converter.NewRawValue(payload))
			if err != nil {
				t.Fatal(err)
			}
			err = run.Get(ctx, nil)
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) {
				t.Fatalf("workflow: want an application error, got %v", err)
			}
			if ae.Type() != workflows.ErrInvalidRequest || !ae.NonRetryable() || !strings.Contains(ae.Message(), tc.field) {
				t.Fatalf("workflow: want a non-retryable %s naming %s, got type %q non-retryable %v: %s", workflows.ErrInvalidRequest, tc.field, ae.Type(), ae.NonRetryable(), ae.Message())
			}
			// Not even a read: the history has no activity at all.
			if acts := scheduledActivities(ctx, t, env, run.GetID(), run.GetRunID()); len(acts) != 0 {
				t.Fatalf("the refused run scheduled activities %v", acts)
			}
		})
	}
	if j := env.Sim.Journal(); len(j) != 0 {
		t.Fatalf("refused requests reached AWS: %+v", j)
	}
	if p := env.Sim.Published(); len(p) != 0 {
		t.Fatalf("refused requests published to SNS: %+v", p)
	}
}
