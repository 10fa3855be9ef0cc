package awsclient

import (
	"context"
	"sync/atomic"

	"github.com/aws/smithy-go/middleware"
)

// retryTally counts one activity attempt's SDK calls and their HTTP attempts: the difference is how often
// the SDK's retryer retried a throttled, 5xx or dropped call before answering.
type retryTally struct{ calls, attempts atomic.Int64 }

type retryTallyKey struct{}

// WithRetryTally returns a context whose SDK calls are counted for Retries.
func WithRetryTally(ctx context.Context) context.Context {
	return context.WithValue(ctx, retryTallyKey{}, &retryTally{})
}

// Retries is how many times the SDK retried calls made with ctx (from WithRetryTally) so far.
func Retries(ctx context.Context) int {
	t, _ := ctx.Value(retryTallyKey{}).(*retryTally)
	if t == nil {
		return 0
	}
	return int(t.attempts.Load() - t.calls.Load())
}

// countRetries counts each call once in Initialize and each HTTP attempt after the retryer in Finalize.
// A stack without the retryer (a presigner's) counts its single attempt the same way, so it adds nothing.
func countRetries(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RoadcallCountCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if t, _ := ctx.Value(retryTallyKey{}).(*retryTally); t != nil {
				t.calls.Add(1)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before); err != nil {
		return err
	}
	attempt := middleware.FinalizeMiddlewareFunc("RoadcallCountAttempt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if t, _ := ctx.Value(retryTallyKey{}).(*retryTally); t != nil {
				t.attempts.Add(1)
			}
			return next.HandleFinalize(ctx, in)
		})
	if _, ok := stack.Finalize.Get("Retry"); ok {
		return stack.Finalize.Insert(attempt, "Retry", middleware.After)
	}
	return stack.Finalize.Add(attempt, middleware.Before)
}
