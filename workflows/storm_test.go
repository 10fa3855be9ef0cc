package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/roadcall/dr/activities"
)

func withRetryInterceptors(s *failoverFake) {
	s.env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&activities.RetryInterceptor{}, &StepRetries{}}})
}

// TestFailoverRidesOutAStormOnItsMutatingStep: 15 InternalFailures in a row on the Aurora failover (over
// 165 s of jittered backoff) are retried without an operator, and the database step counts them.
func TestFailoverRidesOutAStormOnItsMutatingStep(t *testing.T) {
	s := newFailoverFake(t)
	withRetryInterceptors(s)
	s.transient["FailoverAurora"] = stormAttempts - 1
	var paused []string
	s.env.RegisterDelayedCallback(func() { paused = append(paused, s.status().PausedSteps...) }, 2*time.Minute)
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Empty(t, paused, "no operator was asked")
	require.Equal(t, stormAttempts, s.count("FailoverAurora"))
	db := rep.Steps[2]
	require.Equal(t, "database", db.Name)
	require.Equal(t, OutcomeOK, db.Outcome)
	require.Equal(t, 1, db.Attempts, "no operator retry")
	require.Equal(t, stormAttempts-1, db.Retries)
	require.GreaterOrEqual(t, db.Duration(), 165*time.Second, "the backoff spans the storm")
}

// TestFailoverStormLongerThanTheRetriesPauses: past its attempts, the step pauses for an operator as before.
func TestFailoverStormLongerThanTheRetriesPauses(t *testing.T) {
	s := newFailoverFake(t)
	withRetryInterceptors(s)
	s.transient["FailoverAurora"] = stormAttempts
	s.signal(2*time.Hour, SignalOperator, OperatorAction{Action: "retry", Step: "database", Operator: "alice"})
	var paused Status
	s.env.RegisterDelayedCallback(func() { paused = s.status() }, time.Hour)
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, []string{"database"}, paused.PausedSteps)
	require.Contains(t, paused.LastError, "InternalFailure")
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Equal(t, 2, rep.Steps[2].Attempts)
}

// TestFailoverNonRetryableErrorPausesAtOnce: AccessDenied is not retried by Temporal: one call, then a pause.
func TestFailoverNonRetryableErrorPausesAtOnce(t *testing.T) {
	s := newFailoverFake(t)
	withRetryInterceptors(s)
	s.fail["FailoverAurora"] = 1
	var paused Status
	var calls int
	s.env.RegisterDelayedCallback(func() { paused, calls = s.status(), s.count("FailoverAurora") }, 10*time.Minute)
	s.signal(20*time.Minute, SignalOperator, OperatorAction{Action: "retry", Step: "database", Operator: "alice"})
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, []string{"database"}, paused.PausedSteps)
	require.Equal(t, 1, calls, "a non-retryable error is not retried")
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Zero(t, rep.Steps[2].Retries)
}
