package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"
)

// LastRunQuery finds the newest completed run of a workflow type whose ID starts with a prefix, from the
// visibility store (eventually consistent: a run that closed a second ago may not be listed yet, which for
// a half-hourly schedule or a quarterly drill does not matter).
type LastRunQuery struct {
	WorkflowType string `json:"workflowType"`
	IDPrefix     string `json:"idPrefix"`
	// ExcludeRunID leaves out the caller's own run.
	ExcludeRunID string `json:"excludeRunId,omitempty"`
	// Outcome, when set, also requires the DROutcome search attribute (a drill that was aborted or rejected
	// completes its workflow, but drilled nothing).
	Outcome string `json:"outcome,omitempty"`
	// WithResult also fetches the run's result (the last event of its history) as JSON.
	WithResult bool `json:"withResult,omitempty"`
}

// LastRun is the run found, or Found false.
type LastRun struct {
	Found      bool            `json:"found"`
	WorkflowID string          `json:"workflowId,omitempty"`
	RunID      string          `json:"runId,omitempty"`
	CloseTime  time.Time       `json:"closeTime,omitzero"`
	Result     json.RawMessage `json:"result,omitempty"`
}

// LastCompletedRun lists the type's completed runs under the prefix, newest close first, and returns the
// first that is not the caller's own.
func (a *Activities) LastCompletedRun(ctx context.Context, in LastRunQuery) (LastRun, error) {
	if a.Temporal == nil {
		return LastRun{}, temporal.NewNonRetryableApplicationError("the worker has no Temporal client to read the visibility store with", "NoTemporalClient", nil)
	}
	q := fmt.Sprintf("WorkflowType = %q AND ExecutionStatus = 'Completed' AND WorkflowId STARTS_WITH %q", in.WorkflowType, in.IDPrefix)
	if in.Outcome != "" {
		q += fmt.Sprintf(" AND DROutcome = %q", in.Outcome)
	}
	resp, err := a.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, PageSize: 5})
	if err != nil {
		return LastRun{}, fmt.Errorf("list %s runs (%s): %w", in.WorkflowType, q, err)
	}
	// Visibility lists closed runs newest first; SQL stores do not take ORDER BY, so compare close times too.
	var best LastRun
	for _, e := range resp.GetExecutions() {
		id, run := e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId()
		if run == in.ExcludeRunID {
			continue
		}
		ct := e.GetCloseTime().AsTime()
		if !best.Found || ct.After(best.CloseTime) {
			best = LastRun{Found: true, WorkflowID: id, RunID: run, CloseTime: ct}
		}
	}
	if !best.Found || !in.WithResult {
		return best, nil
	}
	var raw json.RawMessage
	if err := a.Temporal.GetWorkflow(ctx, best.WorkflowID, best.RunID).Get(ctx, &raw); err != nil {
		return LastRun{}, fmt.Errorf("read the result of %s/%s: %w", best.WorkflowID, best.RunID, err)
	}
	best.Result = raw
	return best, nil
}
