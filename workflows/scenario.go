package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// scenario describes one workflow to the run machinery: what it is called, the gates approvals may name,
// and the runbook's time budget of each step (reports flag steps over theirs).
type scenario struct {
	Workflow string
	Key      string
	Gates    []string
	Budgets  map[string]time.Duration
	// Drill marks every run of the scenario as an exercise, whatever its request says.
	Drill bool
}

// start is how every scenario begins once its request is valid: the status query, approve and operator
// handlers, the search attributes that let runs be found by scenario, stage and drill, and the worker's
// policy, which the request must not exceed.
func start(ctx workflow.Context, sc scenario, c *Common) (*run, error) {
	r, err := newRun(ctx, sc, c)
	if err != nil {
		return nil, err
	}
	r.names = version(ctx, uiNames) >= 1
	r.upsert(SAScenario.ValueSet(sc.Key), SAStage.ValueSet(c.Topology.Stage), SADrill.ValueSet(c.Drill || sc.Drill))
	r.metricStarted()
	if version(ctx, workerPolicy) >= 1 {
		if err := r.adoptPolicy(ctx); err != nil {
			r.status.Phase, r.status.LastError = PhaseFailed, errMessage(err)
			r.metricFinished(PhaseFailed)
			r.publish()
			return nil, err
		}
	}
	return r, nil
}

// end maps how the run ended to its phase and, when it did not complete, pages with story(phase): what
// was done before it stopped, so whoever picks it up knows what AWS looks like now. A nil story pages
// nothing (the scenario pages itself).
func (r *run) end(ctx workflow.Context, err error, story func(phase string) string) string {
	phase := r.settle(ctx, err)
	if phase != PhaseCompleted && story != nil {
		r.notify(fmt.Sprintf("%s %s %s", r.status.Workflow, r.common.Topology.ID(), phase), story(phase))
	}
	return phase
}

// settle maps how a run ended to its phase. A cancelled run moves to a disconnected context, because its
// own is cancelled and compensation, the report and the last notification must still go out.
func (r *run) settle(ctx workflow.Context, err error) string {
	phase := outcomeOf(ctx, err)
	if phase == PhaseCancelled {
		r.ctx, _ = workflow.NewDisconnectedContext(ctx)
		r.note("run cancelled; it stopped at the first safe point")
	}
	return phase
}

// outcomeOf maps how a run ended to its phase.
func outcomeOf(ctx workflow.Context, err error) string {
	switch {
	case err == nil:
		return PhaseCompleted
	case temporal.IsCanceledError(err) || ctx.Err() != nil:
		return PhaseCancelled
	case errors.Is(err, errAborted):
		return PhaseAborted
	}
	return PhaseFailed
}

// finish sets the final phase, outcome attributes and UI details.
func (r *run) finish(phase string, rto time.Duration) {
	r.status.Phase = phase
	r.status.CurrentStep = ""
	ups := []temporal.SearchAttributeUpdate{SAOutcome.ValueSet(phase)}
	if rto > 0 {
		ups = append(ups, SARTOSeconds.ValueSet(int64(rto.Seconds())))
	}
	r.upsert(ups...)
	r.metricFinished(phase)
	r.metricRTO(rto)
	r.publish()
}

// summary captures the run for its report.
func (r *run) summary(outcome string) RunSummary {
	s := r.snapshot()
	return RunSummary{Workflow: s.Workflow, Outcome: outcome, StartedAt: s.StartedAt, DetectedAt: s.DetectedAt, EndedAt: workflow.Now(r.ctx),
		Steps: s.Steps, Approvals: s.Approvals, Notes: s.Notes, Ignored: s.Ignored, IgnoredDropped: s.IgnoredDropped, NotesDropped: s.NotesDropped, Authority: s.Authority}
}

// doneSoFar tells what a run that stopped early changed in AWS, for its last page.
func (r *run) doneSoFar(phase string) string {
	id := r.common.Topology.ID()
	if len(r.actions) == 0 {
		return fmt.Sprintf("%s of %s %s. Nothing was changed in AWS.", r.status.Workflow, id, phase)
	}
	return fmt.Sprintf("%s of %s %s. Changes made before it stopped:\n- %s\nSteps that did not finish are listed in the report.",
		r.status.Workflow, id, phase, strings.Join(r.actions, "\n- "))
}
