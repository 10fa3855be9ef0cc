package starter

import (
	"context"
	"fmt"

	"github.com/roadcall/dr/workflows"
)

// operatorCmd: starter operator --workflow-id ID --action retry|skip|abort [--step S] [--operator WHO]
func operatorCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "operator")
	id := f.String("workflow-id", "", "workflow ID")
	action := f.String("action", "", "retry, skip (non-critical steps only) or abort")
	step := f.String("step", "", "the paused step (may be omitted when only one is paused)")
	by := f.String("operator", whoami(), "who decides (recorded in the run)")
	comment := f.String("comment", "", "why (recorded in the run)")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := require("workflow-id", *id, "action", *action); err != nil {
		return err
	}
	if *action != "retry" && *action != "skip" && *action != "abort" {
		return badInput("--action %q: want retry, skip or abort", *action)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	msg, err := update(ctx, c, *id, workflows.SignalOperator, workflows.OperatorAction{Action: *action, Step: *step, Operator: *by, Comment: *comment})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "%s (workflow %s)\n", msg, *id)
	return nil
}
