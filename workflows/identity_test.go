package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/identity"
	"github.com/roadcall/dr/internal/policy"
)

const (
	alice = "arn:aws:iam::123456789012:user/alice"
	bob   = "arn:aws:iam::123456789012:user/bob"
	carol = "arn:aws:iam::123456789012:user/carol"
)

// stsMachinery is the gate machinery under a policy with identity sts: STS (VerifyIdentity) answers the
// principal whose name the test token carries, and refuses a token marked forged, or one bound elsewhere.
func stsMachinery(t *testing.T, mutate func(*policy.Policy)) *machinery {
	m := newMachinery(t)
	m.policy.Policy = policy.Policy{Approvers: []string{alice, bob, carol}, TwoPerson: true, HealthHosts: []string{"127.0.0.1"}}
	if mutate != nil {
		mutate(&m.policy.Policy)
	}
	m.env.OnActivity(a.VerifyIdentity, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.VerifyIdentityInput) (activities.VerifyIdentityResult, error) {
		who := strings.TrimPrefix(in.Token.Headers["who"], "")
		switch {
		case who == "forged":
			return activities.VerifyIdentityResult{}, temporal.NewNonRetryableApplicationError("sts refused the token: SignatureDoesNotMatch: forged", "IdentityRefused", nil)
		case in.Token.Headers["gate"] != in.Binding.Gate || in.Token.Headers["decision"] != in.Binding.Decision:
			return activities.VerifyIdentityResult{}, temporal.NewNonRetryableApplicationError("token: bound to gate "+in.Token.Headers["gate"]+", not "+in.Binding.Gate, "IdentityRefused", nil)
		}
		return activities.VerifyIdentityResult{ARN: "arn:aws:iam::123456789012:user/" + who, TokenID: in.Token.ID()}, nil
	})
	return m
}

var tokenSeq int

// tok is a token whose fake STS answer is who, bound to gate and decision.
func tok(who, gate, decision string) *identity.Token {
	tokenSeq++
	return &identity.Token{URL: "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Signature=sig" + strings.Repeat("0", tokenSeq%7) + who + gate + decision + string(rune('a'+tokenSeq%26)),
		Headers: map[string]string{"who": who, "gate": gate, "decision": decision}}
}

func proven(who, gate string) Approval {
	return Approval{Gate: gate, Decision: "approve", Token: tok(who, gate, "approve")}
}

func TestProvenApprovalNamesThePrincipal(t *testing.T) {
	m := stsMachinery(t, nil)
	var refused error
	wire := proven("alice", "go")
	wire.Approver, wire.Proven = "incident-commander", true // typed and claimed: both replaced by what STS says
	m.update(time.Minute, UpdateApprove, wire, &refused)
	res := m.run(t, gateTestRequest{Common: Common{Initiator: "someone"}})
	require.NoError(t, refused)
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Len(t, res.Status.Approvals, 1)
	require.Equal(t, alice, res.Status.Approvals[0].Approver)
	require.True(t, res.Status.Approvals[0].Proven)
	require.Nil(t, res.Status.Approvals[0].Token, "the token does not stay in the run's status")
	require.Equal(t, policy.IdentitySTS, res.Status.Authority.Identity)
}

// A bare-name approval is never obeyed when approvals must be proven: the signal lands in ignored, the
// update is refused, and the gate stays closed until its deadline.
func TestBareNameApprovalIsIgnoredWhenIdentitiesMustBeProven(t *testing.T) {
	m := stsMachinery(t, nil)
	var refused error
	m.signal(time.Minute, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice"})
	m.update(2*time.Minute, UpdateApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice"}, &refused)
	res := m.run(t, gateTestRequest{})
	require.Equal(t, PhaseAborted, res.Phase)
	require.ErrorContains(t, refused, "token: missing")
	require.Len(t, res.Status.Ignored, 1)
	require.Contains(t, res.Status.Ignored[0], "an approval counts only from a proven identity")
	require.Empty(t, res.Status.Approvals)
}

func TestProvenTokenRefusals(t *testing.T) {
	m := stsMachinery(t, nil)
	var forged, otherGate, notApprover error
	m.update(time.Minute, UpdateApprove, proven("forged", "go"), &forged)
	m.update(time.Minute, UpdateApprove, Approval{Gate: "go", Decision: "approve", Token: tok("alice", "other", "approve")}, &otherGate)
	m.update(time.Minute, UpdateApprove, proven("mallory", "go"), &notApprover)
	var accepted error
	m.update(2*time.Minute, UpdateApprove, proven("bob", "go"), &accepted)
	res := m.run(t, gateTestRequest{Common: Common{Initiator: "someone"}})
	require.ErrorContains(t, forged, "SignatureDoesNotMatch")
	require.ErrorContains(t, otherGate, "bound to gate other")
	require.ErrorContains(t, notApprover, "not an approver in the worker's policy")
	require.NoError(t, accepted)
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Equal(t, bob, res.Status.Approvals[0].Approver)
}

// The initiator, proven, may not approve under the two-person rule; with case changed neither.
func TestProvenInitiatorCannotApproveTheirOwnRun(t *testing.T) {
	m := stsMachinery(t, nil)
	var own, other error
	m.update(time.Minute, UpdateApprove, proven("Alice", "go"), &own)
	m.update(2*time.Minute, UpdateApprove, proven("bob", "go"), &other)
	res := m.run(t, gateTestRequest{Common: Common{InitiatorToken: tok("alice", identity.StartGate, identity.StartDecision)}})
	require.ErrorContains(t, own, "started this run and the two-person rule is on")
	require.NoError(t, other)
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Equal(t, alice, res.Status.Authority.Initiator)
	require.True(t, res.Status.Authority.InitiatorProven)
}

// M-of-N counts distinct principals: the same principal twice counts once.
func TestMinApprovalsCountsDistinctPrincipals(t *testing.T) {
	m := stsMachinery(t, func(p *policy.Policy) {
		p.Gates = map[string]map[string]policy.GateRule{"GateTest": {"go": {MinApprovals: 2}}}
	})
	var second, again, replayed, third error
	var mid Status
	first := proven("alice", "go")
	m.update(time.Minute, UpdateApprove, first, &second)
	m.update(2*time.Minute, UpdateApprove, proven("alice", "go"), &again)
	m.update(2*time.Minute, UpdateApprove, first, &replayed)
	m.env.RegisterDelayedCallback(func() { mid = m.query(t) }, 3*time.Minute)
	m.update(4*time.Minute, UpdateApprove, proven("carol", "go"), &third)
	res := m.run(t, gateTestRequest{Common: Common{Initiator: "someone"}})
	require.NoError(t, second)
	require.ErrorContains(t, again, "already approved gate go, which needs 2 distinct approvers")
	require.ErrorContains(t, replayed, "already used in this run, by "+alice+" (a replay)")
	require.Equal(t, PhaseAwaitingApproval, mid.Phase, "one approval of two keeps the gate closed")
	require.Equal(t, 1, mid.PendingGate.Approved)
	require.Equal(t, 2, mid.PendingGate.Required)
	require.NoError(t, third)
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Len(t, res.Status.Approvals, 2)
}

// A gated workflow on a worker without a policy refuses to run and says how to give one; readiness runs.
func TestGatedWorkflowRefusesWithoutAPolicy(t *testing.T) {
	m := newMachinery(t)
	*m.policy = activities.PolicyResult{Problem: "the worker runs without a policy; start it with --policy FILE or ROADCALL_POLICY=FILE"}
	m.env.ExecuteWorkflow(gateTestWorkflow, gateTestRequest{Common: Common{Topology: localTopology(t)}})
	err := m.env.GetWorkflowError()
	require.True(t, IsInvalidRequest(err), "%v", err)
	require.ErrorContains(t, err, "--policy FILE")
}

// autoApprove is refused where the policy does not allow it, before anything else runs.
func TestAutoApproveRefusedUnlessThePolicyAllowsIt(t *testing.T) {
	m := stsMachinery(t, nil)
	m.env.ExecuteWorkflow(gateTestWorkflow, gateTestRequest{Common: Common{Topology: localTopology(t), AutoApprove: true}})
	err := m.env.GetWorkflowError()
	require.True(t, IsInvalidRequest(err), "%v", err)
	require.ErrorContains(t, err, `"autoApprove"`)
	require.Empty(t, m.published, "nothing was paged: the run never started its work")
}

// Under the two-person rule a run whose initiator is unproven needs approvers distinct from every proven
// principal that already acted on it: alice, who decided the first gate, may not decide the second.
func TestUnprovenInitiatorNeedsDistinctApproversAcrossGates(t *testing.T) {
	m := stsMachinery(t, nil)
	var first, again, other error
	m.update(time.Minute, UpdateApprove, proven("alice", "go"), &first)
	m.update(2*time.Minute, UpdateApprove, proven("alice", "other"), &again)
	m.update(3*time.Minute, UpdateApprove, proven("bob", "other"), &other)
	res := m.run(t, gateTestRequest{Common: Common{Initiator: "typed-name"}, SecondGate: true})
	require.NoError(t, first)
	require.ErrorContains(t, again, "already decided gate go, and this run's initiator is unproven")
	require.NoError(t, other)
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Equal(t, []string{alice, bob}, res.Values)
	require.False(t, res.Status.Authority.InitiatorProven)
}
