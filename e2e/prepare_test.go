package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// drModes is each DR stack's DrMode as the AWS CLI's describe-stacks answers it in the DR region.
func drModes(t *testing.T, env *testenv.Env) map[string]string {
	t.Helper()
	topo := env.Topology
	out := map[string]string{}
	for _, name := range topo.Stacks.Names {
		v := awsCLI(t, env, topo.DRRegion, "cloudformation", "describe-stacks", "--stack-name", name)
		stacks, _ := v["Stacks"].([]any)
		if len(stacks) != 1 {
			t.Fatalf("describe-stacks %s: %v", name, v)
		}
		st := stacks[0].(map[string]any)
		params, _ := st["Parameters"].([]any)
		for _, p := range params {
			if p := p.(map[string]any); p["ParameterKey"] == topo.Stacks.DRModeParameter {
				out[name] = p["ParameterValue"].(string) + " " + st["StackStatus"].(string)
			}
		}
	}
	return out
}

func allStacks(env *testenv.Env, v string) map[string]string {
	out := map[string]string{}
	for _, name := range env.Topology.Stacks.Names {
		out[name] = v
	}
	return out
}

// With prepareBeforeGate the DR stacks are active while the gate waits; a rejection puts them back as the
// AWS CLI saw them before; a second run that is approved completes and reports the overlap.
func TestPrepareBeforeGateOnTheDevServer(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	ctx := ctxT(t, 4*time.Minute)
	id := workflows.WorkflowID("failover", env.Topology)
	before := drModes(t, env)
	if want := allStacks(env, "false CREATE_COMPLETE"); !equalMaps(before, want) {
		t.Fatalf("seeded stacks: %v, want %v", before, want)
	}

	start := func() {
		t.Helper()
		if r := runStarter(ctx, env, "failover", "--topology", env.TopologyFile, "--initiator", "bob", "--prepare-before-gate", "true", "--monitor-window", "1s"); r.code != starter.ExitOK {
			t.Fatalf("starter failover: exit %d\n%s", r.code, r.output())
		}
		waitStatus(t, env, id, time.Minute, "prepared at the gate", func(s workflows.Status) bool {
			p := s.Step("prepare")
			return s.PendingGate != nil && p != nil && p.Outcome == workflows.OutcomeOK
		})
	}

	start()
	if got := drModes(t, env); !equalMaps(got, allStacks(env, "true UPDATE_COMPLETE")) {
		t.Fatalf("while the gate waits, describe-stacks says %v; want every stack DrMode=true", got)
	}
	if n := journalCount(env.Sim.Journal(), "FailoverGlobalCluster", true); len(n) != 0 {
		t.Fatalf("Aurora moved before the gate: %v", n)
	}
	b, _ := json.Marshal(workflows.Approval{Gate: workflows.GateFailover, Decision: "reject", Approver: "alice", Comment: "the primary is back"})
	if o, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove, "--input", string(b)); err != nil {
		t.Fatalf("reject: %v\n%s", err, o)
	}
	rep := getReport(t, env, id, 2*time.Minute)
	if rep.Outcome != workflows.PhaseAborted || rep.Preparation == nil || !rep.Preparation.Reverted {
		t.Fatalf("after the rejection: outcome %s, preparation %+v, notes %v", rep.Outcome, rep.Preparation, rep.Notes)
	}
	if got := drModes(t, env); !equalMaps(got, allStacks(env, "false UPDATE_COMPLETE")) {
		t.Fatalf("after the rejection describe-stacks says %v; want DrMode=false as before", got)
	}

	start()
	time.Sleep(500 * time.Millisecond) // a gate wait to overlap
	if r := runStarter(ctx, env, "approve", "--workflow-id", id, "--gate", workflows.GateFailover, "--approver", "alice"); r.code != starter.ExitOK {
		t.Fatalf("starter approve: exit %d\n%s", r.code, r.output())
	}
	rep = getReport(t, env, id, 3*time.Minute)
	if rep.Outcome != workflows.PhaseCompleted {
		t.Fatalf("approved prepared failover: %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
	p := rep.Preparation
	if p == nil || p.Reverted || p.Ready.IsZero() || p.Overlap <= 0 || p.Overlap > p.GateWait {
		t.Fatalf("preparation in the report: %+v", p)
	}
	if s := render.FailoverReport(rep); !strings.Contains(s, "overlapped the") {
		t.Errorf("the report does not show the overlap:\n%s", s)
	}
	if got := drModes(t, env); !equalMaps(got, allStacks(env, "true UPDATE_COMPLETE")) {
		t.Errorf("after the failover describe-stacks says %v", got)
	}
	assertFailedOver(t, env)
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
