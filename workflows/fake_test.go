package workflows

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/topology"
)

// fakeEnv is what every scenario's fake (<scenario>Fake) embeds: a time-skipping test environment with
// the local topology, a count of activity calls, injected failures, and the pages sent. The mocks run
// concurrently (scenarios run steps in parallel), so every field behind mu is read through a method.
type fakeEnv struct {
	t    *testing.T
	env  *testsuite.TestWorkflowEnvironment
	topo topology.Topology
	// policy is what the worker's LoadPolicy answers; a test may change it before the run.
	policy *activities.PolicyResult

	mu    sync.Mutex
	calls map[string]int
	fail  map[string]int // activity → remaining injected failures (AccessDenied)
	// transient: activity → remaining retryable failures (InternalFailure), a storm the retry policy rides out
	transient map[string]int
	subjects  []string
}

func newFakeEnv(t *testing.T) fakeEnv {
	env, pol := newEnvWithPolicy(t)
	return fakeEnv{t: t, env: env, policy: pol, topo: upsertTopology(t), calls: map[string]int{}, fail: map[string]int{}, transient: map[string]int{}}
}

// newEnv is a test workflow environment with the activities registered (to be mocked), a quiet logger and
// the worker policy of testPolicy.
func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	env, _ := newEnvWithPolicy(t)
	return env
}

// newEnvWithPolicy is newEnv and the policy LoadPolicy answers with, for a test to change before its run.
func newEnvWithPolicy(t *testing.T) (*testsuite.TestWorkflowEnvironment, *activities.PolicyResult) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	res := &activities.PolicyResult{Loaded: true, Source: "workflows test policy", Policy: testPolicy()}
	env.OnActivity(a.LoadPolicy, mock.Anything, mock.Anything).Return(func(context.Context, activities.PolicyInput) (activities.PolicyResult, error) {
		return *res, nil
	}).Maybe()
	return env, res
}

// testPolicy is what the scenario tests run under: the names they type, auto-approval for every workflow,
// the hosts and variables the test topologies name. The policy's own rules have tests of their own.
func testPolicy() policy.Policy {
	return policy.Policy{Identity: policy.IdentityNames, Approvers: []string{"alice", "bob", "carol"},
		AutoApprove: policy.AutoApprove{Workflows: []string{WorkflowRegionFailover, WorkflowFailback, WorkflowDegradation, WorkflowCorruption, WorkflowDrill}},
		HealthHosts: []string{"127.0.0.1"}, ClusterEndpointHosts: []string{"127.0.0.1"}, SecretEnv: []string{"ROADCALL_DR_WRITER_DSN", "ROADCALL_STATUS_WEBHOOK", "ROADCALL_STATUS_WEBHOOK_URL"}}
}

func localTopology(t *testing.T) topology.Topology {
	t.Helper()
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(t, err)
	return topo
}

// upsertTopology is the local example in dns.mode upsert, the zone the runbook's UPSERT was written
// against: one simple alias record, no routing controls, no RECOVERY_CONTROL health checks. The scenario
// fakes run on it; the other modes are derived from it by modeTopology.
func upsertTopology(t *testing.T) topology.Topology {
	t.Helper()
	topo := localTopology(t)
	topo.DNS.Mode, topo.DNS.Records, topo.DNS.RoutingControls = topology.DNSUpsert, nil, nil
	var hcs []topology.HealthCheck
	for _, hc := range topo.HealthChecks {
		if hc.Type != topology.HealthCheckRecoveryControl {
			hcs = append(hcs, hc)
		}
	}
	topo.HealthChecks = hcs
	require.NoError(t, topo.Validate())
	return topo
}

// hit counts a call and returns the injected failure, if any.
func (f *fakeEnv) hit(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	if f.transient[name] > 0 {
		f.transient[name]--
		return temporal.NewApplicationError(name+" in us-west-2: InternalFailure: injected storm", "InternalFailure")
	}
	if f.fail[name] > 0 {
		f.fail[name]--
		return temporal.NewNonRetryableApplicationError(name+" in us-west-2: AccessDenied: injected", "AccessDenied", nil)
	}
	return nil
}

func (f *fakeEnv) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// paged records an SNS subject.
func (f *fakeEnv) paged(subject string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subjects = append(f.subjects, subject)
}

func (f *fakeEnv) pages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.subjects...)
}

// signal sends a signal after a delay of workflow time.
func (f *fakeEnv) signal(after time.Duration, name string, arg any) {
	f.env.RegisterDelayedCallback(func() { f.env.SignalWorkflow(name, arg) }, after)
}

// update sends an update after a delay of workflow time and records a refusal in rejected.
func (f *fakeEnv) update(after time.Duration, name string, arg any, rejected *error) {
	f.env.RegisterDelayedCallback(func() {
		f.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{OnReject: func(err error) { *rejected = err }, OnAccept: func() {}, OnComplete: func(_ any, err error) {
			if err != nil {
				*rejected = err // the handler refused: an identity STS did not prove, or the policy refused it
			}
		}}, arg)
	}, after)
}

// status queries the run's status.
func (f *fakeEnv) status() Status {
	f.t.Helper()
	v, err := f.env.QueryWorkflow(QueryStatus)
	require.NoError(f.t, err)
	var st Status
	require.NoError(f.t, v.Get(&st))
	return st
}

// result is the workflow's completed result, which must not be an error.
func result[R any](f *fakeEnv) R {
	f.t.Helper()
	require.True(f.t, f.env.IsWorkflowCompleted())
	require.NoError(f.t, f.env.GetWorkflowError())
	var rep R
	require.NoError(f.t, f.env.GetWorkflowResult(&rep))
	return rep
}
