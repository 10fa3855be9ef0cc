package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// stormWindow is the acceptance's 90 s. The storm is real time (awssim's time scale shrinks modeled
// durations, not a fault's life) and so is Temporal's backoff, so this test takes about two minutes;
// ROADCALL_STORM_SECONDS shortens it for a quick look.
func stormWindow(t *testing.T) time.Duration {
	if s := os.Getenv("ROADCALL_STORM_SECONDS"); s != "" {
		d, err := time.ParseDuration(s + "s")
		if err != nil {
			t.Fatalf("ROADCALL_STORM_SECONDS=%q: %v", s, err)
		}
		return d
	}
	return 90 * time.Second
}

// TestFailoverRidesOutAnRDSStorm: every rds operation answers InternalFailure (HTTP 500) from just before
// the Aurora failover (injected at the gate, before the approval) for 90 s. The run completes without an
// operator, the database step counts the retries, and awssim's journal shows each change once.
func TestFailoverRidesOutAnRDSStorm(t *testing.T) {
	window := stormWindow(t)
	start := time.Now()
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	id := workflows.WorkflowID("failover", env.Topology)
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	env.StartWorkflowCLI("RegionFailover", id, env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s"})))
	waitStatus(t, env, id, time.Minute, "gate", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })

	resp, err := http.Post(env.Sim.URL+"/_sim/faults", "application/json",
		strings.NewReader(`{"kind":"error","service":"rds","operation":"*","code":"InternalFailure","status":500}`))
	if err != nil {
		t.Fatal(err)
	}
	var added struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&added)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("storm fault: HTTP %d", resp.StatusCode)
	}
	stormFrom := time.Now()
	b, _ := json.Marshal(workflows.Approval{Gate: workflows.GateFailover, Decision: "approve", Approver: "alice"})
	if out, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove, "--input", string(b)); err != nil {
		t.Fatalf("approve: %v\n%s", err, out)
	}

	// Watch the run through the storm: it must never ask for an operator.
	for time.Since(stormFrom) < window {
		st := waitStatus(t, env, id, time.Minute, "status", func(workflows.Status) bool { return true })
		if st.Phase == workflows.PhaseAwaitingOperator {
			t.Fatalf("paused for an operator %s into the storm: %v: %s", time.Since(stormFrom).Round(time.Second), st.PausedSteps, st.LastError)
		}
		time.Sleep(2 * time.Second)
	}
	var fired int
	for _, f := range env.Sim.Server.Faults() {
		if f.ID == added.ID {
			fired = f.Fired
		}
	}
	if !env.Sim.Server.RemoveFault(added.ID) {
		t.Fatal("the storm fault was gone before its end")
	}
	t.Logf("storm over after %s: %d rds calls answered InternalFailure", time.Since(stormFrom).Round(time.Second), fired)
	if fired < 10 {
		t.Fatalf("the storm hit only %d calls: it did not cover the failover", fired)
	}

	rep := getReport(t, env, id, 5*time.Minute)
	if rep.Outcome != workflows.PhaseCompleted {
		t.Fatalf("outcome %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
	var db *workflows.StepRecord
	for i := range rep.Steps {
		if rep.Steps[i].Name == "database" {
			db = &rep.Steps[i]
		}
	}
	if db == nil || db.Attempts != 1 || db.Retries == 0 {
		t.Fatalf("the database step should ride out the storm with retries and no operator: %+v", db)
	}
	if db.Ended.Sub(stormFrom) < window-5*time.Second {
		t.Errorf("the database step ended %s into a %s storm: the storm did not cover it", db.Ended.Sub(stormFrom).Round(time.Second), window)
	}
	if text := render.FailoverReport(rep); !strings.Contains(text, "retries of AWS's transient errors") {
		t.Errorf("the report does not show the retries:\n%s", text)
	}
	assertFailedOver(t, env)
	assertExactlyOnce(t, env)
	t.Logf("database step: %d retries, took %s; run completed in %s wall time", db.Retries, db.Duration().Round(time.Second), time.Since(start).Round(time.Second))
}
