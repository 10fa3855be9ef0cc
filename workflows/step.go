package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// stepOpts describe a timeline step.
type stepOpts struct {
	// Critical steps cannot be skipped by an operator.
	Critical bool
	// Budget is the runbook's time budget for the step; by default the scenario's budget of that name.
	Budget time.Duration
	// NoPause ends a failed step as failed instead of pausing it for an operator: for work that a later
	// step repeats and pauses on, such as the preparation before a gate.
	NoPause bool
}

// step runs fn as a timeline row. A failure pauses the step in awaiting-operator until an operator
// retries, skips (non-critical only) or aborts it; the run is not failed by one step's error.
func (r *run) step(name, title string, o stepOpts, fn func(ctx workflow.Context) error) error {
	return r.stepIn(r.ctx, name, title, o, fn)
}

// stepIn is step for a branch of r.parallel: blocking calls must use the branch's own context, since a
// workflow coroutine cannot wait on another coroutine's context.
func (r *run) stepIn(ctx workflow.Context, name, title string, o stepOpts, fn func(ctx workflow.Context) error) error {
	if o.Budget == 0 {
		o.Budget = r.scenario.Budgets[name]
	}
	r.status.Steps = append(r.status.Steps, StepRecord{Name: name, Title: title, Critical: o.Critical, Started: workflow.Now(ctx),
		Outcome: OutcomeRunning, Attempts: 1, Budget: o.Budget})
	idx := len(r.status.Steps) - 1
	rec := func() *StepRecord { return &r.status.Steps[idx] }
	r.status.CurrentStep = name
	r.publish()
	tally := &stepTally{}
	ctx = workflow.WithValue(ctx, stepTallyKey{}, tally)
	finish := func(outcome string) {
		rec().Outcome, rec().Ended = outcome, workflow.Now(ctx)
		rec().Retries = tally.retries(ctx)
		r.metricStep(ctx, *rec())
		r.publish()
	}
	for {
		err := fn(ctx)
		if err == nil {
			rec().Error = ""
			finish(OutcomeOK)
			return nil
		}
		if temporal.IsCanceledError(err) || ctx.Err() != nil {
			rec().Error = "cancelled"
			finish(OutcomeAborted)
			return err
		}
		if errors.Is(err, errAborted) {
			finish(OutcomeAborted)
			return err
		}
		rec().Error = errMessage(err)
		if o.NoPause {
			finish(OutcomeFailed)
			return err
		}
		r.status.LastError = fmt.Sprintf("%s: %s", name, rec().Error)
		action, werr := r.awaitOperator(ctx, name, rec().Error)
		if werr != nil {
			finish(OutcomeAborted)
			return werr
		}
		switch action.Action {
		case "retry":
			rec().Attempts++
			r.note(fmt.Sprintf("step %s retried by %s", name, orUnknown(action.Operator)))
			continue
		case "skip":
			r.note(fmt.Sprintf("step %s skipped by %s after: %s", name, orUnknown(action.Operator), rec().Error))
			finish(OutcomeSkipped)
			return nil
		default:
			r.note(fmt.Sprintf("step %s aborted by %s after: %s", name, orUnknown(action.Operator), rec().Error))
			finish(OutcomeAborted)
			return errAborted
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "an operator"
	}
	return s
}

// errMessage unwraps Temporal's activity error wrapper to the AWS message an operator can act on.
func errMessage(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		if ae.Type() != "" {
			return fmt.Sprintf("%s: %s", ae.Type(), ae.Message())
		}
		return ae.Message()
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return "timeout: " + te.Error()
	}
	return err.Error()
}

// awaitOperator pauses a failed step and re-notifies at each escalation interval until a decision comes.
func (r *run) awaitOperator(ctx workflow.Context, step, msg string) (OperatorAction, error) {
	r.status.PausedSteps = append(r.status.PausedSteps, step)
	r.setPhase(PhaseAwaitingOperator)
	r.notifyIn(ctx, fmt.Sprintf("%s paused: step %s failed", r.status.Workflow, step),
		fmt.Sprintf("Step %s failed after its retries: %s\nSignal `operator` with {\"action\":\"retry|skip|abort\",\"step\":%q}.", step, msg, step))
	interval := r.common.Topology.Approvals.EscalationInterval.D()
	for n := 1; ; n++ {
		ok, err := r.awaitNamed(ctx, interval, fmt.Sprintf("step %s paused for an operator: reminder %d", step, n), func() bool { _, d := r.operator[step]; return d })
		if err != nil {
			r.unpause(step)
			return OperatorAction{}, err
		}
		if ok {
			break
		}
		r.publish() // elapsed time stays honest on the page while the step waits
		r.notifyIn(ctx, fmt.Sprintf("%s still paused: step %s", r.status.Workflow, step), "Still waiting for an operator decision: "+msg)
	}
	action := r.operator[step]
	delete(r.operator, step)
	r.unpause(step)
	return action, nil
}

func (r *run) unpause(step string) {
	r.status.PausedSteps = slices.DeleteFunc(r.status.PausedSteps, func(s string) bool { return s == step })
	if len(r.status.PausedSteps) == 0 && r.status.PendingGate == nil {
		r.status.Phase = PhaseRunning
	}
	r.publish()
}
