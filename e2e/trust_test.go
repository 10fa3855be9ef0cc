package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

const localPolicy = "examples/policy-local.json"

// as makes the starter act with one of examples/sim-identities.json's keys, as `AWS_ACCESS_KEY_ID=...
// starter ...` would against awssim.
func as(t *testing.T, env *testenv.Env, name string) func(*starter.Env) {
	t.Helper()
	ids, err := awssim.LoadIdentities(filepath.Join(testenv.ModuleRoot(t), "examples", "sim-identities.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id.Name == name {
			return func(e *starter.Env) {
				e.AWSConfig = func(ctx context.Context) (aws.Config, error) {
					return config.LoadDefaultConfig(ctx, config.WithRegion(env.Topology.DRRegion), config.WithBaseEndpoint(env.Sim.URL),
						config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id.AccessKeyID, id.SecretAccessKey, "")))
				}
			}
		}
	}
	t.Fatalf("no sim identity %q", name)
	return nil
}

func arn(name string) string { return "arn:aws:iam::123456789012:user/" + name }

// startRaw starts a workflow with the SDK client, bypassing the starter's checks, as the Temporal UI's
// "Start workflow" or `temporal workflow start` would.
func startRaw(t *testing.T, env *testenv.Env, wf, id string, req any) error {
	t.Helper()
	ctx := ctxT(t, time.Minute)
	run, err := env.Temporal.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, wf, req)
	if err != nil {
		t.Fatal(err)
	}
	return run.Get(ctx, nil)
}

// TestPolicyRefusesWhatTheRequestAsksBeyondIt: under examples/policy-local.json, a RegionFailover asking to
// approve itself, a request carrying a deploy command line, and a health URL on a host the policy does not
// list are refused with InvalidRequest naming the field, through the starter (exit 2) and started directly
// (the workflow's own check), before any AWS call, fetch or command.
func TestPolicyRefusesWhatTheRequestAsksBeyondIt(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Policy: localPolicy})
	if r := runStarter(ctxT(t, time.Minute), env, "failover", "--topology", env.TopologyFile, "--auto-approve"); r.code != starter.ExitBadInput || !strings.Contains(r.output(), `"autoApprove"`) {
		t.Fatalf("starter failover --auto-approve under the local policy: exit %d\n%s", r.code, r.output())
	}

	// A host the policy does not list, listening, to prove nothing fetched it.
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 loopback here: %v", err)
	}
	fetched := make(chan string, 10)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fetched <- r.URL.String() })}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	marker := filepath.Join(t.TempDir(), "ran")
	cases := map[string]struct {
		edit  func(m map[string]any)
		extra map[string]any
		field string
	}{
		"autoApprove": {nil, map[string]any{"autoApprove": true}, `"autoApprove"`},
		"deployCommand": {func(m map[string]any) {
			st := m["stacks"].(map[string]any)
			st["activation"], st["deployCommand"] = "command", []string{"sh", "-c", "id > " + marker}
		}, nil, `"topology.stacks.deployCommand"`},
		"healthUrl": {func(m map[string]any) {
			m["api"].(map[string]any)["healthUrls"].(map[string]any)["us-west-2"] = "http://" + l.Addr().String() + "/internal"
		}, nil, `"topology.api.healthUrls.us-west-2"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			topo := env.TopologyFile
			var raw map[string]any
			if c.edit != nil {
				topo = tempFile(t, name+".json", editTopology(t, env.Topology, c.edit))
			}
			if err := json.Unmarshal(mustJSON(t, map[string]any{"topology": json.RawMessage(mustRead(t, topo)), "initiator": "incident-commander"}), &raw); err != nil {
				t.Fatal(err)
			}
			for k, v := range c.extra {
				raw[k] = v
			}
			err := startRaw(t, env, workflows.WorkflowRegionFailover, "failover-"+name, raw)
			if !workflows.IsInvalidRequest(err) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("started directly: want InvalidRequest naming %s, got %v", c.field, err)
			}
			if c.extra == nil {
				if r := runStarter(ctxT(t, time.Minute), env, "failover", "--topology", topo); r.code != starter.ExitBadInput || !strings.Contains(r.output(), c.field) {
					t.Fatalf("starter: exit %d\n%s", r.code, r.output())
				}
			}
		})
	}
	if j := env.Sim.Journal(); len(j) != 0 {
		t.Fatalf("refused requests touched AWS: %+v", j)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the request's deploy command ran")
	}
	select {
	case u := <-fetched:
		t.Fatalf("a health URL outside the policy was fetched: %s", u)
	default:
	}
}

// TestWorkerRefusesAPolicyWithoutApprovers: an empty approver list would accept anyone, so the worker
// refuses the file when it loads it (exit 2, the field named).
func TestWorkerRefusesAPolicyWithoutApprovers(t *testing.T) {
	pol := tempFile(t, "policy.json", []byte(`{"platforms":{"roadcall":{"prod":{"approvers":[],"healthHosts":["127.0.0.1"]}}}}`))
	out, err := runBinary(t, testenv.WorkerBinary(t), "--policy", pol)
	if code := exitCode(err); code != 2 || !strings.Contains(out, "platforms.roadcall.prod.approvers") || !strings.Contains(out, "empty list would accept anyone") {
		t.Fatalf("worker with an empty approver list: exit %d\n%s", code, out)
	}
}

// TestProvenApprovals runs a failover and a failback under examples/policy-local.json with identities
// proven by awssim's STS (examples/sim-identities.json): the initiator, proven, may not approve their own
// run; a bare-name signal is ignored with the reason; forged, tampered and other-run tokens are refused;
// alice's proven approval through the temporal CLI opens the gate and the report names her ARN; the
// failback gate needs two distinct principals and the same one twice counts once.
func TestProvenApprovals(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Policy: localPolicy})
	ctx := ctxT(t, 4*time.Minute)
	r := runStarterWith(ctx, env, as(t, env, "incident-commander"), "failover", "--topology", env.TopologyFile, "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("start: exit %d\n%s", r.code, r.output())
	}
	id := workflows.WorkflowID("failover", env.Topology)
	st := waitGate(ctx, t, env, id, workflows.GateFailover)
	if au := st.Authority; au == nil || au.Initiator != arn("incident-commander") || !au.InitiatorProven {
		t.Fatalf("authority %+v: the initiator must be proven as incident-commander", st.Authority)
	}

	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: "approve", Approver: "alice"})
	st = waitStatus(t, env, id, 30*time.Second, "the bare-name signal ignored", func(s workflows.Status) bool { return len(s.Ignored) > 0 })
	if st.Phase != workflows.PhaseAwaitingApproval || !strings.Contains(st.Ignored[0], "proven identity") {
		t.Fatalf("bare-name signal: phase %s, ignored %q", st.Phase, st.Ignored)
	}

	approve := func(who string, extra ...string) starterResult {
		return runStarterWith(ctx, env, as(t, env, who), append([]string{"approve", "--workflow-id", id, "--gate", workflows.GateFailover}, extra...)...)
	}
	if r := approve("incident-commander"); r.code != starter.ExitRefused || !strings.Contains(r.output(), "two-person rule") {
		t.Fatalf("the initiator approving their own failover: exit %d\n%s", r.code, r.output())
	}

	// Tokens made by starter approve --print-token and sent with the temporal CLI, spoiled on the way.
	printed := func(who string) map[string]any {
		r := approve(who, "--print-token")
		if r.code != starter.ExitOK {
			t.Fatalf("approve --print-token as %s: exit %d\n%s", who, r.code, r.output())
		}
		var ap map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &ap); err != nil {
			t.Fatalf("--print-token output is not the approval JSON: %v\n%s", err, r.stdout)
		}
		return ap
	}
	send := func(ap map[string]any) (string, error) {
		return env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove, "--input", string(mustJSON(t, ap)))
	}
	tampered := printed("alice")
	tampered["token"].(map[string]any)["headers"].(map[string]any)["X-Roadcall-Run-Id"] = "another-run"
	forged := printed("alice")
	forged["token"].(map[string]any)["url"] = strings.Replace(forged["token"].(map[string]any)["url"].(string), "X-Amz-Signature=", "X-Amz-Signature=00", 1)
	otherRun := printed("alice")
	otherRun["gate"] = "no-such-gate"
	for name, c := range map[string]struct {
		ap   map[string]any
		want string
	}{
		"tampered":   {tampered, "another-run"},
		"forged":     {forged, "SignatureDoesNotMatch"},
		"other gate": {otherRun, "is not a gate"},
	} {
		if out, err := send(c.ap); err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%s token: want refusal naming %q, got %v\n%s", name, c.want, err, out)
		}
	}
	good := printed("alice")
	if out, err := send(good); err != nil {
		t.Fatalf("alice's proven approval through the temporal CLI: %v\n%s", err, out)
	}
	rep := getReport(t, env, id, 2*time.Minute)
	if rep.Outcome != workflows.PhaseCompleted || len(rep.Approvals) != 1 || rep.Approvals[0].Approver != arn("alice") || !rep.Approvals[0].Proven {
		t.Fatalf("failover %s, approvals %+v\n%s", rep.Outcome, rep.Approvals, render.FailoverReport(rep))
	}
	if md := render.FailoverReport(rep); !strings.Contains(md, arn("alice")) {
		t.Errorf("the report does not name alice's ARN:\n%s", md)
	}

	// Failback: two distinct principals; bob twice counts once, and bob's token sent again is a replay.
	r = runStarterWith(ctx, env, as(t, env, "incident-commander"), "failback", "--topology", env.TopologyFile, "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("failback start: exit %d\n%s", r.code, r.output())
	}
	fid := workflows.WorkflowID("failback", env.Topology)
	waitGate(ctx, t, env, fid, workflows.GateFailback)
	fb := func(who string) starterResult {
		return runStarterWith(ctx, env, as(t, env, who), "approve", "--workflow-id", fid, "--gate", workflows.GateFailback)
	}
	br := runStarterWith(ctx, env, as(t, env, "bob"), "approve", "--workflow-id", fid, "--gate", workflows.GateFailback, "--print-token")
	if br.code != starter.ExitOK {
		t.Fatalf("bob --print-token: exit %d\n%s", br.code, br.output())
	}
	sendFB := func(payload string) (string, error) {
		return env.CLI("workflow", "update", "execute", "--workflow-id", fid, "--name", workflows.UpdateApprove, "--input", payload)
	}
	if out, err := sendFB(strings.TrimSpace(br.stdout)); err != nil || !strings.Contains(out, "1 of 2") {
		t.Fatalf("bob's approval through the temporal CLI: %v\n%s", err, out)
	}
	if out, err := sendFB(strings.TrimSpace(br.stdout)); err == nil || !strings.Contains(out, "already used") {
		t.Fatalf("bob's token sent again: want a replay refusal, got %v\n%s", err, out)
	}
	// carol's reject token sent as an approval: it is bound to the other decision.
	cr := runStarterWith(ctx, env, as(t, env, "carol"), "approve", "--workflow-id", fid, "--gate", workflows.GateFailback, "--reject", "--print-token")
	if cr.code != starter.ExitOK {
		t.Fatalf("carol --print-token: exit %d\n%s", cr.code, cr.output())
	}
	rejectPayload := strings.TrimSpace(cr.stdout)
	var probe map[string]any
	if err := json.Unmarshal([]byte(rejectPayload), &probe); err != nil {
		t.Fatal(err)
	}
	probe["decision"] = "approve" // a reject token turned into an approval: bound to the other decision
	if out, err := env.CLI("workflow", "update", "execute", "--workflow-id", fid, "--name", workflows.UpdateApprove, "--input", string(mustJSON(t, probe))); err == nil || !strings.Contains(out, "decision") {
		t.Fatalf("a reject token sent as an approval: want refusal, got %v\n%s", err, out)
	}
	time.Sleep(1100 * time.Millisecond) // SigV4 signs to the second: a new second makes a new token, not a replay
	if r := fb("bob"); r.code != starter.ExitRefused || !strings.Contains(r.output(), "already approved") {
		t.Fatalf("bob twice: exit %d\n%s", r.code, r.output())
	}
	if st := waitGate(ctx, t, env, fid, workflows.GateFailback); st.PendingGate.Approved != 1 {
		t.Fatalf("after bob: %+v", st.PendingGate)
	}
	if r := fb("carol"); r.code != starter.ExitOK {
		t.Fatalf("carol's approval: exit %d\n%s", r.code, r.output())
	}
	frep := runResult[workflows.FailbackReport](ctx, t, env, fid)
	if frep.Outcome != workflows.PhaseCompleted || len(frep.Approvals) != 2 || frep.Approvals[0].Approver != arn("bob") || frep.Approvals[1].Approver != arn("carol") {
		t.Fatalf("failback %s, approvals %+v", frep.Outcome, frep.Approvals)
	}
}

// TestDrillAutoApprovesUnderTheLocalPolicy: the policy lets DRDrill approve its own gates, and its children
// auto-approve because the server says a running DRDrill started them, not because their request says so.
func TestDrillAutoApprovesUnderTheLocalPolicy(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Policy: localPolicy})
	r := runStarter(ctxT(t, 3*time.Minute), env, "drill", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("drill under the local policy: exit %d\n%s", r.code, r.output())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runBinary runs a built binary to its end and returns its combined output.
func runBinary(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

func exitCode(err error) int {
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		return xe.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
