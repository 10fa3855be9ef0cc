package e2e

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// failOver puts awssim where a region outage and RegionFailover leave it: us-east-1 out, the platform
// serving from us-west-2. It returns the outage fault's id.
func failOver(t *testing.T, env *testenv.Env) string {
	t.Helper()
	fault := env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	if r := runStarter(ctxT(t, 2*time.Minute), env, "failover", "--topology", env.TopologyFile, "--auto-approve", "--follow", "--monitor-window", "1s"); r.code != starter.ExitOK {
		t.Fatalf("failover: exit %d\n%s", r.code, r.output())
	}
	assertFailedOver(t, env)
	return fault
}

func mutatingCalls(env *testenv.Env) int {
	n := 0
	for _, e := range env.Sim.Journal() {
		if e.Operation != "" {
			n++
		}
	}
	return n
}

// TestFailbackRefusesWithNoChange: with nothing failed over, and then with the platform failed over but the
// primary still out, `starter failback` exits 3 with the reason, and awssim's journal shows no new call.
func TestFailbackRefusesWithNoChange(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	failback := func() (int, string) {
		r := runStarter(ctxT(t, time.Minute), env, "failback", "--topology", env.TopologyFile, "--auto-approve")
		return r.code, r.output()
	}
	code, out := failback()
	if code != starter.ExitRefused || !strings.Contains(out, "no failover has happened") || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("failback with nothing failed over: exit %d, want %d naming the reason\n%s", code, starter.ExitRefused, out)
	}
	if n := mutatingCalls(env); n != 0 {
		t.Fatalf("a refused failback reached AWS: %+v", env.Sim.Journal())
	}

	failOver(t, env)
	before := mutatingCalls(env)
	code, out = failback()
	if code != starter.ExitRefused || !strings.Contains(out, "us-east-1 is not ready to take traffic back") || !strings.Contains(out, "still unhealthy") {
		t.Fatalf("failback with the primary out: exit %d, want %d naming the primary\n%s", code, starter.ExitRefused, out)
	}
	if n := mutatingCalls(env); n != before {
		t.Fatalf("a refused failback reached AWS: %d mutating calls, %d before", n, before)
	}
	assertFailedOver(t, env)
	// The refusal is the workflow's too, visible to any client.
	st := waitStatus(t, env, workflows.WorkflowID("failback", env.Topology), 10*time.Second, "refused status",
		func(s workflows.Status) bool { return s.Phase == workflows.PhaseRefused })
	if !strings.Contains(st.LastError, "still unhealthy") {
		t.Errorf("status last error %q", st.LastError)
	}
}

// TestFailbackSurvivesWorkerKillDuringDNSWait fails the platform over, lifts the outage, then fails back at
// real modeled time (switchover 2 min, DNS 60 s, stacks 20 min; the test finishes each only once it has
// seen what it wants). The worker process is SIGKILLed while the DNS change is awaited (in routing-control
// mode, which moves traffic at once, while the DR stacks' scale-down is awaited); a new one resumes
// the wait and the run completes with every change made exactly once.
func TestFailbackSurvivesWorkerKillDuringDNSWait(t *testing.T) {
	start := time.Now()
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, WorkerProcess: true})
	initial := readState(t, env)
	fault := failOver(t, env)
	env.Sim.Server.RemoveFault(fault)
	env.Sim.Server.SetTimeScale(1)
	afterFailover := journalCounts(env.Sim.Journal())

	ctx := ctxT(t, 3*time.Minute)
	c := env.Temporal.Client
	id := workflows.WorkflowID("failback", env.Topology)
	req := workflows.FailbackRequest{Common: workflows.Common{Topology: env.Topology, AutoApprove: true, Initiator: "drill"},
		MonitorWindow: topology.Duration(time.Second), WaitHeartbeat: topology.Duration(2 * time.Second)}
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.Failback, req); err != nil {
		t.Fatal(err)
	}
	changed := func(op string) int { return journalCounts(env.Sim.Journal())[op][0] }
	waitFor(t, time.Minute, "the switchover", func() bool { return changed("SwitchoverGlobalCluster") == 1 })
	finishAWS(env)
	if env.Topology.DNS.Mode != topology.DNSRoutingControl {
		waitFor(t, time.Minute, "WaitDNSChange running after the UPSERT back", func() bool {
			return changed("ChangeResourceRecordSets") == 2 && pendingActivity(t, c, id, "WaitDNSChange") > 0
		})
		env.Worker.Kill()
		killed := time.Now()
		env.Worker.Start()
		waitFor(t, time.Minute, "WaitDNSChange resumed by the new worker", func() bool { return pendingActivity(t, c, id, "WaitDNSChange") >= 2 })
		t.Logf("killed during WaitDNSChange; a new worker resumed it %s later", time.Since(killed).Round(time.Millisecond))
		finishAWS(env)
		waitFor(t, time.Minute, "the DR stacks scaling down", func() bool {
			return changed("UpdateStack") == afterFailover["UpdateStack"][0]+len(env.Topology.Stacks.Names)
		})
		finishAWS(env)
	} else {
		// Routing controls move traffic back at once (the primary ON, DR OFF: no change to wait INSYNC
		// for), so the kill lands in the failback's remaining long wait, the DR stacks' scale-down, after
		// the routing controls were flipped back exactly once.
		waitFor(t, time.Minute, "WaitStackParameter running after the routing controls back and the DR stacks' scale-down", func() bool {
			return changed("UpdateRoutingControlStates") == 2*len(env.Topology.DNS.RoutingControls.Controls) &&
				changed("UpdateStack") == afterFailover["UpdateStack"][0]+len(env.Topology.Stacks.Names) &&
				pendingActivity(t, c, id, "WaitStackParameter") > 0
		})
		if got := resolveDNS(t, env); got != env.Topology.PrimaryRegion {
			t.Errorf("after the routing controls back, /_sim/dns answers %q, want %s", got, env.Topology.PrimaryRegion)
		}
		env.Worker.Kill()
		killed := time.Now()
		env.Worker.Start()
		waitFor(t, time.Minute, "WaitStackParameter resumed by the new worker", func() bool { return pendingActivity(t, c, id, "WaitStackParameter") >= 2 })
		t.Logf("killed during WaitStackParameter; a new worker resumed it %s later", time.Since(killed).Round(time.Millisecond))
		finishAWS(env)
	}

	rep := runResult[workflows.FailbackReport](ctx, t, env, id)
	if rep.Outcome != workflows.PhaseCompleted || rep.AuroraPath != workflows.AuroraSwitchover || !rep.RPOKnown || rep.RPO != 0 {
		t.Fatalf("outcome %s, Aurora %s, RPO %s known %v\n%s", rep.Outcome, rep.AuroraPath, rep.RPO, rep.RPOKnown, render.FailbackReport(rep))
	}
	assertInitialTopology(t, env, initial)
	assertFailedOverAndBackOnce(t, env)
	t.Logf("failback completed in %s wall time (failover included) with one worker kill", time.Since(start).Round(time.Millisecond))
}
