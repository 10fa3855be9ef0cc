package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names for the Temporal UI's timeline (version uiNames). Before uiNames a run's timers carried the SDK's
// own summaries ("AwaitWithTimeout", "Sleep", none for NewTimer) and a drill's children no memo or
// search attribute; those runs must replay with the same command attributes, so every name below falls
// back to what the SDK would have written.

// sdkAwait and sdkSleep are the summaries the SDK gives AwaitWithTimeout's and Sleep's timers.
const (
	sdkAwait = "AwaitWithTimeout"
	sdkSleep = "Sleep"
)

// timerName is the summary of a timer: summary from uiNames on, the SDK's default before it.
func (r *run) timerName(sdkDefault, summary string) workflow.TimerOptions {
	if r.names {
		return workflow.TimerOptions{Summary: summary}
	}
	return workflow.TimerOptions{Summary: sdkDefault}
}

// awaitNamed is AwaitWithTimeout with a named timer.
func (r *run) awaitNamed(ctx workflow.Context, d time.Duration, summary string, cond func() bool) (bool, error) {
	return workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: d, TimerOptions: r.timerName(sdkAwait, summary)}, cond)
}

// sleepNamed is Sleep with a named timer.
func (r *run) sleepNamed(ctx workflow.Context, d time.Duration, summary string) error {
	return workflow.NewTimerWithOptions(ctx, d, r.timerName(sdkSleep, summary)).Get(ctx, nil)
}

// escalations is how many escalation intervals fit in a wait (the last one may be shorter).
func escalations(wait, interval time.Duration) int {
	if interval <= 0 {
		return 1
	}
	return int((wait + interval - 1) / interval)
}

// ChildRun is a child workflow a run started, linked from its current details and status.
type ChildRun struct {
	Step       string `json:"step"`
	Workflow   string `json:"workflow"`
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId,omitempty"`
}

// childOptions names a drill's child in the UI: its static summary and details, and (uiNames) the
// drill's workflow ID in the child's memo and DRParentDrill search attribute, so `workflow list` tells a
// drill's runs from manual ones.
func (d *drill) childOptions(ctx workflow.Context, id, summary, details string) workflow.ChildWorkflowOptions {
	o := workflow.ChildWorkflowOptions{WorkflowID: id, TaskQueue: TaskQueue, StaticSummary: summary, WaitForCancellation: true}
	if !d.r.names {
		return o
	}
	parent := workflow.GetInfo(ctx).WorkflowExecution.ID
	o.StaticDetails = fmt.Sprintf("%s\n\nStarted by the drill `%s` (%s).", details, parent, d.t.ID())
	o.Memo = map[string]any{MemoParentDrill: parent}
	o.TypedSearchAttributes = temporal.NewSearchAttributes(SAParentDrill.ValueSet(parent))
	return o
}

// linkChild records a started child on the status, so the drill's current details link it.
func (r *run) linkChild(step, wf string, exec workflow.Execution) {
	if !r.names {
		return
	}
	r.status.Children = append(r.status.Children, ChildRun{Step: step, Workflow: wf, WorkflowID: exec.ID, RunID: exec.RunID})
	r.publish()
}

// childLines are the current details' links to the children: the Temporal UI page of each, by workflow
// ID, relative to the UI's root so it works whatever host serves it.
func childLines(ns string, cs []ChildRun) string {
	if len(cs) == 0 {
		return ""
	}
	s := "\nChildren:\n"
	for _, c := range cs {
		s += fmt.Sprintf("- %s (`%s`): [%s](/namespaces/%s/workflows/%s/%s/history)\n", c.Workflow, c.Step, c.WorkflowID, ns, c.WorkflowID, c.RunID)
	}
	return s
}
