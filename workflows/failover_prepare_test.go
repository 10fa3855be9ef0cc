package workflows

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// stackModel is CloudFormation for the DR stacks on the test's clock: an update takes 20 minutes, during
// which the stack is in progress and another update waits for it.
type stackModel struct {
	s       *failoverFake
	param   string
	mu      sync.Mutex
	values  map[string]string
	readyAt time.Time
	sets    map[string]int // "stack=value" → UpdateStack calls
}

func prepareFake(t *testing.T) (*failoverFake, *stackModel) {
	s := newFailoverFake(t)
	m := &stackModel{s: s, param: s.topo.Stacks.DRModeParameter, values: map[string]string{}, sets: map[string]int{}}
	for _, st := range s.topo.Stacks.Names {
		m.values[st] = "false"
	}
	e := s.env
	// Registered before the fake's own mocks, so these answer first.
	e.OnActivity(a.DescribeStack, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackRef) (activities.StackInfo, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		return activities.StackInfo{Stack: in.Stack, Region: in.Region, Exists: true, Status: "UPDATE_COMPLETE", Parameters: map[string]string{m.param: m.values[in.Stack]}}, nil
	})
	e.OnActivity(a.SetStackParameter, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackParamInput) (activities.StackParamResult, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.values[in.Stack] == in.Value {
			return activities.StackParamResult{Stack: in.Stack, Action: activities.ActionAlreadyDone}, nil
		}
		m.values[in.Stack] = in.Value
		m.sets[in.Stack+"="+in.Value]++
		m.readyAt = s.env.Now().Add(20 * time.Minute)
		return activities.StackParamResult{Stack: in.Stack, Action: activities.ActionStarted}, nil
	})
	left := func() time.Duration {
		m.mu.Lock()
		defer m.mu.Unlock()
		return max(0, m.readyAt.Sub(s.env.Now()))
	}
	e.OnActivity(a.WaitStackParameter, mock.Anything, mock.Anything).AfterFn(left).Return(func(_ context.Context, in activities.StackParamInput) (activities.StackState, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.values[in.Stack] != in.Value {
			return activities.StackState{}, fmt.Errorf("stack %s is %s=%s, not %s", in.Stack, m.param, m.values[in.Stack], in.Value)
		}
		return activities.StackState{Stack: in.Stack, Status: "UPDATE_COMPLETE"}, nil
	})
	e.OnActivity(a.WaitStackSettled, mock.Anything, mock.Anything).AfterFn(left).Return(activities.StackState{Status: "UPDATE_COMPLETE"}, nil)
	return s, m
}

func (m *stackModel) snapshot() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for k, v := range m.values {
		out[k] = v
	}
	return out
}

func (m *stackModel) all(v string) map[string]string {
	out := map[string]string{}
	for _, st := range m.s.topo.Stacks.Names {
		out[st] = v
	}
	return out
}

func prepared() FailoverRequest {
	yes := true
	return FailoverRequest{PrepareBeforeGate: &yes, MonitorWindow: topology.Duration(5 * time.Minute)}
}

// The stacks warm while people decide; Aurora and DNS wait for the gate; the activation step after it finds
// its work done, and the RTO loses the 20-minute activation that used to start only after approval.
func TestPrepareBeforeGateActivatesWhileTheGateWaits(t *testing.T) {
	s, m := prepareFake(t)
	var atGate Status
	var stacksAtGate map[string]string
	auroraAtGate := -1
	s.env.RegisterDelayedCallback(func() {
		atGate, stacksAtGate, auroraAtGate = s.status(), m.snapshot(), s.count("FailoverAurora")+s.count("UpsertFailoverRecord")
	}, 5*time.Minute)
	s.signal(10*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(prepared())

	require.Equal(t, PhaseAwaitingApproval, atGate.Phase)
	require.Equal(t, m.all("true"), stacksAtGate, "DrMode=true while the gate waits")
	require.Zero(t, auroraAtGate, "nothing that moves traffic or writes data before the gate")
	require.Equal(t, OutcomeRunning, stepNamed(atGate.Steps, "prepare").Outcome)

	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	for _, st := range s.topo.Stacks.Names {
		require.Equal(t, 1, m.sets[st+"=true"], "one UpdateStack per stack, by the preparation")
	}
	p := rep.Preparation
	require.NotNil(t, p)
	require.False(t, p.Reverted)
	require.Equal(t, 10*time.Minute, p.GateWait)
	require.Equal(t, 10*time.Minute, p.Overlap, "the whole gate wait overlapped the activation")
	require.Equal(t, 20*time.Minute, p.Ready.Sub(p.Started))
	require.Equal(t, m.all("false"), p.Before)
	act := stepNamed(rep.Steps, "activate")
	require.Equal(t, 10*time.Minute, act.Duration(), "step 5 waited only for what was left of the activation")
	// Critical path: 20 min activation from the assessment (the gate's 10 min inside it) + 1 min DNS + 5 min
	// monitoring; without preparation it is 10 + 20 + 1 + 5 = 36 min.
	require.Equal(t, 26*time.Minute, rep.RTO)
}

func TestPrepareBeforeGateIsRevertedWhenTheGateDoesNotOpen(t *testing.T) {
	for name, c := range map[string]struct {
		act    func(s *failoverFake)
		phase  string
		reason string
	}{
		"rejected while activating": {func(s *failoverFake) {
			s.signal(5*time.Minute, SignalApprove, Approval{Gate: GateFailover, Decision: "reject", Approver: "alice", Comment: "primary is back"})
		}, PhaseAborted, "rejected"},
		"rejected once active": {func(s *failoverFake) {
			s.signal(30*time.Minute, SignalApprove, Approval{Gate: GateFailover, Decision: "reject", Approver: "alice"})
		}, PhaseAborted, "rejected"},
		"gate timed out": {func(*failoverFake) {}, PhaseAborted, "timed out"},
		"cancelled while activating": {func(s *failoverFake) {
			s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, 5*time.Minute)
		}, PhaseCancelled, "cancelled"},
		"cancelled once active": {func(s *failoverFake) {
			s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, 30*time.Minute)
		}, PhaseCancelled, "cancelled"},
	} {
		t.Run(name, func(t *testing.T) {
			s, m := prepareFake(t)
			c.act(s)
			rep := s.run(prepared())
			require.Equal(t, c.phase, rep.Outcome)
			require.Equal(t, m.all("false"), m.snapshot(), "DrMode back to what it was")
			require.Zero(t, s.count("FailoverAurora")+s.count("UpsertFailoverRecord"))
			p := rep.Preparation
			require.True(t, p.Reverted, rep.Notes)
			require.Contains(t, p.RevertReason, c.reason)
			require.Equal(t, OutcomeOK, stepNamed(rep.Steps, "revert").Outcome)
			for _, st := range s.topo.Stacks.Names {
				require.Equal(t, 1, m.sets[st+"=false"], "one revert per stack")
			}
		})
	}
}

// A stack that was already active before the run stays active: a revert restores, it does not reset.
func TestPrepareBeforeGateRevertRestoresEachStacksOwnValue(t *testing.T) {
	s, m := prepareFake(t)
	first := s.topo.Stacks.Names[0]
	m.values[first] = "true"
	s.signal(30*time.Minute, SignalApprove, Approval{Gate: GateFailover, Decision: "reject", Approver: "alice"})
	rep := s.run(prepared())
	want := m.all("false")
	want[first] = "true"
	require.Equal(t, want, m.snapshot())
	require.Zero(t, m.sets[first+"=true"]+m.sets[first+"=false"], "the stack already active was never updated")
	require.True(t, rep.Preparation.Reverted)
}

// DR that does not look healthy is not prepared: the run goes on as without the option and says why.
func TestPrepareBeforeGateNeedsAHealthyDR(t *testing.T) {
	s, m := prepareFake(t)
	s.env.OnActivity(a.ProbeRegion, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ProbeInput) (activities.Reachability, error) {
		up := in.Region == s.topo.DRRegion
		return activities.Reachability{Region: in.Region, EC2: up, STS: up, Reachable: up, HealthURL: in.HealthURL, HealthStatus: 503}, nil
	})
	s.signal(10*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(prepared())
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Empty(t, stepNamed(rep.Steps, "prepare").Name)
	require.Contains(t, rep.Preparation.NotPrepared, "did not find "+s.topo.DRRegion+" healthy")
	require.Equal(t, 20*time.Minute, stepNamed(rep.Steps, "activate").Duration())
	require.Equal(t, m.all("true"), m.snapshot())
}

func TestPrepareBeforeGateRefusesAnUnnamedCommand(t *testing.T) {
	topo := upsertTopology(t)
	topo.Stacks.Activation, topo.Stacks.Deploy, topo.Stacks.DeployCommand = topology.ActivationCommand, "", []string{"pnpm", "cdk", "deploy"}
	req := prepared()
	req.Topology = topo
	err := req.Validate()
	require.ErrorContains(t, err, "prepareBeforeGate")
	require.ErrorContains(t, err, "stacks.deploy")
	no := false
	req.PrepareBeforeGate = &no
	require.NoError(t, req.Validate(), "without preparation the request is as valid as before")
}
