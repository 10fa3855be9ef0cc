package starter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/identity"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/workflows"
)

// approveCmd: starter approve --workflow-id ID --gate NAME [--approver WHO] [--reject] [--comment TEXT]
// [--accept-data-loss] [--value V] [--print-token]. The approval carries a token made with the approver's
// own AWS credentials (profile, SSO or keys): a presigned sts:GetCallerIdentity bound to this run, gate and
// decision, which the workflow sends to STS to learn who approves. It uses the approve UPDATE rather than
// the signal so that the workflow's refusal (a token that proves nobody allowed, the two-person rule, a
// gate not pending, data loss not acknowledged) reaches the operator instead of being silently ignored.
func approveCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "approve")
	id := f.String("workflow-id", "", "workflow ID")
	gate := f.String("gate", "", "gate name (see starter status)")
	approver := f.String("approver", "", "who decides, for a worker whose policy has identity \"names\"; otherwise the proven principal replaces it")
	reject := f.Bool("reject", false, "reject instead of approve: the run stops safely")
	comment := f.String("comment", "", "why (recorded in the run)")
	dataLoss := f.Bool("accept-data-loss", false, "acknowledge that the RPO estimate exceeds the objective")
	value := f.String("value", "", "gate-specific choice, e.g. another restore time (RFC 3339)")
	printToken := f.Bool("print-token", false, "print the approval with its token as JSON for `temporal workflow update execute --name approve --input ...` instead of sending it")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := require("workflow-id", *id, "gate", *gate); err != nil {
		return err
	}
	decision := "approve"
	if *reject {
		decision = "reject"
	}
	ap := workflows.Approval{Gate: *gate, Decision: decision, Approver: *approver, Comment: *comment, AcceptDataLoss: *dataLoss, Value: *value}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	d, err := c.DescribeWorkflowExecution(ctx, *id, "")
	if err != nil {
		return fmt.Errorf("approve on %s: %v (starter status --workflow-id %s)", *id, rootMessage(err), *id)
	}
	if s := d.GetWorkflowExecutionInfo().GetStatus(); s != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return badInput("workflow %s is %s: there is nothing to approve (starter status --workflow-id %s)", *id, (execution{status: s}).statusName(), *id)
	}
	runID := d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	st, err := queryStatus(ctx, c, *id, runID)
	if err != nil {
		return err
	}
	if au := st.Authority; au != nil && au.Identity == policy.IdentitySTS {
		tok, err := e.token(ctx, au.STSRegion, identity.Binding{WorkflowID: *id, RunID: runID, Gate: *gate, Decision: decision})
		if err != nil {
			return badInput("the run's approvals must be proven and no token could be made: %v; give this command your AWS credentials (AWS_PROFILE, SSO or keys)", err)
		}
		ap.Token = &tok
	} else if strings.TrimSpace(*approver) == "" {
		return badInput("--approver is required: the run takes typed names (its worker's policy has identity %q, or it predates the policy)", policy.IdentityNames)
	}
	if *printToken {
		b, err := json.Marshal(ap)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Out, "%s\n", b)
		fmt.Fprintf(e.Err, "send within %s, once: temporal workflow update execute --workflow-id %s --name %s --input '<the JSON above>'\n", identity.DefaultTTL, *id, workflows.UpdateApprove)
		return nil
	}
	msg, err := update(ctx, c, *id, workflows.UpdateApprove, ap)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "%s (workflow %s)\n", msg, *id)
	return nil
}

// update sends an update and waits for its result. A validator's refusal exits 3 with its message.
func update(ctx context.Context, c client.Client, id, name string, arg any) (string, error) {
	uctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted})
	var msg string
	if err == nil {
		err = h.Get(uctx, &msg)
	}
	if err != nil {
		if isRefusal(err) {
			return "", &exitError{ExitRefused, fmt.Errorf("%s on %s: %s", name, id, rootMessage(err))}
		}
		if gone(err) {
			return "", fmt.Errorf("%s on %s: %v: the run is not open (starter status --workflow-id %s)", name, id, rootMessage(err), id)
		}
		return "", fmt.Errorf("%s on %s: %v (is the run still open and a worker running on task queue %s?)", name, id, rootMessage(err), workflows.TaskQueue)
	}
	return msg, nil
}

// isRefusal tells a validator's or handler's refusal (an application failure of the update) from the run
// being gone or unreachable.
func isRefusal(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae)
}

// gone reports a workflow that does not exist or has already closed.
func gone(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
