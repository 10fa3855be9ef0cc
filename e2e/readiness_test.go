// Package e2e runs the DR workflows end to end: the temporal binary's dev server, an awssim and a worker,
// started from the temporal CLI and from the starter, with the final awssim state checked.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

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
		t.Fatalf("default awssim should pass every check, got %s:\n%s", rep.Overall, rep)
	}
	topo := env.Topology
	// Every table gets a replica, PITR and latency row; plus Aurora, S3, backups, health checks, stacks.
	if min := 3*len(topo.Tables) + 2 + 2*len(topo.Buckets) + 1 + len(topo.HealthChecks) + len(topo.Stacks.Names); len(rep.Rows) < min {
		t.Fatalf("report has %d rows, want at least %d:\n%s", len(rep.Rows), min, rep)
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
	run := func() (int, string, string) {
		var out, errOut bytes.Buffer
		e := starter.DefaultEnv()
		e.Out, e.Err, e.PollInterval = &out, &errOut, 200*time.Millisecond
		code := starter.Main(ctx, []string{"--address", env.Temporal.Address, "readiness", "--topology", env.TopologyFile}, e)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run()
	if code != starter.ExitOK {
		t.Fatalf("starter readiness exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"started DR readiness check for roadcall-prod", "DR readiness for roadcall-prod: PASS", "RESULT", "dynamodb-replica", "roadcall-users-prod", "dr-standby-stack"} {
		if !strings.Contains(out, want) {
			t.Errorf("starter output lacks %q:\n%s", want, out)
		}
	}

	env.Sim.AddFault(awssim.Fault{Kind: "replication-lag", Seconds: 1200})
	code, out, errOut = run()
	if code != starter.ExitFailed {
		t.Fatalf("with 20 min of lag (RPO 15 min) the check should fail with exit 1, got %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, ": FAIL") || !strings.Contains(out, "aurora-replication-lag") || !strings.Contains(out, "exceeds the RPO") {
		t.Fatalf("the report should show the Aurora lag row failing with its reason:\n%s", out)
	}
	if !strings.Contains(errOut, "readiness check(s) failed") {
		t.Errorf("stderr should say checks failed: %s", errOut)
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
	cmd := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		e := starter.DefaultEnv()
		e.Out, e.Err = &out, &errOut
		code := starter.Main(ctx, append(args, "--address", env.Temporal.Address), e)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := cmd("readiness", "--topology", env.TopologyFile, "--wait=false")
	if code != starter.ExitOK {
		t.Fatalf("readiness --wait=false: exit %d: %s", code, errOut)
	}
	_, id, ok := strings.Cut(out, "workflow ID ")
	if !ok {
		t.Fatalf("no workflow ID in:\n%s", out)
	}
	id = strings.Fields(id)[0]

	code, _, errOut = cmd("approve", "--workflow-id", id, "--gate", "failover", "--approver", "alice")
	if code != starter.ExitRefused || !strings.Contains(errOut, `"failover" is not a gate of ReadinessCheck`) {
		t.Fatalf("approve of an unknown gate: exit %d, stderr %s", code, errOut)
	}
	code, _, errOut = cmd("operator", "--workflow-id", id, "--action", "retry")
	if code != starter.ExitRefused || !strings.Contains(errOut, "0 steps are paused") {
		t.Fatalf("operator with nothing paused: exit %d, stderr %s", code, errOut)
	}
	code, out, errOut = cmd("status", "--workflow-id", id)
	if code != starter.ExitOK || !strings.Contains(out, "ReadinessCheck  "+id) || !strings.Contains(out, "checks") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = cmd("operator", "--workflow-id", id, "--action", "reboot")
	if code != starter.ExitBadInput || !strings.Contains(errOut, "--action") {
		t.Fatalf("operator --action reboot: exit %d, stderr %s", code, errOut)
	}
	env.Sim.ClearFaults()
	var rep workflows.ReadinessReport
	if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, &rep); err != nil || rep.Overall != workflows.Pass {
		t.Fatalf("the run should still complete and pass after the refusals: %v %s", err, rep.Overall)
	}
}

// badTopologies are the refused inputs of issue 2, each with the words the refusal must contain.
func badTopologies(t *testing.T, env *testenv.Env) map[string]struct {
	body  []byte
	field string
} {
	base, err := json.Marshal(env.Topology)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
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
	dir := t.TempDir()
	for name, tc := range badTopologies(t, env) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			if err := os.WriteFile(path, tc.body, 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			e := starter.DefaultEnv()
			e.Out, e.Err = &out, &errOut
			e.Dial = func(context.Context, temporalclient.Config) (client.Client, error) {
				t.Error("the starter dialed Temporal for a bad topology")
				return nil, errors.New("must not dial")
			}
			code := starter.Main(ctx, []string{"readiness", "--topology", path}, e)
			if code != starter.ExitBadInput || !strings.Contains(errOut.String(), tc.field) || !strings.Contains(errOut.String(), "nothing was started") {
				t.Fatalf("starter: exit %d, want %d with %s named\nstderr: %s", code, starter.ExitBadInput, tc.field, errOut.String())
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
			it := env.Temporal.Client.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				if ev.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
					t.Fatalf("the refused run scheduled activity %s", ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
				}
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

// TestReadinessGoldenHistories writes workflows/testdata/ReadinessCheck-*.json from runs on the dev server:
// one where every check passes and one where a failing check publishes the alarm. Regenerate with
//
//	UPDATE_GOLDEN=1 go test ./e2e -run TestReadinessGoldenHistories
func TestReadinessGoldenHistories(t *testing.T) {
	if os.Getenv("UPDATE_GOLDEN") == "" {
		t.Skip("set UPDATE_GOLDEN=1 to regenerate the golden histories on the dev server")
	}
	env := testenv.New(t, testenv.Options{})
	ctx := ctxT(t, 2*time.Minute)
	for _, run := range []struct {
		name  string
		fault *awssim.Fault
	}{{"pass", nil}, {"fail-alarmed", &awssim.Fault{Kind: awssim.FaultStaleBackups}}} {
		env.Sim.Reset()
		if run.fault != nil {
			env.Sim.AddFault(*run.fault)
		}
		id := "golden-readiness-" + run.name
		env.StartWorkflowCLI("ReadinessCheck", id, env.RequestFile(nil))
		var rep workflows.ReadinessReport
		if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, &rep); err != nil {
			t.Fatal(err)
		}
		if (run.fault != nil) != rep.Alarmed {
			t.Fatalf("%s: alarmed=%v\n%s", run.name, rep.Alarmed, rep)
		}
		out, err := env.CLI("workflow", "show", "--workflow-id", id, "--output", "json")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(testenv.ModuleRoot(t), "workflows", "testdata", "ReadinessCheck-"+run.name+".json")
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}
