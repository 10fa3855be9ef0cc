package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/policy"
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
	// pendingCheck is the gate-specific validation of the pending gate (e.g. restore time in window).
	pendingCheck func(Approval) error
	// decisions are accepted approvals the pending gate has not consumed yet.
	decisions []Approval
	operator  map[string]OperatorAction
	// policy is the worker's policy for the platform's stage (nil: runs before workerPolicy, or readiness
	// on a worker without one); usedTokens are the identity tokens already spent in this run.
	policy     *policy.Policy
	usedTokens map[string]string
	scenario   scenario
	// actions lists every change made to AWS, in the order the calls returned: the report's Actions.
	actions []string
	// names: version uiNames, timers and a drill's children named for the UI (uinames.go).
	names bool
}

// newRun registers the status query, the approve signal and update, and the operator signal and update.
// A registration that fails is returned: a run nobody can query or approve must not go on.
func newRun(ctx workflow.Context, sc scenario, c *Common) (*run, error) {
	now := workflow.Now(ctx)
	r := &run{ctx: ctx, common: c, operator: map[string]OperatorAction{}, scenario: sc, actions: []string{}, usedTokens: map[string]string{}}
	r.status = &Status{Workflow: sc.Workflow, Phase: PhaseRunning, StartedAt: now, DetectedAt: now, RTO: c.Topology.Objectives.RTO.D()}
	if c.DetectedAt != nil && !c.DetectedAt.IsZero() && c.DetectedAt.Before(now) {
		r.status.DetectedAt = *c.DetectedAt
	}
	err := errors.Join(
		workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (Status, error) {
			return r.snapshot(), nil
		}, workflow.QueryHandlerOptions{Description: "current step, timeline, pending gate and elapsed time against the RTO"}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateApprove, func(ctx workflow.Context, ap Approval) (string, error) {
			ap, err := r.prove(ctx, received(ap))
			if err != nil {
				return "", err
			}
			r.accept(ap)
			return r.acceptedMessage(ap), nil
		}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, ap Approval) error { return r.validateApproval(received(ap)) },
			Description: "approve or reject the pending gate; refused when the gate is unknown or not pending, the token does not prove an approver of the worker's policy, or the two-person rule forbids it"}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateOperator, func(ctx workflow.Context, op OperatorAction) (string, error) {
			step, _ := r.validateOperator(op)
			op.Step = step
			r.operator[step] = op
			return fmt.Sprintf("%s on %s", op.Action, step), nil
		}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, op OperatorAction) error { _, err := r.validateOperator(op); return err },
			Description: "retry, skip or abort a step paused in awaiting-operator"}),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: registering the status query and the approve and operator handlers: %w", sc.Workflow, err)
	}
	approveCh := workflow.GetSignalChannel(ctx, SignalApprove)
	operatorCh := workflow.GetSignalChannel(ctx, SignalOperator)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(approveCh, func(ch workflow.ReceiveChannel, _ bool) {
				var raw converter.RawValue
				ch.Receive(ctx, &raw)
				var ap Approval
				if err := decodeSignal(raw, &ap); err != nil {
					r.ignore(fmt.Sprintf("approve signal ignored: %v", err))
					return
				}
				ap = received(ap)
				err := r.validateApproval(ap)
				if err == nil {
					ap, err = r.prove(ctx, ap)
				}
				if err != nil {
					r.ignore(fmt.Sprintf("approve signal ignored: %v", err))
					return
				}
				r.accept(ap)
			})
			sel.AddReceive(operatorCh, func(ch workflow.ReceiveChannel, _ bool) {
				var raw converter.RawValue
				ch.Receive(ctx, &raw)
				var op OperatorAction
				if err := decodeSignal(raw, &op); err != nil {
					r.ignore(fmt.Sprintf("operator signal ignored: %v", err))
					return
				}
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
	return r, nil
}

// ignore records a refused signal: the latest MaxIgnored, each bounded, and a count of older ones, so a
// flood of refused signals can never grow status or the report past Temporal's limits.
func (r *run) ignore(msg string) {
	r.status.Ignored, r.status.IgnoredDropped = keepIgnored(r.status.Ignored, r.status.IgnoredDropped, msg)
	workflow.GetLogger(r.ctx).Warn(bounded(msg, maxIgnoredLen))
	r.publish()
}

func (r *run) accept(ap Approval) {
	ap.At = workflow.Now(r.ctx)
	r.decisions = append(r.decisions, ap)
}

// received clears what only the workflow may set on an approval that came over the wire.
func received(ap Approval) Approval {
	ap.Proven, ap.At = false, time.Time{}
	return ap
}

func (r *run) acceptedMessage(ap Approval) string {
	msg := fmt.Sprintf("%s %sd by %s", ap.Gate, ap.Decision, ap.Approver)
	if need := r.required(ap.Gate); ap.Decision == "approve" && need > 1 {
		msg += fmt.Sprintf(" (%d of %d approvals)", len(r.gateApprovals(ap.Gate)), need)
	}
	return msg
}

func (r *run) validateApproval(ap Approval) error {
	if err := ap.lengthProblem(); err != nil {
		return err
	}
	if ap.Decision != "approve" && ap.Decision != "reject" {
		return fmt.Errorf("decision: %q is not approve or reject", bounded(ap.Decision, 40))
	}
	if gates := r.scenario.Gates; !slices.Contains(gates, ap.Gate) {
		return fmt.Errorf("gate: %q is not a gate of %s (gates: %s)", bounded(ap.Gate, 80), r.status.Workflow, strings.Join(gates, ", "))
	}
	if ap.Token != nil && !ap.Proven {
		if who, used := r.usedTokens[ap.Token.ID()]; used {
			return fmt.Errorf("token: already used in this run, by %s (a replay); make a new one with starter approve", who)
		}
	}
	pg := r.status.PendingGate
	if pg == nil || pg.Name != ap.Gate || (r.policy == nil && len(r.decisions) > 0) {
		pending := "no gate is pending"
		if pg != nil && len(r.decisions) == 0 {
			pending = "the pending gate is " + pg.Name
		}
		return fmt.Errorf("gate: %q is not pending (%s)", bounded(ap.Gate, maxQuote), pending)
	}
	if err := r.approverProblem(ap); err != nil {
		return err
	}
	if ap.Decision == "approve" && pg.RequireDataLossAck && !ap.AcceptDataLoss {
		return errors.New("acceptDataLoss: the RPO estimate exceeds the objective; approve with acceptDataLoss=true to accept losing that data")
	}
	if ap.Decision == "approve" && r.pendingCheck != nil {
		return r.pendingCheck(ap)
	}
	return nil
}

// approverProblem says why who decides may not: under the policy, a token is needed until STS has proven
// the principal, which must then be an approver the policy allows; before the policy, the topology's names.
func (r *run) approverProblem(ap Approval) error {
	if r.policy != nil && r.policy.Mode() == policy.IdentitySTS && !ap.Proven {
		if ap.Token == nil {
			return errors.New("token: missing; an approval counts only from a proven identity: run starter approve with your AWS credentials, or send the payload of starter approve --print-token")
		}
		return nil
	}
	if strings.TrimSpace(ap.Approver) == "" {
		return errors.New("approver: is missing; say who decides")
	}
	if r.policy != nil {
		return r.principalProblem(ap.Approver, ap.Gate)
	}
	ap2 := r.common.Topology.Approvals
	if len(ap2.Approvers) > 0 && !slices.Contains(ap2.Approvers, ap.Approver) {
		return fmt.Errorf("approver: %q is not in the topology's approvers (%s)", ap.Approver, strings.Join(ap2.Approvers, ", "))
	}
	if ap2.TwoPerson && ap.Decision == "approve" && r.common.Initiator != "" && ap.Approver == r.common.Initiator {
		return fmt.Errorf("approver: %q started this run and the two-person rule is on; another approver must approve", ap.Approver)
	}
	return nil
}

// validateOperator returns the step an operator action applies to.
func (r *run) validateOperator(op OperatorAction) (string, error) {
	if err := op.lengthProblem(); err != nil {
		return "", err
	}
	if op.Action != "retry" && op.Action != "skip" && op.Action != "abort" {
		return "", fmt.Errorf("action: %q is not retry, skip or abort", bounded(op.Action, maxQuote))
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

// publish refreshes the Temporal UI's current details (details.go renders them).
func (r *run) publish() {
	s, info := r.snapshot(), workflow.GetInfo(r.ctx)
	workflow.SetCurrentDetails(r.ctx, Details(info.WorkflowExecution.ID, s, workflow.Now(r.ctx))+childLines(info.Namespace, s.Children))
}

// setPhase records the phase and refreshes the UI.
func (r *run) setPhase(p string) {
	r.status.Phase = p
	r.publish()
}

// detail describes the latest row of a step on the timeline (a retried step keeps one row).
func (r *run) detail(step, format string, args ...any) {
	steps := r.status.Steps
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Name == step {
			steps[i].Detail = fmt.Sprintf(format, args...)
			r.publish()
			return
		}
	}
}

// action records a change made to AWS, for the report and the timeline's notes.
func (r *run) action(s string) {
	r.actions = append(r.actions, s)
	r.note("AWS: " + s)
}

func (r *run) note(s string) {
	r.addNote(s)
	r.publish()
}

// addNote keeps notes bounded in size and count: the first maxNotesHead, which say how the run began, and
// the latest, with a count of those dropped between them.
func (r *run) addNote(s string) {
	st := r.status
	st.Notes = append(st.Notes, bounded(s, maxNoteLen))
	if len(st.Notes) > MaxNotes {
		st.Notes = slices.Delete(st.Notes, maxNotesHead, maxNotesHead+1)
		st.NotesDropped++
	}
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
		r.addNote("notification failed: " + errMessage(err))
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
		r.addNote("search attributes not set: " + err.Error())
	}
}
