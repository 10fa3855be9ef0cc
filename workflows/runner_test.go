package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
)

type gateTestRequest struct {
	Common
	RequireDataLossAck bool `json:"requireDataLossAck"`
	// SecondGate opens gate "other" after "go", for rules that span gates.
	SecondGate bool `json:"secondGate,omitempty"`
}

type gateTestResult struct {
	Phase  string   `json:"phase"`
	Status Status   `json:"status"`
	Values []string `json:"values"`
}

// gateTestWorkflow exercises the shared machinery the way scenarios use it: a gate, then a critical and
// a non-critical step that call an activity which may fail.
func gateTestWorkflow(ctx workflow.Context, req gateTestRequest) (gateTestResult, error) {
	if err := req.Prepare(); err != nil {
		return gateTestResult{}, invalid(err)
	}
	r, err := start(ctx, scenario{Workflow: "GateTest", Key: "test", Gates: []string{"go", "other"}}, &req.Common)
	if err != nil {
		return gateTestResult{}, err
	}
	var values []string
	var ap Approval
	ap, err = r.gate("go", gateOpts{Summary: "may we?", RequireDataLossAck: req.RequireDataLossAck})
	if err == nil && req.SecondGate {
		values = append(values, ap.Approver)
		ap, err = r.gate("other", gateOpts{Summary: "and again?"})
	}
	if err == nil {
		values = append(values, ap.Approver)
		err = r.step("critical", "A critical step", stepOpts{Critical: true}, func(ctx workflow.Context) error {
			c := describeCtx(ctx, "critical")
			return workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Stack: "critical"}).Get(c, nil)
		})
	}
	if err == nil {
		err = r.step("optional", "A non-critical step", stepOpts{}, func(ctx workflow.Context) error {
			c := describeCtx(ctx, "optional")
			return workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Stack: "optional"}).Get(c, nil)
		})
	}
	phase := outcomeOf(ctx, err)
	r.finish(phase, 0)
	return gateTestResult{Phase: phase, Status: r.snapshot(), Values: values}, nil
}

type machinery struct {
	env       *testsuite.TestWorkflowEnvironment
	policy    *activities.PolicyResult
	published []string
	failures  map[string]int // stack → remaining failures
}

func newMachinery(t *testing.T) *machinery {
	env, pol := newEnvWithPolicy(t)
	pol.Policy.AutoApprove.Workflows = append(pol.Policy.AutoApprove.Workflows, "GateTest")
	m := &machinery{env: env, policy: pol, failures: map[string]int{}}
	m.env.RegisterWorkflow(gateTestWorkflow)
	m.env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		m.published = append(m.published, in.Subject)
		return activities.PublishResult{}, nil
	})
	m.env.OnActivity(a.DescribeStack, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackRef) (activities.StackInfo, error) {
		if m.failures[in.Stack] > 0 {
			m.failures[in.Stack]--
			return activities.StackInfo{}, temporal.NewNonRetryableApplicationError("cloudformation:DescribeStacks "+in.Stack+": AccessDenied", "AccessDenied", nil)
		}
		return activities.StackInfo{Exists: true}, nil
	})
	return m
}

func (m *machinery) signal(after time.Duration, name string, arg any) {
	m.env.RegisterDelayedCallback(func() { m.env.SignalWorkflow(name, arg) }, after)
}

// update sends the approve update and records the validator's answer.
func (m *machinery) update(after time.Duration, name string, arg any, rejected *error) {
	m.env.RegisterDelayedCallback(func() {
		m.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { *rejected = err },
			OnAccept: func() {},
			OnComplete: func(_ any, err error) {
				if err != nil {
					*rejected = err // the handler refused: an identity STS did not prove, or the policy refused it
				}
			},
		}, arg)
	}, after)
}

func (m *machinery) run(t *testing.T, req gateTestRequest) gateTestResult {
	if req.Topology.Platform == "" {
		req.Topology = localTopology(t)
	}
	m.env.ExecuteWorkflow(gateTestWorkflow, req)
	require.True(t, m.env.IsWorkflowCompleted())
	require.NoError(t, m.env.GetWorkflowError())
	var res gateTestResult
	require.NoError(t, m.env.GetWorkflowResult(&res))
	return res
}

func (m *machinery) query(t *testing.T) Status {
	v, err := m.env.QueryWorkflow(QueryStatus)
	require.NoError(t, err)
	var s Status
	require.NoError(t, v.Get(&s))
	return s
}

func TestGateApproveBySignal(t *testing.T) {
	m := newMachinery(t)
	var seen Status
	m.env.RegisterDelayedCallback(func() { seen = m.query(t) }, time.Minute)
	m.signal(2*time.Minute, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice"})
	res := m.run(t, gateTestRequest{})
	require.Equal(t, PhaseAwaitingApproval, seen.Phase)
	require.Equal(t, "go", seen.PendingGate.Name)
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Equal(t, []string{"alice"}, res.Values)
	require.Len(t, m.published, 1, "one notification when the gate opens")
}

func TestGateRejectAbortsBeforeAnyStep(t *testing.T) {
	m := newMachinery(t)
	m.signal(time.Minute, SignalApprove, Approval{Gate: "go", Decision: "reject", Approver: "alice", Comment: "not now"})
	res := m.run(t, gateTestRequest{})
	require.Equal(t, PhaseAborted, res.Phase)
	require.Empty(t, res.Status.Steps, "nothing runs after a rejection")
}

func TestGateTimesOutWithEscalations(t *testing.T) {
	m := newMachinery(t)
	res := m.run(t, gateTestRequest{})
	require.Equal(t, PhaseAborted, res.Phase)
	require.Empty(t, res.Status.Steps)
	// Opened at 0; escalations at 10, 20, 30, 40, 50 minutes; timeout at 60.
	require.Len(t, m.published, 7, "%v", m.published)
	require.Contains(t, m.published[1], "Escalation 1")
	require.Contains(t, m.published[6], "timed out")
}

func TestGateUpdateValidatorRefusals(t *testing.T) {
	topo := localTopology(t)
	m := newMachinery(t)
	m.policy.Policy.TwoPerson = true
	var unknown, notPending, notAllowed, ownRun, dataLoss, badDecision error
	m.update(time.Minute, UpdateApprove, Approval{Gate: "nope", Decision: "approve", Approver: "alice"}, &unknown)
	m.update(time.Minute, UpdateApprove, Approval{Gate: "other", Decision: "approve", Approver: "alice"}, &notPending)
	m.update(time.Minute, UpdateApprove, Approval{Gate: "go", Decision: "approve", Approver: "mallory"}, &notAllowed)
	m.update(time.Minute, UpdateApprove, Approval{Gate: "go", Decision: "approve", Approver: "bob"}, &ownRun)
	m.update(time.Minute, UpdateApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice"}, &dataLoss)
	m.update(time.Minute, UpdateApprove, Approval{Gate: "go", Decision: "maybe", Approver: "alice"}, &badDecision)
	var accepted error
	m.update(2*time.Minute, UpdateApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice", AcceptDataLoss: true}, &accepted)
	res := m.run(t, gateTestRequest{Common: Common{Topology: topo, Initiator: "bob"}, RequireDataLossAck: true})
	require.ErrorContains(t, unknown, "is not a gate")
	require.ErrorContains(t, notPending, "is not pending")
	require.ErrorContains(t, notAllowed, "not an approver in the worker's policy")
	require.ErrorContains(t, ownRun, "two-person rule")
	require.ErrorContains(t, dataLoss, "acceptDataLoss")
	require.ErrorContains(t, badDecision, "decision")
	require.NoError(t, accepted)
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Len(t, res.Status.Approvals, 1)
	require.True(t, res.Status.Approvals[0].AcceptDataLoss)
}

func TestGateSignalRefusalIsRecordedNotObeyed(t *testing.T) {
	m := newMachinery(t)
	m.signal(time.Minute, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: "mallory"})
	res := m.run(t, gateTestRequest{})
	require.Equal(t, PhaseAborted, res.Phase, "an approver outside the allow-list must not open the gate")
	require.Len(t, res.Status.Ignored, 1)
	require.Contains(t, res.Status.Ignored[0], "mallory")
}

func TestOperatorRetryAfterFailure(t *testing.T) {
	m := newMachinery(t)
	m.failures["critical"] = 1
	var paused Status
	m.env.RegisterDelayedCallback(func() { paused = m.query(t) }, 30*time.Minute)
	m.signal(31*time.Minute, SignalOperator, OperatorAction{Action: "retry", Operator: "alice"})
	res := m.run(t, gateTestRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseAwaitingOperator, paused.Phase)
	require.Equal(t, []string{"critical"}, paused.PausedSteps)
	require.Contains(t, paused.LastError, "AccessDenied")
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Equal(t, 2, res.Status.Step("critical").Attempts)
	require.Equal(t, []string{"auto"}, res.Values)
}

func TestOperatorCannotSkipCriticalButCanAbort(t *testing.T) {
	m := newMachinery(t)
	m.failures["critical"] = 1
	var skipRefused error
	m.env.RegisterDelayedCallback(func() {
		m.env.UpdateWorkflow(SignalOperator, "", &testsuite.TestUpdateCallback{OnReject: func(err error) { skipRefused = err }, OnAccept: func() {}, OnComplete: func(any, error) {}},
			OperatorAction{Action: "skip"})
	}, time.Minute)
	m.signal(2*time.Minute, SignalOperator, OperatorAction{Action: "abort", Operator: "alice"})
	res := m.run(t, gateTestRequest{Common: Common{AutoApprove: true}})
	require.ErrorContains(t, skipRefused, "critical")
	require.Equal(t, PhaseAborted, res.Phase)
	require.Equal(t, OutcomeAborted, res.Status.Step("critical").Outcome)
	require.Nil(t, res.Status.Step("optional"), "nothing runs after an abort")
}

func TestOperatorSkipsNonCriticalStep(t *testing.T) {
	m := newMachinery(t)
	m.failures["optional"] = 5
	m.signal(time.Minute, SignalOperator, OperatorAction{Action: "skip", Step: "optional", Operator: "alice"})
	res := m.run(t, gateTestRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Equal(t, OutcomeSkipped, res.Status.Step("optional").Outcome)
}
