package activities

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// TestRetryInterceptorCountsTheSDKsRetries: two InternalFailures on FailoverGlobalCluster are retried by the
// SDK within one attempt; the result says so, and the failover reached AWS once.
func TestRetryInterceptorCountsTheSDKsRetries(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: topo.PrimaryRegion})
	require.NoError(t, err)
	_, err = sim.AddFault(awssim.Fault{Kind: awssim.FaultError, Service: "rds", Operation: "FailoverGlobalCluster", Code: "InternalFailure", Count: 2})
	require.NoError(t, err)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&RetryInterceptor{}}})
	env.RegisterActivity(acts)
	v, err := env.ExecuteActivity(acts.FailoverAurora, foFailoverInput(topo, topology.FailoverGlobal))
	require.NoError(t, err)
	var res struct {
		AuroraFailoverResult
		Retries int `json:"awsRetries"`
	}
	require.NoError(t, v.Get(&res))
	require.Equal(t, ActionStarted, res.Action)
	require.Equal(t, 2, res.Retries)
	require.Len(t, foJournal(sim, "FailoverGlobalCluster"), 1)
}

// TestJitteredBackoff: a retryable error gets the policy's backoff with equal jitter, keeping its type; a
// non-retryable one, or one of the policy's non-retryable types, is left alone.
func TestJitteredBackoff(t *testing.T) {
	p := &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
		NonRetryableErrorTypes: []string{ErrControlPlaneUnreachable}}
	seen := map[time.Duration]bool{}
	for attempt, want := range map[int32]time.Duration{1: time.Second, 3: 4 * time.Second, 5: 16 * time.Second, 9: 30 * time.Second, 300: 30 * time.Second} {
		for range 20 {
			err := jittered(temporal.NewApplicationError("rds:FailoverGlobalCluster: InternalFailure", "InternalFailure"), attempt, p)
			var ae *temporal.ApplicationError
			require.True(t, errors.As(err, &ae))
			require.Equal(t, "InternalFailure", ae.Type())
			require.False(t, ae.NonRetryable())
			d := ae.NextRetryDelay()
			require.GreaterOrEqual(t, d, want/2, "attempt %d", attempt)
			require.LessOrEqual(t, d, want, "attempt %d", attempt)
			seen[d] = true
		}
	}
	require.Greater(t, len(seen), 10, "the delays are jittered")
	final := temporal.NewNonRetryableApplicationError("AccessDenied", "AccessDenied", nil)
	require.Same(t, final, jittered(final, 1, p))
	cp := temporal.NewApplicationError("no answer", ErrControlPlaneUnreachable)
	require.Same(t, cp, jittered(cp, 1, p))
}

func TestWithRetries(t *testing.T) {
	require.Equal(t, "x", withRetries("x", 3), "not an object: unchanged")
	require.Equal(t, map[string]int{RetriesField: 2}, withRetries(nil, 2))
	got := withRetries(ScanResult{Table: "t", Count: 1}, 4)
	m, ok := got.(map[string]json.RawMessage)
	require.True(t, ok)
	require.JSONEq(t, "4", string(m[RetriesField]))
	require.JSONEq(t, `"t"`, string(m["table"]))
	same := ScanResult{Table: "t"}
	require.Equal(t, same, withRetries(same, 0))
}
