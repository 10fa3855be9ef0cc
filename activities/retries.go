package activities

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awsclient"
)

// RetriesField is the key the retry interceptor adds to an activity's JSON result: how many retries (the
// activity's earlier Temporal attempts, and the SDK's retries within the attempt that succeeded) it took.
// The workflow reads it back into the step's record; results that are not JSON objects go without.
const RetriesField = "awsRetries"

// RetryInterceptor is the worker interceptor that counts retries into results and jitters the backoff.
type RetryInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (RetryInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &retryInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}}
}

type retryInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (r *retryInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	ctx = awsclient.WithRetryTally(ctx)
	res, err := r.Next.ExecuteActivity(ctx, in)
	info := activity.GetInfo(ctx)
	if err != nil {
		return res, jittered(err, info.Attempt, info.RetryPolicy)
	}
	return withRetries(res, int(info.Attempt)-1+awsclient.Retries(ctx)), nil
}

// jittered sets a retryable error's next retry delay to the policy's exponential backoff with equal jitter
// (half fixed, half random): Temporal's own backoff is exact, so workers that failed together in a storm
// would otherwise retry together when AWS recovers, and be throttled together again. The error's type is
// kept, so the policy's non-retryable types still match.
func jittered(err error, attempt int32, p *temporal.RetryPolicy) error {
	var ae *temporal.ApplicationError
	if p == nil || !errors.As(err, &ae) || ae.NonRetryable() || ae.HasDetails() || ae.NextRetryDelay() != 0 ||
		slices.Contains(p.NonRetryableErrorTypes, ae.Type()) {
		return err
	}
	d := backoff(attempt, p)
	if d <= 0 {
		return err
	}
	d = d/2 + rand.N(d/2+1)
	return temporal.NewApplicationErrorWithOptions(ae.Message(), ae.Type(), temporal.ApplicationErrorOptions{NextRetryDelay: d, Cause: errors.Unwrap(ae)})
}

// backoff is the policy's delay after the attempt-th failure, as Temporal computes it.
func backoff(attempt int32, p *temporal.RetryPolicy) time.Duration {
	initial, coef, max := p.InitialInterval, p.BackoffCoefficient, p.MaximumInterval
	if initial <= 0 {
		initial = time.Second
	}
	if coef < 1 {
		coef = 2
	}
	if max <= 0 {
		max = 100 * initial
	}
	d := float64(initial) * math.Pow(coef, float64(attempt-1))
	if d > float64(max) || math.IsInf(d, 0) || math.IsNaN(d) {
		return max
	}
	return time.Duration(d)
}

// withRetries adds RetriesField to a JSON-object result (or makes one of a nil result); anything else, and
// a result that already has the key, is returned as it was.
func withRetries(res any, n int) any {
	if n <= 0 {
		return res
	}
	if res == nil {
		return map[string]int{RetriesField: n}
	}
	b, err := json.Marshal(res)
	if err != nil || len(b) == 0 || b[0] != '{' {
		return res
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return res
	}
	if _, taken := m[RetriesField]; taken {
		return res
	}
	m[RetriesField] = json.RawMessage(strconv.Itoa(n))
	return m
}
