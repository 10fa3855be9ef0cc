package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
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

func mutateCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5},
	})
}

// waitCtx is for activities that poll until AWS reaches a state; heartbeats carry progress so a retried
// attempt (or a replacement worker) resumes instead of starting over.
func waitCtx(ctx workflow.Context, summary string, timeout time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout, HeartbeatTimeout: 30 * time.Second, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
	})
}

// runAct runs one activity with the options of actx and decodes its result into out, waiting on ctx (a
// branch of r.parallel must wait on its own context).
func runAct(ctx workflow.Context, actx workflow.Context, fn, in, out any) error {
	return workflow.ExecuteActivity(actx, fn, in).Get(ctx, out)
}
