package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// Issue 13, item 5: a RegionFailover stopped half way (cancelled during the Aurora wait, terminated during
// the DNS wait), then `starter failback`, returns awssim to its initial state: DNS, writer, DrMode and
// routing controls, as awssim itself reports them.

// fastForward finishes awssim's timed operations every 50 ms until the returned stop is called, so waits
// modeled at time scale 1 (long enough to stop a run inside them) end when the test wants. dns false
// leaves Route 53 changes PENDING, holding a run in its DNS wait.
func fastForward(env *testenv.Env, dns bool) (stop func()) {
	return fastForwardOnly(env, true, dns, true)
}

// fastForwardOnly is fastForward for the chosen operations: the Aurora failover, Route 53 changes, stack
// updates; the others keep awssim's time scale.
func fastForwardOnly(env *testenv.Env, aurora, dns, stacks bool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			now := time.Now()
			for i := 0; i < 5; i++ {
				env.Sim.Server.With(func(w *awssim.World) {
					for _, g := range w.GlobalClusters {
						if aurora && g.Pending != nil {
							g.Pending.ReadyAt = now
						}
					}
					if dns {
						for _, ch := range w.Changes {
							ch.ReadyAt = now
						}
					}
					for _, r := range w.Regions {
						for _, s := range r.Stacks {
							if stacks && s.NextStatus != "" {
								s.ReadyAt = now
							}
						}
					}
				})
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return func() { cancel(); <-done }
}

func startFailover(t *testing.T, env *testenv.Env) string {
	t.Helper()
	r := runStarter(ctxT(t, time.Minute), env, "failover", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("failover start: exit %d\n%s", r.code, r.output())
	}
	return workflows.WorkflowID("failover", env.Topology)
}

func failBackToInitial(t *testing.T, env *testenv.Env, initial simState) {
	t.Helper()
	stop := fastForward(env, true)
	r := runStarter(ctxT(t, 3*time.Minute), env, "failback", "--topology", env.TopologyFile, "--auto-approve", "--follow", "--monitor-window", "1s")
	stop()
	if r.code != starter.ExitOK {
		t.Fatalf("failback after a half-done failover: exit %d\n%s", r.code, r.output())
	}
	assertInitialTopology(t, env, initial)
	if env.Topology.DNS.Mode == topology.DNSRoutingControl {
		assertRoutingControls(t, env, env.Topology.PrimaryRegion)
	}
}

func TestFailbackAfterFailoverCancelledInDatabaseWait(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	initial := readState(t, env)
	env.Sim.Server.SetTimeScale(1)
	c := env.Temporal.Client
	id := startFailover(t, env)
	waitFor(t, time.Minute, "the failover in its Aurora wait", func() bool { return pendingActivity(t, c, id, "WaitAuroraWriter") > 0 })
	ctx := ctxT(t, 2*time.Minute)
	if err := c.CancelWorkflow(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	rep := runResult[workflows.FailoverReport](ctx, t, env, id)
	if rep.Outcome != workflows.PhaseCancelled {
		t.Fatalf("failover outcome %s, want cancelled", rep.Outcome)
	}
	// Half done: the Aurora failover goes on in awssim (it is not the run's to stop) while DNS never moved.
	if got := resolveDNS(t, env); got != env.Topology.PrimaryRegion {
		t.Fatalf("after the cancel DNS answers %s; the test wants it still in the primary", got)
	}
	g := readState(t, env).World.GlobalClusters[env.Topology.Aurora.GlobalClusterID]
	t.Logf("after the cancel: global cluster pending %v, members %+v", g.Pending, g.Members)

	failBackToInitial(t, env, initial)
	fb := runResult[workflows.FailbackReport](ctx, t, env, workflows.WorkflowID("failback", env.Topology))
	for _, s := range fb.Steps {
		t.Logf("failback %s: %s", s.Name, s.Detail)
	}
	n := journalCount(env.Sim.Journal(), "SwitchoverGlobalCluster", true)
	if len(n) != 1 {
		t.Errorf("SwitchoverGlobalCluster changed %v, want one switchover back", n)
	}
}

func TestFailbackAfterFailoverTerminatedInDNSWait(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Topology: modeTopology(t, topology.DNSUpsert)})
	initial := readState(t, env)
	env.Sim.Server.SetTimeScale(1)
	c := env.Temporal.Client
	id := startFailover(t, env)
	stop := fastForward(env, false)
	waitFor(t, 2*time.Minute, "the failover in its DNS wait", func() bool { return pendingActivity(t, c, id, "WaitDNSChange") > 0 })
	stop()
	ctx := ctxT(t, time.Minute)
	if err := c.TerminateWorkflow(ctx, id, "", "test: terminated at the DNS wait"); err != nil {
		t.Fatal(err)
	}
	st := readState(t, env)
	for _, name := range env.Topology.Stacks.Names {
		if v := st.World.Regions[env.Topology.DRRegion].Stacks[name].Parameters[env.Topology.Stacks.DRModeParameter]; v != "true" {
			t.Fatalf("after the terminate %s has DrMode=%q; the test wants the DR stacks active", name, v)
		}
	}
	if journalCount(env.Sim.Journal(), "ChangeResourceRecordSets", true)[env.Topology.DNS.HostedZoneID] != 1 {
		t.Fatalf("the failover's UPSERT was not made before the terminate")
	}

	failBackToInitial(t, env, initial)
}
