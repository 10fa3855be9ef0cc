package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// The outage watch starts RegionFailover through the Temporal client rather than as a child workflow: a
// child would be tied to the watch (its continue-as-new, its cancellation), and a failover must outlive
// whatever started it.

// memoStartedBy is the memo key that marks a run as started by one particular request, so a retried start
// that finds the run already going can tell its own run from someone else's.
const memoStartedBy = "startedBy"

// RunsInput names the workflow IDs whose latest runs are wanted.
type RunsInput struct {
	WorkflowIDs []string `json:"workflowIds"`
}

// RunState is the latest run under one workflow ID.
type RunState struct {
	WorkflowID string `json:"workflowId"`
	// Exists is false when the ID has never been used (or its runs are past retention).
	Exists       bool      `json:"exists"`
	RunID        string    `json:"runId,omitempty"`
	WorkflowType string    `json:"workflowType,omitempty"`
	Status       string    `json:"status,omitempty"`
	Running      bool      `json:"running"`
	StartTime    time.Time `json:"startTime,omitzero"`
	CloseTime    time.Time `json:"closeTime,omitzero"`
}

// RunsResult lists the RunStates in the order asked.
type RunsResult struct {
	Runs []RunState `json:"runs"`
}

// DescribeRuns describes the latest run of each workflow ID: strongly consistent, unlike a visibility
// query, which may not list a run that started a second ago.
func (a *Activities) DescribeRuns(ctx context.Context, in RunsInput) (RunsResult, error) {
	if a.Temporal == nil {
		return RunsResult{}, temporal.NewNonRetryableApplicationError("the worker has no Temporal client to describe runs with", "NoTemporalClient", nil)
	}
	out := RunsResult{Runs: []RunState{}}
	for _, id := range in.WorkflowIDs {
		st, err := a.describeRun(ctx, id)
		if err != nil {
			return RunsResult{}, err
		}
		out.Runs = append(out.Runs, st)
	}
	return out, nil
}

func (a *Activities) describeRun(ctx context.Context, id string) (RunState, error) {
	st := RunState{WorkflowID: id}
	resp, err := a.Temporal.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("describe workflow %s: %w", id, err)
	}
	info := resp.GetWorkflowExecutionInfo()
	st.Exists = true
	st.RunID = info.GetExecution().GetRunId()
	st.WorkflowType = info.GetType().GetName()
	st.Status = info.GetStatus().String()
	st.Running = info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING
	if t := info.GetStartTime(); t != nil {
		st.StartTime = t.AsTime()
	}
	if t := info.GetCloseTime(); t != nil && !st.Running {
		st.CloseTime = t.AsTime()
	}
	return st, nil
}

// StartRunInput starts one workflow under a fixed ID.
type StartRunInput struct {
	WorkflowID   string `json:"workflowId"`
	WorkflowType string `json:"workflowType"`
	TaskQueue    string `json:"taskQueue"`
	Summary      string `json:"summary,omitempty"`
	// Request is the workflow's argument as JSON: activities cannot import the workflows' types.
	Request json.RawMessage `json:"request"`
	// Token is unique to this start (the caller's run and evaluation): a retried attempt that finds a run
	// carrying it knows the run is its own.
	Token string `json:"token"`
}

// StartRunResult says whether the run was started by this request, or what holds the ID.
type StartRunResult struct {
	Started bool   `json:"started"`
	RunID   string `json:"runId,omitempty"`
	// Holder is the run already going under the ID when Started is false.
	Holder *RunState `json:"holder,omitempty"`
}

// StartRun starts the workflow unless a run already holds its ID. Idempotent: the run a previous attempt
// started is recognised by its memo and reported as started.
func (a *Activities) StartRun(ctx context.Context, in StartRunInput) (StartRunResult, error) {
	if a.Temporal == nil {
		return StartRunResult{}, temporal.NewNonRetryableApplicationError("the worker has no Temporal client to start runs with", "NoTemporalClient", nil)
	}
	run, err := a.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: in.WorkflowID, TaskQueue: in.TaskQueue, StaticSummary: in.Summary,
		WorkflowExecutionErrorWhenAlreadyStarted: true, Memo: map[string]any{memoStartedBy: in.Token},
	}, in.WorkflowType, in.Request)
	if err == nil {
		return StartRunResult{Started: true, RunID: run.GetRunID()}, nil
	}
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &already) {
		return StartRunResult{}, fmt.Errorf("start workflow %s: %w", in.WorkflowID, err)
	}
	resp, err := a.Temporal.DescribeWorkflowExecution(ctx, in.WorkflowID, "")
	if err != nil {
		return StartRunResult{}, fmt.Errorf("describe workflow %s, already started: %w", in.WorkflowID, err)
	}
	info := resp.GetWorkflowExecutionInfo()
	var token string
	if p := info.GetMemo().GetFields()[memoStartedBy]; p != nil {
		memos := a.Memos
		if memos == nil {
			memos = converter.GetDefaultDataConverter()
		}
		_ = memos.FromPayload(p, &token)
	}
	if token == in.Token && in.Token != "" {
		return StartRunResult{Started: true, RunID: info.GetExecution().GetRunId()}, nil
	}
	holder, err := a.describeRun(ctx, in.WorkflowID)
	if err != nil {
		return StartRunResult{}, err
	}
	return StartRunResult{Holder: &holder}, nil
}
