package workflows

import (
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// StepRetries is the worker interceptor that lets a step count the retries its activities rode out: each
// activity scheduled within a step is remembered in the step's context, and the step reads their results'
// activities.RetriesField when it ends. It adds no command, so histories and replay are unchanged; a
// replayer without it only leaves the counts at zero.
type StepRetries struct {
	interceptor.WorkerInterceptorBase
}

func (StepRetries) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &retriesInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type retriesInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (r *retriesInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return r.Next.Init(&retriesOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}})
}

type retriesOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (o *retriesOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	f := o.Next.ExecuteActivity(ctx, activityType, args...)
	if t, _ := ctx.Value(stepTallyKey{}).(*stepTally); t != nil {
		t.futures = append(t.futures, f)
	}
	return f
}

type stepTallyKey struct{}

// stepTally holds the futures of a step's activities. The futures are read only once ready, so counting
// never blocks and never waits for an activity the step has left behind.
type stepTally struct{ futures []workflow.Future }

// retries sums the retries of the step's completed activities; ctx is the step's coroutine's.
func (t *stepTally) retries(ctx workflow.Context) int {
	n := 0
	for _, f := range t.futures {
		if !f.IsReady() {
			continue
		}
		var r struct {
			N int `json:"awsRetries"` // activities.RetriesField
		}
		if f.Get(ctx, &r) == nil {
			n += r.N
		}
	}
	return n
}
