package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

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
func (r *run) gate(name string, o gateOpts) (ap Approval, err error) {
	now := workflow.Now(r.ctx)
	defer func() { r.metricGate(name, now, ap, err) }()
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
	need := r.required(name)
	r.status.PendingGate = &GateStatus{Name: name, Summary: o.Summary, Requested: now, Deadline: deadline,
		RequireDataLossAck: o.RequireDataLossAck, Options: o.Options, firstApproval: len(r.status.Approvals)}
	if need > 1 {
		r.status.PendingGate.Required = need
	}
	if r.policy != nil {
		r.status.PendingGate.Approvers, r.status.PendingGate.TwoPerson = r.policy.Approvers, r.policy.TwoPerson
	}
	r.pendingCheck = o.Check
	r.decisions = nil
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
		timer := fmt.Sprintf("gate %s: escalation %d of %d", name, r.status.PendingGate.Escalations+1, escalations(deadline.Sub(now), interval))
		ok, err := r.awaitNamed(r.ctx, wait, timer, func() bool { return len(r.decisions) > 0 })
		if err != nil {
			return Approval{}, err
		}
		if ok {
			ap := r.decisions[0]
			r.decisions = r.decisions[1:]
			r.status.Approvals = append(r.status.Approvals, ap)
			if ap.Decision != "approve" {
				r.note(fmt.Sprintf("gate %s rejected by %s: %s", name, ap.Approver, ap.Comment))
				return ap, errAborted
			}
			if got := len(r.recordedApprovals(name)); got < need {
				r.status.PendingGate.Approved = got
				r.note(fmt.Sprintf("gate %s: %d of %d distinct approvals (latest %s)", name, got, need, ap.Approver))
				continue
			}
			return ap, nil
		}
		if workflow.Now(r.ctx).Before(deadline) {
			r.status.PendingGate.Escalations++
			r.publish() // elapsed time stays honest on the page while the gate waits
			r.notify(fmt.Sprintf("Escalation %d: %s gate %s still waiting", r.status.PendingGate.Escalations, r.status.Workflow, name),
				gateMessage(name, o.Summary, deadline))
		}
	}
}

func gateMessage(name, summary string, deadline time.Time) string {
	return fmt.Sprintf("%s\n\nApprove: temporal workflow signal --name approve --input '{\"gate\":%q,\"decision\":\"approve\",\"approver\":\"NAME\"}' (or the update of the same name). Deadline %s.",
		summary, name, deadline.UTC().Format(time.RFC3339))
}
