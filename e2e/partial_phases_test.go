package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// Issue 13, item 5, at every phase: a RegionFailover cancelled or terminated at its gate, in the Aurora
// wait, in the stacks' wait, paused at the DNS cutover or at verification, then `starter failback`, leaves
// awssim as it was seeded (DNS, writer, DrMode, routing controls). Stopped at the gate, nothing moved and
// Failback refuses with that reason; terminated at the gate after preparing, only the stacks moved and
// Failback puts them back. One environment, reset between cases; awssim at time scale 1 so that
// each wait lasts until fastForward ends it. (Cancel in the Aurora wait and terminate in the upsert DNS
// wait have their own tests above.)
func TestFailbackAfterFailoverStoppedAtEachPhase(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	c := env.Temporal.Client
	topo := env.Topology
	pausedAt := func(step string) func(*testing.T, string) {
		return func(t *testing.T, id string) {
			waitStatus(t, env, id, 2*time.Minute, "paused at "+step, func(s workflows.Status) bool { return slices.Contains(s.PausedSteps, step) })
		}
	}
	phases := []struct {
		name string
		// gate: the run waits for an approval (no --auto-approve) and nothing has moved.
		gate           bool
		prepare        bool // --prepare-before-gate: the DR stacks activated while the gate waits
		aurora, stacks bool // what fastForward finishes while the run goes to its phase
		fault          *awssim.Fault
		reach          func(t *testing.T, id string)
		nothingToUndo  bool
	}{
		{name: "gate", gate: true, nothingToUndo: true, reach: func(t *testing.T, id string) {
			waitGate(ctxT(t, time.Minute), t, env, id, workflows.GateFailover)
		}},
		{name: "gate-prepared", gate: true, prepare: true, stacks: true, reach: func(t *testing.T, id string) {
			waitStatus(t, env, id, time.Minute, "prepared at the gate", func(s workflows.Status) bool {
				p := s.Step("prepare")
				return s.PendingGate != nil && p != nil && p.Outcome == workflows.OutcomeOK
			})
		}},
		{name: "database", reach: func(t *testing.T, id string) {
			waitFor(t, time.Minute, "the Aurora wait", func() bool { return pendingActivity(t, c, id, "WaitAuroraWriter") > 0 })
		}},
		{name: "activate", aurora: true, reach: func(t *testing.T, id string) {
			waitStatus(t, env, id, time.Minute, "Aurora done, stacks updating", func(s workflows.Status) bool {
				db := s.Step("database")
				return db != nil && db.Outcome == workflows.OutcomeOK && pendingActivity(t, c, id, "WaitStackParameter") > 0
			})
		}},
		{name: "dns", aurora: true, stacks: true, reach: pausedAt("dns"),
			fault: &awssim.Fault{Kind: awssim.FaultError, Service: "route53-recovery-cluster", Operation: "UpdateRoutingControlStates", Code: "AccessDeniedException", Status: 403}},
		{name: "verify", aurora: true, stacks: true, reach: pausedAt("verify"),
			fault: &awssim.Fault{Kind: awssim.FaultError, Service: "lambda", Operation: "ListFunctions", Code: "AccessDeniedException", Status: 403}},
	}
	for _, ph := range phases {
		for _, stop := range []string{"cancel", "terminate"} {
			if ph.name == "database" && stop == "cancel" {
				continue // TestFailbackAfterFailoverCancelledInDatabaseWait
			}
			if ph.prepare && stop == "cancel" {
				continue // a cancel reverts the preparation itself: TestPrepareBeforeGateIsRevertedWhenTheGateDoesNotOpen
			}
			t.Run(ph.name+"/"+stop, func(t *testing.T) {
				env.Sim.Reset()
				initial := readState(t, env)
				env.Sim.Server.SetTimeScale(1)
				if ph.fault != nil {
					env.Sim.AddFault(*ph.fault)
				}
				args := []string{"failover", "--topology", env.TopologyFile, "--monitor-window", "1s"}
				if !ph.gate {
					args = append(args, "--auto-approve")
				}
				if ph.prepare {
					args = append(args, "--prepare-before-gate", "true")
				}
				if r := runStarter(ctxT(t, time.Minute), env, args...); r.code != starter.ExitOK {
					t.Fatalf("failover start: exit %d\n%s", r.code, r.output())
				}
				id := workflows.WorkflowID("failover", topo)
				ff := fastForwardOnly(env, ph.aurora, false, ph.stacks)
				ph.reach(t, id)
				ff()
				ctx := ctxT(t, 2*time.Minute)
				if stop == "cancel" {
					if err := c.CancelWorkflow(ctx, id, ""); err != nil {
						t.Fatal(err)
					}
					if rep := runResult[workflows.FailoverReport](ctx, t, env, id); rep.Outcome != workflows.PhaseCancelled {
						t.Fatalf("failover outcome %s, want cancelled", rep.Outcome)
					}
				} else if err := c.TerminateWorkflow(ctx, id, "", "test: terminated at "+ph.name); err != nil {
					t.Fatal(err)
				}
				env.Sim.ClearFaults()
				if ph.nothingToUndo {
					r := runStarter(ctxT(t, time.Minute), env, "failback", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
					if r.code != starter.ExitRefused {
						t.Fatalf("failback after a failover stopped at its gate: exit %d, want refused\n%s", r.code, r.output())
					}
					assertInitialTopology(t, env, initial)
					return
				}
				failBackToInitial(t, env, initial)
			})
		}
	}
}
