package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/identity"
	"github.com/roadcall/dr/internal/policy"
)

// Authority is who may decide in a run and who started it, as the worker's policy and STS established
// them: the audit's first line.
type Authority struct {
	// Policy is the file the worker loaded the policy from.
	Policy string `json:"policy"`
	// Identity is "sts" (approvers and the initiator are proven IAM principals) or "names" (typed names,
	// local experiments only).
	Identity string `json:"identity"`
	// STSRegion is where tokens are verified (the DR region): starter approve signs for it.
	STSRegion string `json:"stsRegion,omitempty"`
	// Initiator is the proven principal that started the run, or the typed name when unproven.
	Initiator       string `json:"initiator,omitempty"`
	InitiatorProven bool   `json:"initiatorProven"`
}

// adoptPolicy reads the worker's policy through an activity, so the history records it and replay needs
// no file, and refuses what the request asks beyond it. A gated workflow refuses to run without one;
// readiness, which changes nothing, runs with or without.
func (r *run) adoptPolicy(ctx workflow.Context) error {
	t := r.common.Topology
	var res activities.PolicyResult
	if err := workflow.ExecuteActivity(describeCtx(ctx, "Read the worker's policy"), a.LoadPolicy, activities.PolicyInput{Platform: t.Platform, Stage: t.Stage}).Get(ctx, &res); err != nil {
		return err
	}
	if !res.Loaded {
		if len(r.scenario.Gates) == 0 {
			r.note("the worker has no policy for " + t.ID() + ": " + res.Problem)
			return nil
		}
		return invalid(fmt.Errorf("policy: %s", res.Problem))
	}
	p := res.Policy
	// autoApprove means nothing to a workflow without gates (the drill passes it to its readiness child).
	ask := policy.Ask{Workflow: r.scenario.Workflow, AutoApprove: r.common.AutoApprove && len(r.scenario.Gates) > 0, Topology: t}
	if ask.AutoApprove && !p.MayAutoApprove(ask.Workflow, false) && p.AutoApprove.DrillChildren {
		drill, err := r.startedByDrill(ctx)
		if err != nil {
			return err
		}
		ask.DrillParent = drill
	}
	if es := p.Check(ask); len(es) > 0 {
		return invalid(es)
	}
	r.policy = &p
	r.status.Authority = &Authority{Policy: res.Source, Identity: p.Mode(), STSRegion: t.DRRegion, Initiator: strings.TrimSpace(r.common.Initiator)}
	if p.Mode() == policy.IdentityNames {
		r.note(fmt.Sprintf("the worker's policy (%s) has identity %q: approvers are typed names, not proven principals; use it for local experiments only", res.Source, policy.IdentityNames))
		return nil
	}
	if tok := r.common.InitiatorToken; tok != nil {
		arn, err := r.verify(ctx, *tok, identity.StartBinding(workflow.GetInfo(ctx).WorkflowExecution.ID))
		if err != nil {
			return invalid(fmt.Errorf("initiatorToken: %v", err))
		}
		r.status.Authority.Initiator, r.status.Authority.InitiatorProven = arn, true
	}
	return nil
}

// startedByDrill asks the server whether the parent execution is a DRDrill: WorkflowInfo names the parent
// but not its type, and the request cannot be believed on it.
func (r *run) startedByDrill(ctx workflow.Context) (bool, error) {
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil {
		return false, nil
	}
	var res activities.ParentResult
	err := workflow.ExecuteActivity(describeCtx(ctx, "Which workflow started this run"), a.DescribeParent, activities.ParentInput{WorkflowID: parent.ID, RunID: parent.RunID}).Get(ctx, &res)
	if err != nil {
		return false, err
	}
	return res.WorkflowType == WorkflowDrill && res.Running, nil
}

// verify sends a token to STS in the DR region (up in a primary outage) and returns the proven principal.
func (r *run) verify(ctx workflow.Context, tok identity.Token, b identity.Binding) (string, error) {
	if who, used := r.usedTokens[tok.ID()]; used {
		return "", fmt.Errorf("this token was already used, by %s (a replay); make a new one", who)
	}
	var res activities.VerifyIdentityResult
	in := activities.VerifyIdentityInput{Region: r.common.Topology.DRRegion, Token: tok, Binding: b}
	if err := workflow.ExecuteActivity(describeCtx(ctx, "Prove who decides (sts:GetCallerIdentity)"), a.VerifyIdentity, in).Get(ctx, &res); err != nil {
		return "", errors.New(bounded(errMessage(err), 300))
	}
	r.usedTokens[tok.ID()] = res.ARN
	return res.ARN, nil
}

// prove replaces a token-carrying approval's typed approver with the principal STS answers for, then
// applies the policy to that principal. The gate is checked again: it may have moved while STS answered.
func (r *run) prove(ctx workflow.Context, ap Approval) (Approval, error) {
	if r.policy == nil || r.policy.Mode() != policy.IdentitySTS {
		return ap, nil
	}
	info := workflow.GetInfo(ctx).WorkflowExecution
	arn, err := r.verify(ctx, *ap.Token, identity.Binding{WorkflowID: info.ID, RunID: info.RunID, Gate: ap.Gate, Decision: ap.Decision})
	if err != nil {
		return ap, fmt.Errorf("token: %v", err)
	}
	ap.Approver, ap.Proven, ap.Token = arn, true, nil
	if err := r.validateApproval(ap); err != nil {
		return ap, err
	}
	return ap, nil
}

// principalProblem applies the policy to who decides: an approver of the policy, not the initiator under
// the two-person rule (nor, when the initiator is unproven, anyone who already acted on the run), and not
// twice at one gate, because M-of-N counts distinct principals.
func (r *run) principalProblem(who, gate string) error {
	p := r.policy
	if !p.Approver(who) {
		return fmt.Errorf("approver: %q is not an approver in the worker's policy (%s)", who, strings.Join(p.Approvers, ", "))
	}
	au := r.status.Authority
	if p.TwoPerson {
		if (au.InitiatorProven || p.Mode() == policy.IdentityNames) && policy.Same(who, au.Initiator) {
			return fmt.Errorf("approver: %q started this run and the two-person rule is on; another approver must approve", who)
		}
		if !au.InitiatorProven && p.Mode() == policy.IdentitySTS {
			for _, ap := range r.status.Approvals {
				if ap.Proven && ap.Gate != gate && policy.Same(ap.Approver, who) {
					return fmt.Errorf("approver: %q already decided gate %s, and this run's initiator is unproven; under the two-person rule another approver must approve", who, ap.Gate)
				}
			}
		}
	}
	for _, ap := range r.gateApprovals(gate) {
		if policy.Same(ap.Approver, who) {
			return fmt.Errorf("approver: %q already approved gate %s, which needs %d distinct approvers", who, gate, p.Required(r.scenario.Workflow, gate))
		}
	}
	return nil
}

// gateApprovals are the approvals given at the pending opening of a gate, queued ones included.
func (r *run) gateApprovals(gate string) []Approval {
	out := r.recordedApprovals(gate)
	for _, ap := range r.decisions {
		if ap.Gate == gate && ap.Decision == "approve" {
			out = append(out, ap)
		}
	}
	return out
}

// recordedApprovals are the approvals the pending opening of a gate has counted.
func (r *run) recordedApprovals(gate string) []Approval {
	var out []Approval
	if pg := r.status.PendingGate; pg != nil && pg.Name == gate {
		for _, ap := range r.status.Approvals[pg.firstApproval:] {
			if ap.Gate == gate && ap.Decision == "approve" {
				out = append(out, ap)
			}
		}
	}
	return out
}

// required is how many distinct approvals a gate needs: the policy's figure, or one without a policy.
func (r *run) required(gate string) int {
	if r.policy == nil {
		return 1
	}
	return r.policy.Required(r.scenario.Workflow, gate)
}

// bounded cuts s to at most n bytes on a rune boundary: a refused message quoted into history or a
// report must not grow them past Temporal's limits.
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes cut)", len(s)-cut)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
