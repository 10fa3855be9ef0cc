package activities

import (
	"context"
	"fmt"

	"github.com/roadcall/dr/internal/policy"
)

// PolicyInput names the platform and stage whose policy a run reads.
type PolicyInput struct {
	Platform string `json:"platform"`
	Stage    string `json:"stage"`
}

// PolicyResult is the worker's policy for a platform's stage, recorded in the run's history so that replay
// needs no file. Loaded false says why in Problem.
type PolicyResult struct {
	Loaded  bool          `json:"loaded"`
	Source  string        `json:"source,omitempty"`
	Policy  policy.Policy `json:"policy,omitzero"`
	Problem string        `json:"problem,omitempty"`
}

// LoadPolicy answers from the policy the worker loaded at its start. No policy, or none for the stage, is
// an answer: the workflow decides whether it may run without one.
func (a *Activities) LoadPolicy(_ context.Context, in PolicyInput) (PolicyResult, error) {
	if a.Policy == nil {
		return PolicyResult{Problem: fmt.Sprintf("the worker runs without a policy; start it with --policy FILE or %s=FILE (see examples/policy-local.json)", policy.EnvVar)}, nil
	}
	p, err := a.Policy.For(in.Platform, in.Stage)
	if err != nil {
		return PolicyResult{Source: a.PolicySource, Problem: fmt.Sprintf("%v (policy %s)", err, a.PolicySource)}, nil
	}
	return PolicyResult{Loaded: true, Source: a.PolicySource, Policy: p}, nil
}

// ParentInput names a run's parent execution.
type ParentInput struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

// ParentResult is what the server says the parent is.
type ParentResult struct {
	WorkflowType string `json:"workflowType"`
	Running      bool   `json:"running"`
}

// DescribeParent asks the Temporal server which workflow type the parent execution is: a child may
// auto-approve only when an allowed DRDrill started it, and only the server, not the request, can say so.
func (a *Activities) DescribeParent(ctx context.Context, in ParentInput) (ParentResult, error) {
	if a.Temporal == nil {
		return ParentResult{}, refuse("NoTemporalClient", "the worker's activities have no Temporal client to describe parent %s", in.WorkflowID)
	}
	d, err := a.Temporal.DescribeWorkflowExecution(ctx, in.WorkflowID, in.RunID)
	if err != nil {
		return ParentResult{}, fmt.Errorf("describe parent workflow %s: %w", in.WorkflowID, err)
	}
	info := d.GetWorkflowExecutionInfo()
	return ParentResult{WorkflowType: info.GetType().GetName(), Running: info.GetCloseTime() == nil}, nil
}
