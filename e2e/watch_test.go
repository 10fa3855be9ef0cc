package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// watchStatus queries the outage watch's status.
func watchStatus(t *testing.T, env *testenv.Env, id string) (workflows.WatchStatus, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var st workflows.WatchStatus
	v, err := env.Temporal.Client.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
	if err == nil {
		err = v.Get(&st)
	}
	return st, err
}

// waitWatch polls the watch's status until cond holds, failing with the last status after d.
func waitWatch(t *testing.T, env *testenv.Env, id string, d time.Duration, what string, cond func(workflows.WatchStatus) bool) workflows.WatchStatus {
	t.Helper()
	deadline := time.Now().Add(d)
	var st workflows.WatchStatus
	for time.Now().Before(deadline) {
		if s, err := watchStatus(t, env, id); err == nil {
			st = s
			if cond(st) {
				return st
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s; last watch status %+v", what, d, st)
	return st
}

// startWatch starts the outage watch from the starter, every 2 s with threshold 2.
func startWatch(t *testing.T, env *testenv.Env) string {
	t.Helper()
	if r := runStarter(ctxT(t, time.Minute), env, "watch", "--topology", env.TopologyFile, "--every", "2s", "--threshold", "2", "--cooldown", "1h"); r.code != starter.ExitOK {
		t.Fatalf("starter watch: exit %d\n%s", r.code, r.output())
	}
	return workflows.WorkflowID(workflows.ScenarioWatch, env.Topology)
}

// TestOutageWatch is the watch's acceptance on the dev server: a healthy primary starts nothing for a
// minute; an outage starts failover-roadcall-prod at its gate within 10 s, detected within one period of
// the injection; a second outage inside the cooldown starts nothing and the status says why.
func TestOutageWatch(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	id := startWatch(t, env)
	failoverID := workflows.WorkflowID(workflows.ScenarioFailover, env.Topology)

	if r := runStarter(ctxT(t, time.Minute), env, "watch", "--topology", env.TopologyFile); r.code != starter.ExitBadInput || !strings.Contains(r.output(), "already running") {
		t.Fatalf("a second watch of the platform: exit %d\n%s", r.code, r.output())
	}

	// A healthy primary for a minute: evaluations go on, nothing starts.
	time.Sleep(time.Minute)
	st, err := watchStatus(t, env, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Evaluations < 25 || st.LastStart != nil || st.Streak != 0 || st.LastDecision != "primary healthy" {
		t.Fatalf("after a healthy minute: %d evaluations, streak %d, last start %+v, decision %q", st.Evaluations, st.Streak, st.LastStart, st.LastDecision)
	}
	if _, err := env.Temporal.Client.DescribeWorkflowExecution(ctxT(t, 5*time.Second), failoverID, ""); err == nil {
		t.Fatalf("%s exists after a healthy minute", failoverID)
	}
	t.Logf("healthy minute: %d evaluations, nothing started", st.Evaluations)

	injected := time.Now()
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	fs := waitStatus(t, env, failoverID, 10*time.Second, "failover at its gate", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
	took := time.Since(injected)
	lag := fs.DetectedAt.Sub(injected)
	t.Logf("outage injected; %s at gate %s after %s; detectedAt %s after the injection", failoverID, fs.PendingGate.Name, took.Round(time.Millisecond), lag.Round(time.Millisecond))
	if lag < -100*time.Millisecond || lag > 2*time.Second+500*time.Millisecond {
		t.Errorf("detectedAt %s is %s after the injection, want within one period (2s)", fs.DetectedAt, lag)
	}
	st, _ = watchStatus(t, env, id)
	if st.LastStart == nil || st.LastStart.WorkflowID != failoverID || !st.LastStart.DetectedAt.Equal(fs.DetectedAt) {
		t.Fatalf("watch status after the start: %+v", st.LastStart)
	}
	firstRun := st.LastStart.RunID
	if len(fs.Approvals) != 0 {
		t.Fatalf("the watch approved something: %+v", fs.Approvals)
	}
	pages := 0
	for _, p := range env.Sim.Published() {
		if strings.HasPrefix(p.Subject, "Outage watch") && p.Region == env.Topology.DRRegion {
			pages++
		}
	}
	if pages != 1 {
		t.Errorf("%d outage watch pages in %s, want 1", pages, env.Topology.DRRegion)
	}

	// People reject it; the primary recovers; a second outage comes inside the cooldown.
	env.SignalCLI(failoverID, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: "reject", Approver: "alice", Comment: "watch e2e"})
	getReport(t, env, failoverID, time.Minute)
	// From here the failover has ended and the watch is awssim's only client: what it journals until and
	// after the cancel below is the watch's alone.
	mark := len(env.Sim.Server.Journal())
	env.Sim.ClearFaults()
	waitWatch(t, env, id, 15*time.Second, "primary healthy again", func(s workflows.WatchStatus) bool { return s.LastDecision == "primary healthy" })
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	st = waitWatch(t, env, id, 15*time.Second, "second outage held back", func(s workflows.WatchStatus) bool { return strings.Contains(s.LastDecision, "within the cooldown") })
	t.Logf("second outage: %s", st.LastDecision)
	d, err := env.Temporal.Client.DescribeWorkflowExecution(ctxT(t, 5*time.Second), failoverID, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.GetWorkflowExecutionInfo().GetExecution().GetRunId(); got != firstRun {
		t.Fatalf("a second failover started inside the cooldown: run %s, first was %s", got, firstRun)
	}

	// A pause of the wrong type, sent through the temporal CLI, is refused in the status (the SDK used to
	// drop it with a worker log line), and the watch keeps watching.
	env.SignalCLI(id, workflows.SignalPause, 42)
	st = waitWatch(t, env, id, 15*time.Second, "the wrong-typed pause in ignored", func(s workflows.WatchStatus) bool { return len(s.Ignored) > 0 })
	if st.Paused || !strings.Contains(st.Ignored[0], "pause signal ignored") {
		t.Fatalf("after a wrong-typed pause: paused %v, ignored %q", st.Paused, st.Ignored)
	}
	evals := st.Evaluations
	waitWatch(t, env, id, 15*time.Second, "evaluations go on after the refused pause", func(s workflows.WatchStatus) bool { return s.Evaluations > evals })

	// Cancelling the watch changes nothing in AWS: through the second outage, the refused pause and the
	// cancel, its only changing call is the SNS page of the second outage.
	ctx := ctxT(t, time.Minute)
	if err := env.Temporal.Client.CancelWorkflow(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, nil); !temporal.IsCanceledError(err) {
		t.Fatalf("the cancelled watch ended with %v, want canceled", err)
	}
	time.Sleep(3 * time.Second) // more than a period: anything the cancel set off would have run by now
	after := env.Sim.Server.Journal()[mark:]
	counts := journalCounts(after)
	for op, n := range counts {
		if n[0] > 0 && op != "Publish" {
			t.Errorf("while the watch alone ran and was cancelled, awssim journaled %d changing %s", n[0], op)
		}
	}
	// The page proves the window sees the watch's calls, so the check above cannot pass vacuously.
	if counts["Publish"][0] != 1 {
		t.Errorf("%d SNS Publish while the watch alone ran, want 1 (the second outage's page): %+v", counts["Publish"][0], counts)
	}
	t.Logf("watch alone, then cancelled: journal %+v, nothing changing AWS but the page", counts)
}
