package drworker

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/workflows"
)

// Activities builds the activities' AWS clients. With zero Options they come from the standard
// environment (AWS_ENDPOINT_URL, AWS_REGION, credentials), so real AWS, LocalStack and awssim differ only there.
func Activities(ctx context.Context, opts awsclient.Options) (*activities.Activities, error) {
	f, err := awsclient.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	return activities.New(f), nil
}

// New creates a worker on the roadcall-dr task queue with every workflow and activity registered.
// stopTimeout is how long Stop lets running activities finish before cancelling them.
func New(c client.Client, acts *activities.Activities, stopTimeout time.Duration) worker.Worker {
	if acts.Temporal == nil {
		acts.Temporal = c
	}
	w := worker.New(c, workflows.TaskQueue, worker.Options{WorkerStopTimeout: stopTimeout,
		Interceptors: []interceptor.WorkerInterceptor{&activities.RetryInterceptor{}, &workflows.StepRetries{}}})
	Register(w, acts)
	return w
}

// Run runs a worker until ctx is done, then stops it.
func Run(ctx context.Context, c client.Client, acts *activities.Activities, stopTimeout time.Duration) error {
	w := New(c, acts, stopTimeout)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", workflows.TaskQueue, err)
	}
	<-ctx.Done()
	w.Stop()
	return nil
}
