package starter

import (
	"context"
	"fmt"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/workflows"
)

// A scheduled evaluation simulates the worker's own identity and reads its previous result from the
// visibility store: a Schedule's action carries the same arguments every run.
func init() {
	schedulable["evaluation"] = func(c workflows.Common) (any, any) {
		return workflows.PlanEvaluation, workflows.EvaluationRequest{Common: c}
	}
}

// evaluationCmd: starter evaluation --topology FILE [--principal ARN] [--wait=false]
func evaluationCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "evaluation")
	wait := f.Bool("wait", true, "watch the run and print the report; --wait=false only starts it")
	principal := f.String("principal", "", "IAM role or user ARN to simulate (default: the worker's own identity)")
	sf := f.starting("who starts the evaluation (recorded in the run)")
	if err := f.parse(args); err != nil {
		return err
	}
	topo, cm, err := sf.common()
	if err != nil {
		return err
	}
	req := workflows.EvaluationRequest{Common: cm, Principal: *principal}
	if err := req.Validate(); err != nil {
		return badInput("%v", err)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := e.start(ctx, c, e.runID(workflows.ScenarioEvaluation, topo), "DR plan evaluation for "+topo.ID(), workflows.PlanEvaluation, &req)
	if err != nil {
		return err
	}
	if !*wait {
		return nil
	}
	var rep workflows.EvaluationReport
	if err := e.await(ctx, c, run, &rep); err != nil {
		return err
	}
	fmt.Fprintln(e.Out)
	render.Evaluation(e.Out, topo.ID(), run.GetID(), rep)
	if rep.Fail > 0 {
		return failed("%d plan evaluation check(s) failed for %s", rep.Fail, topo.ID())
	}
	return nil
}
