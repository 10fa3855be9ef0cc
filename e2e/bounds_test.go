package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// TestHostileApprovalsThroughTheCLI: a 1 MB gate in an approve update and three 1 MB approve signals, sent
// with the temporal CLI, are refused without being quoted; a wrong-typed signal is recorded in ignored;
// the run keeps answering its status query and completes with its report after a valid approval.
func TestHostileApprovalsThroughTheCLI(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	id := workflows.WorkflowID("failover", env.Topology)
	env.StartWorkflowCLI("RegionFailover", id, env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s"})))
	waitStatus(t, env, id, time.Minute, "gate failover pending", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })

	huge := strings.Repeat("x", 1<<20)
	// A 1 MB value is over Linux's limit on one argument: the CLI reads it from a file.
	input := func(name string, v any) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, mustJSON(t, v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove,
		"--input-file", input("update.json", workflows.Approval{Gate: huge, Decision: "approve", Approver: "alice"}))
	if err == nil || !strings.Contains(out, "gate: 1048576 bytes, over the 64-byte limit") || len(out) > 4000 {
		t.Fatalf("1 MB gate in the update: want a short refusal, got %v (%d bytes)\n%.2000s", err, len(out), out)
	}
	for i, ap := range []workflows.Approval{
		{Gate: huge, Decision: "approve", Approver: "alice"},
		{Gate: workflows.GateFailover, Decision: "approve", Approver: huge},
		{Gate: workflows.GateFailover, Decision: "approve", Approver: "alice", Comment: huge},
	} {
		if out, err := env.CLI("workflow", "signal", "--workflow-id", id, "--name", workflows.SignalApprove, "--input-file", input("signal"+string(rune('0'+i))+".json", ap)); err != nil {
			t.Fatalf("signal %d: %v\n%s", i, err, out)
		}
	}
	if out, err := env.CLI("workflow", "signal", "--workflow-id", id, "--name", workflows.SignalApprove, "--input", `{"gate":"failover","decision":true}`); err != nil {
		t.Fatalf("wrong-typed signal: %v\n%s", err, out)
	}
	st := waitStatus(t, env, id, time.Minute, "four refusals in ignored", func(s workflows.Status) bool { return len(s.Ignored) == 4 })
	for i, want := range []string{"gate: 1048576 bytes, over the 64-byte limit", "approver: 1048576 bytes, over the 2048-byte limit",
		"comment: 1048576 bytes, over the 1024-byte limit", "decision: has JSON type bool, want string"} {
		if !strings.Contains(st.Ignored[i], want) {
			t.Errorf("ignored[%d] = %q, want %q", i, st.Ignored[i], want)
		}
	}
	var raw json.RawMessage
	env.QueryCLI(id, workflows.QueryStatus, &raw)
	t.Logf("status through the CLI after the refusals: %d bytes", len(raw))
	if len(raw) > 64<<10 {
		t.Errorf("status is %d bytes: a refusal was quoted", len(raw))
	}

	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: "approve", Approver: "alice"})
	rep := getReport(t, env, id, 2*time.Minute)
	if rep.Outcome != workflows.PhaseCompleted || len(rep.Ignored) != 4 {
		t.Fatalf("outcome %s, %d ignored\n%s", rep.Outcome, len(rep.Ignored), render.FailoverReport(rep))
	}
	assertFailedOver(t, env)
}

// TestStatusOfATerminatedRun: a run terminated at its gate still has the status it published last; the
// starter reads the execution's own status and says TERMINATED, offering no approval.
func TestStatusOfATerminatedRun(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	id := workflows.WorkflowID("failover", env.Topology)
	env.StartWorkflowCLI("RegionFailover", id, env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s"})))
	waitStatus(t, env, id, time.Minute, "gate failover pending", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
	if out, err := env.CLI("workflow", "terminate", "--workflow-id", id, "--reason", "test"); err != nil {
		t.Fatalf("terminate: %v\n%s", err, out)
	}
	ctx := ctxT(t, time.Minute)
	res := runStarter(ctx, env, "status", "--workflow-id", id)
	out := res.output()
	t.Logf("starter status:\n%s", out)
	if !strings.Contains(out, "TERMINATED") || !strings.Contains(out, "last known: awaiting-approval") {
		t.Errorf("starter status of a terminated run does not say so:\n%s", out)
	}
	for _, never := range []string{"WAITING", "starter approve"} {
		if strings.Contains(out, never) {
			t.Errorf("starter status of a terminated run offers %q:\n%s", never, out)
		}
	}
	res = runStarter(ctx, env, "approve", "--workflow-id", id, "--gate", workflows.GateFailover, "--approver", "alice")
	if !strings.Contains(res.output(), "is TERMINATED: there is nothing to approve") {
		t.Errorf("starter approve on a terminated run:\n%s", res.output())
	}
}
