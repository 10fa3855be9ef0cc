package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
)

// a is only used to name activity methods; the worker registers a real *Activities.
var a *activities.Activities

// errAborted ends a run early by an operator's abort or a gate that timed out or was rejected.
var errAborted = errors.New("aborted")

// run is the shared machinery of every scenario: status, timeline, gates, operator controls.
type run struct {
	ctx    workflow.Context
	common *Common
	status *Status
	// gates are the gate names this workflow can open; approvals for others are refused.
	gates []string
	// pendingCheck is the gate-specific validation of the pending gate (e.g. restore time in window).
	pendingCheck func(Approval) error
	decision     *Approval
	operator     map[string]OperatorAction
	scenario     string
}

// newRun registers the status query, the approve signal and update, and the operator signal and update.
func newRun(ctx workflow.Context, name, scenario string, c *Common, gates ...string) *run {
	now := workflow.Now(ctx)
	r := &run{ctx: ctx, common: c, gates: gates, operator: map[string]OperatorAction{}, scenario: scenario}
	r.status = &Status{Workflow: name, Phase: PhaseRunning, StartedAt: now, DetectedAt: now, RTO: c.Topology.Objectives.RTO.D()}
	if c.DetectedAt != nil && !c.DetectedAt.IsZero() && c.DetectedAt.Before(now) {
		r.status.DetectedAt = *c.DetectedAt
	}
	_ = workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (Status, error) {
		return r.snapshot(), nil
	}, workflow.QueryHandlerOptions{Description: "current step, timeline, pending gate and elapsed time against the RTO"})
	_ = workflow.SetUpdateHandlerWithOptions(ctx, UpdateApprove, func(ctx workflow.Context, ap Approval) (string, error) {
		r.accept(ap)
		return fmt.Sprintf("%s %sd by %s", ap.Gate, ap.Decision, ap.Approver), nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, ap Approval) error { return r.validateApproval(ap) },
		Description: "approve or reject the pending gate; refused when the gate is unknown or not pending, or the approver may not approve"})
	_ = workflow.SetUpdateHandlerWithOptions(ctx, SignalOperator, func(ctx workflow.Context, op OperatorAction) (string, error) {
		step, _ := r.validateOperator(op)
		op.Step = step
		r.operator[step] = op
		return fmt.Sprintf("%s on %s", op.Action, step), nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, op OperatorAction) error { _, err := r.validateOperator(op); return err },
		Description: "retry, skip or abort a step paused in awaiting-operator"})
	approveCh := workflow.GetSignalChannel(ctx, SignalApprove)
	operatorCh := workflow.GetSignalChannel(ctx, SignalOperator)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(approveCh, func(ch workflow.ReceiveChannel, _ bool) {
				var ap Approval
				ch.Receive(ctx, &ap)
				if err := r.validateApproval(ap); err != nil {
					r.ignore(fmt.Sprintf("approve signal ignored: %v", err))
					return
				}
				r.accept(ap)
			})
			sel.AddReceive(operatorCh, func(ch workflow.ReceiveChannel, _ bool) {
				var op OperatorAction
				ch.Receive(ctx, &op)
				step, err := r.validateOperator(op)
				if err != nil {
					r.ignore(fmt.Sprintf("operator signal ignored: %v", err))
					return
				}
				op.Step = step
				r.operator[step] = op
			})
			sel.Select(ctx)
		}
	})
	r.publish()
	return r
}

func (r *run) ignore(msg string) {
	r.status.Ignored = append(r.status.Ignored, msg)
	workflow.GetLogger(r.ctx).Warn(msg)
	r.publish()
}

func (r *run) accept(ap Approval) {
	ap.At = workflow.Now(r.ctx)
	r.decision = &ap
}

func (r *run) validateApproval(ap Approval) error {
	if ap.Decision != "approve" && ap.Decision != "reject" {
		return fmt.Errorf("decision: %q is not approve or reject", ap.Decision)
	}
	if strings.TrimSpace(ap.Approver) == "" {
		return errors.New("approver: is missing; say who decides")
	}
	if !slices.Contains(r.gates, ap.Gate) {
		return fmt.Errorf("gate: %q is not a gate of %s (gates: %s)", ap.Gate, r.status.Workflow, strings.Join(r.gates, ", "))
	}
	pg := r.status.PendingGate
	if pg == nil || pg.Name != ap.Gate || r.decision != nil {
		pending := "no gate is pending"
		if pg != nil && r.decision == nil {
			pending = "the pending gate is " + pg.Name
		}
		return fmt.Errorf("gate: %q is not pending (%s)", ap.Gate, pending)
	}
	ap2 := r.common.Topology.Approvals
	if len(ap2.Approvers) > 0 && !slices.Contains(ap2.Approvers, ap.Approver) {
		return fmt.Errorf("approver: %q is not in the topology's approvers (%s)", ap.Approver, strings.Join(ap2.Approvers, ", "))
	}
	if ap2.TwoPerson && ap.Decision == "approve" && r.common.Initiator != "" && ap.Approver == r.common.Initiator {
		return fmt.Errorf("approver: %q started this run and the two-person rule is on; another approver must approve", ap.Approver)
	}
	if ap.Decision == "approve" && pg.RequireDataLossAck && !ap.AcceptDataLoss {
		return errors.New("acceptDataLoss: the RPO estimate exceeds the objective; approve with acceptDataLoss=true to accept losing that data")
	}
	if ap.Decision == "approve" && r.pendingCheck != nil {
		return r.pendingCheck(ap)
	}
	return nil
}

// validateOperator returns the step an operator action applies to.
func (r *run) validateOperator(op OperatorAction) (string, error) {
	if op.Action != "retry" && op.Action != "skip" && op.Action != "abort" {
		return "", fmt.Errorf("action: %q is not retry, skip or abort", op.Action)
	}
	paused := r.status.PausedSteps
	step := op.Step
	if step == "" {
		if len(paused) != 1 {
			return "", fmt.Errorf("step: %d steps are paused (%s); name the step", len(paused), strings.Join(paused, ", "))
		}
		step = paused[0]
	}
	if !slices.Contains(paused, step) {
		return "", fmt.Errorf("step: %q is not paused in awaiting-operator", step)
	}
	if _, taken := r.operator[step]; taken {
		return "", fmt.Errorf("step: %q already has a decision", step)
	}
	if rec := r.status.Step(step); op.Action == "skip" && rec != nil && rec.Critical {
		return "", fmt.Errorf("action: step %q is critical and cannot be skipped; retry or abort", step)
	}
	return step, nil
}

func (r *run) snapshot() Status {
	s := *r.status
	s.Steps = append([]StepRecord(nil), r.status.Steps...)
	now := workflow.Now(r.ctx)
	s.Elapsed = now.Sub(s.StartedAt)
	s.RTOElapsedSeconds = now.Sub(s.DetectedAt).Seconds()
	s.PendingGates = []string{}
	if s.PendingGate != nil {
		s.PendingGates = []string{s.PendingGate.Name}
	}
	if s.RTO > 0 {
		s.RTOUsed = float64(now.Sub(s.DetectedAt)) / float64(s.RTO)
	}
	return s
}

// publish refreshes the Temporal UI's current details.
func (r *run) publish() {
	s := r.snapshot()
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — %s", s.Workflow, s.Phase)
	if s.CurrentStep != "" {
		fmt.Fprintf(&b, ", step `%s`", s.CurrentStep)
	}
	fmt.Fprintf(&b, "\n\nElapsed %s of RTO %s (%.0f%%)\n", s.Elapsed.Round(time.Second), s.RTO, s.RTOUsed*100)
	if g := s.PendingGate; g != nil {
		fmt.Fprintf(&b, "\nWaiting for approval at gate `%s`: %s (deadline %s)\n", g.Name, g.Summary, g.Deadline.UTC().Format(time.RFC3339))
	}
	if len(s.PausedSteps) > 0 {
		fmt.Fprintf(&b, "\nPaused for operator: %s — signal `operator` with retry, skip or abort\n", strings.Join(s.PausedSteps, ", "))
	}
	b.WriteString("\n| step | outcome | duration |\n|---|---|---|\n")
	for _, st := range s.Steps {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", st.Title, st.Outcome, st.Duration().Round(time.Second))
	}
	workflow.SetCurrentDetails(r.ctx, b.String())
}

// setPhase records the phase and refreshes the UI.
func (r *run) setPhase(p string) {
	r.status.Phase = p
	r.publish()
}

// stepOpts describe a timeline step.
type stepOpts struct {
	// Critical steps cannot be skipped by an operator.
	Critical bool
	// Budget is the runbook's time budget for the step.
	Budget time.Duration
}

// step runs fn as a timeline row. A failure pauses the step in awaiting-operator until an operator
// retries, skips (non-critical only) or aborts it; the run is not failed by one step's error.
func (r *run) step(name, title string, o stepOpts, fn func(ctx workflow.Context) error) error {
	return r.stepIn(r.ctx, name, title, o, fn)
}

// stepIn is step for a branch of r.parallel: blocking calls must use the branch's own context, since a
// workflow coroutine cannot wait on another coroutine's context.
func (r *run) stepIn(ctx workflow.Context, name, title string, o stepOpts, fn func(ctx workflow.Context) error) error {
	r.status.Steps = append(r.status.Steps, StepRecord{Name: name, Title: title, Critical: o.Critical, Started: workflow.Now(ctx),
		Outcome: OutcomeRunning, Attempts: 1, Budget: o.Budget})
	idx := len(r.status.Steps) - 1
	rec := func() *StepRecord { return &r.status.Steps[idx] }
	r.status.CurrentStep = name
	r.publish()
	finish := func(outcome string) {
		rec().Outcome, rec().Ended = outcome, workflow.Now(ctx)
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
	for {
		ok, err := workflow.AwaitWithTimeout(ctx, interval, func() bool { _, d := r.operator[step]; return d })
		if err != nil {
			r.unpause(step)
			return OperatorAction{}, err
		}
		if ok {
			break
		}
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

// gateOpts describe a human approval gate.
type gateOpts struct {
	Summary            string
	RequireDataLossAck bool
	Options            []string
	// Check validates gate-specific content of an approval (e.g. a restore time inside the window).
	Check func(Approval) error
	// Deadline, when set, replaces the topology's approval deadline for this gate.
	Deadline time.Duration
	// ApproveAtDeadline makes the deadline approve (approver "deadline") instead of aborting, for gates that
	// only let people act sooner than a timer would, e.g. reverting before a stable period has passed.
	ApproveAtDeadline bool
}

// gate waits for a decision. It escalates by SNS at each interval and, at the deadline, returns errAborted
// with the gate recorded as timed out: a gate that nobody answered never lets the run change anything.
func (r *run) gate(name string, o gateOpts) (Approval, error) {
	now := workflow.Now(r.ctx)
	if r.common.AutoApprove {
		ap := Approval{Gate: name, Decision: "approve", Approver: "auto", Comment: "autoApprove", At: now, AcceptDataLoss: o.RequireDataLossAck}
		r.status.Approvals = append(r.status.Approvals, ap)
		r.publish()
		return ap, nil
	}
	wait := r.common.Topology.Approvals.Deadline.D()
	if o.Deadline > 0 {
		wait = o.Deadline
	}
	deadline := now.Add(wait)
	r.status.PendingGate = &GateStatus{Name: name, Summary: o.Summary, Requested: now, Deadline: deadline,
		RequireDataLossAck: o.RequireDataLossAck, Options: o.Options}
	r.pendingCheck = o.Check
	r.decision = nil
	r.setPhase(PhaseAwaitingApproval)
	r.notify(fmt.Sprintf("Approval needed: %s gate %s", r.status.Workflow, name), gateMessage(name, o.Summary, deadline))
	interval := r.common.Topology.Approvals.EscalationInterval.D()
	defer func() {
		r.status.PendingGate = nil
		r.pendingCheck = nil
		if r.status.Phase == PhaseAwaitingApproval {
			r.status.Phase = PhaseRunning
		}
		r.publish()
	}()
	for {
		left := deadline.Sub(workflow.Now(r.ctx))
		if left <= 0 && o.ApproveAtDeadline {
			ap := Approval{Gate: name, Decision: "approve", Approver: "deadline", Comment: "no decision before the deadline; the gate's default is to proceed", At: workflow.Now(r.ctx)}
			r.status.Approvals = append(r.status.Approvals, ap)
			return ap, nil
		}
		if left <= 0 {
			r.note(fmt.Sprintf("gate %s timed out at its deadline with no decision; nothing was changed after it", name))
			r.notify(fmt.Sprintf("Gate %s timed out: %s aborted", name, r.status.Workflow), "No decision before the deadline; the run stops safely.")
			return Approval{Gate: name, Decision: "timeout"}, errAborted
		}
		wait := min(interval, left)
		ok, err := workflow.AwaitWithTimeout(r.ctx, wait, func() bool { return r.decision != nil })
		if err != nil {
			return Approval{}, err
		}
		if ok {
			ap := *r.decision
			r.decision = nil
			r.status.Approvals = append(r.status.Approvals, ap)
			if ap.Decision != "approve" {
				r.note(fmt.Sprintf("gate %s rejected by %s: %s", name, ap.Approver, ap.Comment))
				return ap, errAborted
			}
			return ap, nil
		}
		if workflow.Now(r.ctx).Before(deadline) {
			r.status.PendingGate.Escalations++
			r.notify(fmt.Sprintf("Escalation %d: %s gate %s still waiting", r.status.PendingGate.Escalations, r.status.Workflow, name),
				gateMessage(name, o.Summary, deadline))
		}
	}
}

func gateMessage(name, summary string, deadline time.Time) string {
	return fmt.Sprintf("%s\n\nApprove: temporal workflow signal --name approve --input '{\"gate\":%q,\"decision\":\"approve\",\"approver\":\"NAME\"}' (or the update of the same name). Deadline %s.",
		summary, name, deadline.UTC().Format(time.RFC3339))
}

func (r *run) note(s string) {
	r.status.Notes = append(r.status.Notes, s)
	r.publish()
}

// notify publishes to the alarm topic in the DR region (the one that is up in a region outage). A failed
// notification is noted, never fatal: paging must not block recovery.
func (r *run) notify(subject, message string) { r.notifyIn(r.ctx, subject, message) }

// notifyIn is notify from a branch of r.parallel, with the branch's context.
func (r *run) notifyIn(ctx workflow.Context, subject, message string) {
	t := r.common.Topology
	ctx = describeCtx(ctx, "SNS: "+subject)
	in := activities.PublishInput{Region: t.DRRegion, TopicARN: t.TopicARN(t.DRRegion), Subject: subject, Message: message}
	if err := workflow.ExecuteActivity(ctx, a.Publish, in).Get(ctx, nil); err != nil {
		if temporal.IsCanceledError(err) {
			return
		}
		r.status.Notes = append(r.status.Notes, "notification failed: "+errMessage(err))
	}
}

// parallel runs branches concurrently and returns the first error (after all have finished), so an abort
// in one branch never leaves another running unobserved.
func (r *run) parallel(branches ...func(ctx workflow.Context) error) error {
	errs := make([]error, len(branches))
	wg := workflow.NewWaitGroup(r.ctx)
	for i, b := range branches {
		wg.Add(1)
		workflow.Go(r.ctx, func(ctx workflow.Context) {
			defer wg.Done()
			errs[i] = b(ctx)
		})
	}
	wg.Wait(r.ctx)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// upsert sets search attributes; a failure is noted (an unregistered attribute must not stop recovery).
func (r *run) upsert(updates ...temporal.SearchAttributeUpdate) {
	if err := workflow.UpsertTypedSearchAttributes(r.ctx, updates...); err != nil {
		r.status.Notes = append(r.status.Notes, "search attributes not set: "+err.Error())
	}
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
	r.publish()
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

// Activity option classes (DESIGN "Activity conventions").

func describeCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second, MaximumAttempts: 5},
	})
}

func mutateCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5},
	})
}

// waitCtx is for activities that poll until AWS reaches a state; heartbeats carry progress so a retried
// attempt (or a replacement worker) resumes instead of starting over.
func waitCtx(ctx workflow.Context, summary string, timeout time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout, HeartbeatTimeout: 30 * time.Second, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
	})
}

// summary captures the run for its report.
func (r *run) summary(outcome string) RunSummary {
	s := r.snapshot()
	return RunSummary{Workflow: s.Workflow, Outcome: outcome, StartedAt: s.StartedAt, DetectedAt: s.DetectedAt, EndedAt: workflow.Now(r.ctx),
		Steps: s.Steps, Approvals: s.Approvals, Notes: s.Notes, Ignored: s.Ignored}
}
