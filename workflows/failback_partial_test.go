package workflows

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// A RegionFailover stopped at each phase, by a cancel or a terminate, then a Failback, against one
// in-process awssim: the world must come back to the topology's initial state (drillFake.steady: DNS
// resolving the primary, routing controls, the primary's writer with DR a member, every DrMode false).

// failoverPhases maps each phase to the activity the failover is in when it is stopped there; the gate
// has none, it stops while the gate waits.
var failoverPhases = []string{"gate", "database", "activate", "dns", "verify"}

// envOn is another test environment with the real activities against the same awssim, for the second
// workflow of a test (a testsuite environment runs one).
func (d *drillFake) envOn() *fakeEnv {
	f := newFakeEnv(d.t)
	f.topo = d.topo
	fac, err := awsclient.New(context.Background(), awsclient.Static(d.url))
	require.NoError(d.t, err)
	acts := activities.New(fac)
	acts.PollInterval = 5 * time.Millisecond
	f.env.RegisterActivity(acts)
	f.env.RegisterWorkflow(Failback)
	return &f
}

// stopAt intercepts the phase's activity. cancel: the workflow is cancelled while the activity runs
// (it returns when its context is cancelled). terminate: the activity fails at once and non-retryably, so
// the step pauses for an operator and the run ends at its run timeout, with no more of its code run:
// what a terminate leaves behind.
func stopAt(f *fakeEnv, phase string, cancel bool, sim *awssim.Server) {
	stop := func(ctx context.Context) error {
		if !cancel {
			return temporal.NewNonRetryableApplicationError("stopped here by the test", "TestStop", nil)
		}
		f.env.CancelWorkflow()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return errors.New("the activity was not cancelled")
		}
	}
	switch phase {
	case "database":
		f.env.OnActivity(a.WaitAuroraWriter, mock.Anything, mock.Anything).Return(func(ctx context.Context, _ activities.AuroraFailoverInput) (activities.AuroraWriterState, error) {
			return activities.AuroraWriterState{}, stop(ctx)
		})
	case "activate":
		f.env.OnActivity(a.WaitStackParameter, mock.Anything, mock.Anything).Return(func(ctx context.Context, _ activities.StackParamInput) (activities.StackState, error) {
			// The database step runs beside this one: a run stopped "at activate" has started the Aurora
			// failover too, which a loaded machine may not have done yet when the stacks' wait begins.
			for deadline := time.Now().Add(10 * time.Second); !auroraStarted(sim) && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			return activities.StackState{}, stop(ctx)
		})
	case "dns":
		f.env.OnActivity(a.WaitResolution, mock.Anything, mock.Anything).Return(func(ctx context.Context, _ activities.ResolutionWait) (activities.ResolutionState, error) {
			return activities.ResolutionState{}, stop(ctx)
		})
	case "verify":
		f.env.OnActivity(a.CheckHealthURL, mock.Anything, mock.Anything).Return(func(ctx context.Context, _ activities.URLCheckInput) (activities.URLCheckResult, error) {
			return activities.URLCheckResult{}, stop(ctx)
		})
	}
}

func auroraStarted(sim *awssim.Server) bool {
	for _, j := range sim.Journal() {
		if j.Operation == "FailoverGlobalCluster" && j.Changed {
			return true
		}
	}
	return false
}

// stopFailover runs a RegionFailover on d's environment and stops it at phase.
func (d *drillFake) stopFailover(phase string, cancel bool) {
	d.t.Helper()
	req := FailoverRequest{Common: Common{Topology: d.topo, AutoApprove: phase != "gate", Initiator: "oncall"}, MonitorWindow: topology.Duration(time.Minute)}
	if phase == "gate" {
		if cancel {
			d.env.RegisterDelayedCallback(d.env.CancelWorkflow, time.Minute)
		}
	} else {
		stopAt(&d.fakeEnv, phase, cancel, d.sim)
	}
	if !cancel {
		d.env.SetWorkflowRunTimeout(2 * time.Minute)
	}
	d.env.ExecuteWorkflow(RegionFailover, req)
	require.True(d.t, d.env.IsWorkflowCompleted())
	err := d.env.GetWorkflowError()
	if cancel {
		var rep FailoverReport
		require.NoError(d.t, err)
		require.NoError(d.t, d.env.GetWorkflowResult(&rep))
		require.Equal(d.t, PhaseCancelled, rep.Outcome, "%v", rep.Steps)
		return
	}
	var te *temporal.TimeoutError
	require.True(d.t, errors.As(err, &te), "the run ends at its run timeout: %v", err)
}

func TestFailbackReturnsEveryPartialFailoverToTheInitialState(t *testing.T) {
	for _, phase := range failoverPhases {
		for _, cancel := range []bool{true, false} {
			how := map[bool]string{true: "cancel", false: "terminate"}[cancel]
			t.Run(fmt.Sprintf("%s at %s", how, phase), func(t *testing.T) {
				d := newDrillFake(t)
				d.stopFailover(phase, cancel)

				fb := d.envOn()
				fb.env.ExecuteWorkflow(Failback, FailbackRequest{Common: Common{Topology: d.topo, AutoApprove: true, Initiator: "oncall"}, MonitorWindow: topology.Duration(time.Minute)})
				require.True(t, fb.env.IsWorkflowCompleted())
				if phase == "gate" {
					// Nothing moved: the failback refuses, and says so truly.
					err := fb.env.GetWorkflowError()
					var ae *temporal.ApplicationError
					require.True(t, errors.As(err, &ae), "%v", err)
					require.Equal(t, ErrFailbackRefused, ae.Type())
					require.Contains(t, ae.Message(), "no failover has happened, or none of it is left to undo")
					require.Contains(t, ae.Message(), "resolves to "+d.topo.PrimaryRegion)
					d.steady()
					return
				}
				rep := result[FailbackReport](fb)
				require.Equal(t, PhaseCompleted, rep.Outcome, "%v", rep.Steps)
				require.NotNil(t, rep.Plan)
				require.True(t, rep.Plan.Writer, "the failover started the Aurora failover before %s", phase)
				d.steady()
				// Only the moves needed: a stack already back at standby is not updated again.
				for op, n := range d.changedOnce() {
					if op[:len("UpdateStack")] == "UpdateStack" {
						require.LessOrEqual(t, n, 2, "%s: once up, once down", op)
					}
				}
			})
		}
	}
}

// Runs recorded before failbackPartial keep the old pre-check, which refused after a half-done failover
// with a false reason: the version branch is what changed.
func TestFailbackBeforePartialVersionRefusesAHalfDoneFailover(t *testing.T) {
	d := newDrillFake(t)
	d.stopFailover("database", true)
	fb := d.envOn()
	fb.env.OnGetVersion(string(failbackPartial), workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	fb.env.ExecuteWorkflow(Failback, FailbackRequest{Common: Common{Topology: d.topo, AutoApprove: true, Initiator: "oncall"}})
	require.ErrorContains(t, fb.env.GetWorkflowError(), "no failover has happened: the routing control of us-east-1 is ON")
}
