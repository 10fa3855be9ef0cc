package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
)

// The three classes of activity options. Describe calls are cheap reads retried quickly; mutating calls get
// longer and back off further, since AWS throttles writes first; waits poll until a state is reached and
// heartbeat their progress.

func describeCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second, MaximumAttempts: 5},
	})
}

// probeCtx is describeCtx for a read whose failure to reach the control plane is itself the finding, as
// Route 53's API (in us-east-1) during the outage being assessed: that answer comes on the first attempt,
// since the step has a data-plane fallback and retrying would only hold the critical path (at awssim's
// time scales, for modeled minutes). Throttling and other errors retry as describe calls do.
func probeCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second, MaximumAttempts: 5,
			NonRetryableErrorTypes: []string{activities.ErrControlPlaneUnreachable}},
	})
}

// stormAttempts lets a mutating call or a wait ride out a storm of AWS's transient errors (throttling, 5xx,
// no answer) without an operator, as AWS advises: backoffs of 1, 2, 4, 8, 16 s and then 30 s, each with
// equal jitter (activities.RetryInterceptor), add up to at least 165 s over 15 retries, each attempt also
// retried by the SDK. An error classified non-retryable still ends the activity at its first attempt.
const stormAttempts = 16

// controlPlaneAttempts bounds a write to a control plane that the outage itself may have taken down (Route
// 53's, in us-east-1): a few quick retries for a blip, then the step explains the ways out.
const controlPlaneAttempts = 5

func mutateCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: stormAttempts},
	})
}

// waitCtx is for activities that poll until AWS reaches a state; heartbeats carry progress so a retried
// attempt (or a replacement worker) resumes instead of starting over.
func waitCtx(ctx workflow.Context, summary string, timeout time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout, HeartbeatTimeout: 30 * time.Second, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: stormAttempts},
	})
}

// runAct runs one activity with the options of actx and decodes its result into out, waiting on ctx (a
// branch of r.parallel must wait on its own context).
func runAct(ctx workflow.Context, actx workflow.Context, fn, in, out any) error {
	return workflow.ExecuteActivity(actx, fn, in).Get(ctx, out)
}
