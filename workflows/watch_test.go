package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// watchFake answers the watch's activities from a switchable world: whether the primary is out, which
// runs of the platform are going, and what was started and paged.
type watchFake struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	mu      sync.Mutex
	outage  bool
	running map[string]activities.RunState
	starts  []activities.StartRunInput
	pages   []string
	probes  int
}

func newWatchFake(t *testing.T) *watchFake {
	f := &watchFake{t: t, env: newEnv(t), running: map[string]activities.RunState{}}
	f.env.OnActivity(a.ProbeRegion, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ProbeInput) (activities.Reachability, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.probes++
		if f.outage {
			return activities.Reachability{Region: in.Region, HealthURL: in.HealthURL, HealthStatus: 503, EC2Error: "connection closed", STSError: "connection closed"}, nil
		}
		return activities.Reachability{Region: in.Region, HealthURL: in.HealthURL, HealthStatus: 200, Healthy: true, EC2: true, STS: true, Reachable: true}, nil
	})
	f.env.OnActivity(a.DescribeRuns, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RunsInput) (activities.RunsResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var out activities.RunsResult
		for _, id := range in.WorkflowIDs {
			st, ok := f.running[id]
			if !ok {
				st = activities.RunState{WorkflowID: id}
			}
			out.Runs = append(out.Runs, st)
		}
		return out, nil
	}).Maybe()
	f.env.OnActivity(a.StartRun, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StartRunInput) (activities.StartRunResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.starts = append(f.starts, in)
		return activities.StartRunResult{Started: true, RunID: "run-1"}, nil
	}).Maybe()
	f.env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.pages = append(f.pages, in.Message)
		return activities.PublishResult{MessageID: "m"}, nil
	}).Maybe()
	return f
}

// at runs fn at a point of workflow time.
func (f *watchFake) at(d time.Duration, fn func()) { f.env.RegisterDelayedCallback(fn, d) }

func (f *watchFake) setOutage(d time.Duration, on bool) {
	f.at(d, func() { f.mu.Lock(); f.outage = on; f.mu.Unlock() })
}

func (f *watchFake) status() WatchStatus {
	f.t.Helper()
	v, err := f.env.QueryWorkflow(QueryStatus)
	require.NoError(f.t, err)
	var s WatchStatus
	require.NoError(f.t, v.Get(&s))
	return s
}

// run runs the watch (every 2s, threshold 2, cooldown 1h unless req says otherwise) and cancels it at
// stop, keeping the status queried just before.
func (f *watchFake) run(req WatchRequest, stop time.Duration) WatchStatus {
	f.t.Helper()
	req.Topology = upsertTopology(f.t)
	every, cooldown := topology.Duration(2*time.Second), topology.Duration(time.Hour)
	threshold := 2
	if req.Every == nil {
		req.Every = &every
	}
	if req.Threshold == nil {
		req.Threshold = &threshold
	}
	if req.Cooldown == nil {
		req.Cooldown = &cooldown
	}
	var last WatchStatus
	f.at(stop, func() { last = f.status(); f.env.CancelWorkflow() })
	f.env.ExecuteWorkflow(OutageWatch, req)
	require.True(f.t, f.env.IsWorkflowCompleted())
	return last
}

func (f *watchFake) started() []FailoverRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []FailoverRequest
	for _, s := range f.starts {
		require.Equal(f.t, "failover-roadcall-prod", s.WorkflowID)
		require.Equal(f.t, WorkflowRegionFailover, s.WorkflowType)
		var r FailoverRequest
		require.NoError(f.t, json.Unmarshal(s.Request, &r))
		out = append(out, r)
	}
	return out
}

func TestWatchStartsFailoverAfterThreshold(t *testing.T) {
	f := newWatchFake(t)
	var t0 time.Time
	f.at(time.Millisecond, func() { t0 = f.env.Now().Add(-time.Millisecond) })
	f.setOutage(5*time.Second, true) // evaluations at 0, 2, 4 pass; 6 and 8 fail
	var beforeStart WatchStatus
	f.at(7*time.Second, func() { beforeStart = f.status() })
	st := f.run(WatchRequest{}, 20*time.Second)

	require.Equal(t, 1, beforeStart.Streak, "the UI and status show the streak before the threshold")
	require.Contains(t, beforeStart.LastDecision, "failing: 1 of 2")
	starts := f.started()
	require.Len(t, starts, 1, "one failover for one outage: the cooldown holds back the next streaks")
	req := starts[0]
	require.Equal(t, WatchInitiator, req.Initiator)
	require.False(t, req.AutoApprove, "the watch approves nothing")
	require.NotNil(t, req.DetectedAt)
	require.WithinDuration(t, t0.Add(6*time.Second), *req.DetectedAt, 100*time.Millisecond, "detectedAt is the first failing evaluation")
	require.NotNil(t, st.LastStart)
	require.Equal(t, "failover-roadcall-prod", st.LastStart.WorkflowID)
	require.WithinDuration(t, st.LastStart.At.Add(time.Hour), st.CooldownEnds, 0)
	require.Contains(t, st.LastDecision, "within the cooldown", "the outage goes on; the status says why nothing more starts")
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.pages, 1, "one page per outage")
	require.Contains(t, f.pages[0], "started failover-roadcall-prod")
}

func TestWatchStreakBroken(t *testing.T) {
	f := newWatchFake(t)
	// Failing every other evaluation never makes two in a row.
	for i := range 10 {
		f.setOutage(time.Duration(4*i+1)*time.Second, true)
		f.setOutage(time.Duration(4*i+3)*time.Second, false)
	}
	st := f.run(WatchRequest{}, 40*time.Second)
	require.Empty(t, f.started())
	require.Nil(t, st.LastStart)
	var broken bool
	for _, ev := range st.Recent {
		broken = broken || ev.Decision == "primary healthy; streak of 1 broken"
	}
	require.True(t, broken, "%+v", st.Recent)
	require.Empty(t, f.pages)
}

func TestWatchSecondOutageInCooldown(t *testing.T) {
	f := newWatchFake(t)
	f.setOutage(1*time.Second, true)
	f.setOutage(10*time.Second, false)
	f.setOutage(21*time.Second, true)
	st := f.run(WatchRequest{}, 40*time.Second)
	require.Len(t, f.started(), 1)
	require.Contains(t, st.LastDecision, "within the cooldown")
	require.Contains(t, st.LastDecision, "nothing starts before")
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.pages, 2, "the second outage is paged, and the page says nothing was started")
	require.Contains(t, f.pages[1], "within the cooldown")
}

func TestWatchFailoverAlreadyRunning(t *testing.T) {
	f := newWatchFake(t)
	f.running["failback-roadcall-prod"] = activities.RunState{WorkflowID: "failback-roadcall-prod", Exists: true, Running: true, WorkflowType: WorkflowFailback}
	f.setOutage(time.Second, true)
	var during WatchStatus
	f.at(9*time.Second, func() {
		during = f.status()
		f.mu.Lock()
		f.running["failback-roadcall-prod"] = activities.RunState{WorkflowID: "failback-roadcall-prod", Exists: true, Status: "WORKFLOW_EXECUTION_STATUS_COMPLETED"}
		f.mu.Unlock()
	})
	f.run(WatchRequest{}, 14*time.Second)
	require.Contains(t, during.LastDecision, "failback-roadcall-prod (Failback) is running")
	require.Equal(t, 4, during.Streak, "the streak goes on while the start is held back")
	starts := f.started()
	require.Len(t, starts, 1, "once the failback ended, the failover starts")
	require.WithinDuration(t, during.FirstFailingAt, *starts[0].DetectedAt, 0, "detectedAt is still the streak's first failing evaluation")

	// A failover someone else started is running: the watch starts nothing and says so.
	g := newWatchFake(t)
	g.running["failover-roadcall-prod"] = activities.RunState{WorkflowID: "failover-roadcall-prod", Exists: true, Running: true, WorkflowType: WorkflowRegionFailover}
	g.setOutage(time.Second, true)
	st := g.run(WatchRequest{}, 12*time.Second)
	require.Empty(t, g.started())
	require.Contains(t, st.LastDecision, "failover-roadcall-prod (RegionFailover) is running")
	require.Len(t, g.pages, 1)
}

func TestWatchPause(t *testing.T) {
	f := newWatchFake(t)
	f.at(time.Second, func() { f.env.SignalWorkflow(SignalPause, WatchControl{By: "alice", Reason: "primary maintenance"}) })
	f.setOutage(2*time.Second, true)
	var paused WatchStatus
	f.at(15*time.Second, func() { paused = f.status(); f.env.SignalWorkflow(SignalResume, WatchControl{By: "alice"}) })
	st := f.run(WatchRequest{}, 30*time.Second)
	require.True(t, paused.Paused)
	require.Equal(t, "paused by alice: primary maintenance", paused.PauseReason)
	require.Zero(t, paused.Streak)
	require.Contains(t, paused.LastDecision, "paused")
	require.False(t, st.Paused)
	starts := f.started()
	require.Len(t, starts, 1, "after resume the streak counts again from zero")
	require.True(t, starts[0].DetectedAt.After(paused.Recent[len(paused.Recent)-1].At), "evaluations while paused do not count toward detection")
}

func TestWatchTrafficAlreadyOff(t *testing.T) {
	f := newWatchFake(t)
	f.outage = true
	f.env.OnActivity(a.GetRoutingControlStates, mock.Anything, mock.Anything).Return(activities.RoutingControlStates{
		Endpoint: activities.ClusterEndpoint{Region: "us-west-2"},
		States:   []activities.ControlState{{Region: "us-east-1", State: "Off"}, {Region: "us-west-2", State: "On"}}}, nil)
	req := WatchRequest{}
	req.Topology = localTopology(t)
	every, cooldown, threshold := topology.Duration(2*time.Second), topology.Duration(time.Hour), 1
	req.Every, req.Cooldown, req.Threshold = &every, &cooldown, &threshold
	var st WatchStatus
	f.at(9*time.Second, func() { st = f.status(); f.env.CancelWorkflow() })
	f.env.ExecuteWorkflow(OutageWatch, req)
	require.Empty(t, f.started())
	require.Contains(t, st.LastDecision, "already off the primary")
}

func TestWatchContinuesAsNewWithItsState(t *testing.T) {
	defer func(n int) { watchRunEvaluations = n }(watchRunEvaluations)
	watchRunEvaluations = 3
	next := func(pauseAt time.Duration) WatchState {
		f := newWatchFake(t)
		f.setOutage(time.Second, true)
		if pauseAt > 0 {
			f.at(pauseAt, func() { f.env.SignalWorkflow(SignalPause, WatchControl{By: "bob"}) })
		}
		req := WatchRequest{}
		req.Topology = upsertTopology(t)
		every, threshold := topology.Duration(2*time.Second), 5
		req.Every, req.Threshold = &every, &threshold
		f.env.ExecuteWorkflow(OutageWatch, req)
		require.True(t, f.env.IsWorkflowCompleted())
		var can *workflow.ContinueAsNewError
		require.True(t, errors.As(f.env.GetWorkflowError(), &can), "%v", f.env.GetWorkflowError())
		var nr WatchRequest
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &nr))
		require.Equal(t, 5, *nr.Threshold, "the settings are carried")
		require.NotNil(t, nr.State)
		return *nr.State
	}
	st := next(0)
	require.Equal(t, 3, st.Evaluations)
	require.Equal(t, 1, st.Generation)
	require.Len(t, st.Recent, 3)
	require.Equal(t, 2, st.Streak, "evaluations at 2s and 4s failed")
	require.False(t, st.FirstFailingAt.IsZero())
	st = next(3 * time.Second)
	require.True(t, st.Paused, "a pause is carried")
	require.Equal(t, "paused by bob", st.PauseReason)
}

func TestWatchRefusesBadRequest(t *testing.T) {
	env := newEnv(t)
	req := WatchRequest{}
	req.Topology = upsertTopology(t)
	zero := 0
	req.Threshold = &zero
	env.ExecuteWorkflow(OutageWatch, req)
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.True(t, IsInvalidRequest(err))
	require.Contains(t, err.Error(), `field "threshold"`)
}
