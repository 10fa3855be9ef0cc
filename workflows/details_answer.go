package workflows

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/roadcall/dr/internal/policy"
)

// Answer says how to answer one thing a run waits for: a pending gate or a step paused for an operator.
// The Temporal UI's current details (markdown) and starter status (text) render the same Answer, so the
// page and the terminal never disagree on the command to paste.
type Answer struct {
	// Title is what waits, e.g. "approve gate failover".
	Title string `json:"title"`
	// Context is machine text (a gate's summary, a step's error), one line per item, shown verbatim.
	Context []string `json:"context,omitempty"`
	// ContextTitle says what Context is.
	ContextTitle string `json:"contextTitle,omitempty"`
	// Facts are who may answer and what the answer must say, one per line. Identifiers are marked as
	// `code`; Plain strips the marks for a terminal.
	Facts []string `json:"facts"`
	// Commands are the ways to answer, in the order to try them.
	Commands []AnswerCommand `json:"commands"`
}

// AnswerCommand is one command that answers, with what it is for.
type AnswerCommand struct {
	Label   string `json:"label"`
	Command string `json:"command"`
}

// Plain is a fact without its code marks, for a terminal.
func Plain(fact string) string { return strings.ReplaceAll(fact, "`", "") }

// Answers lists how to answer what the run with this ID waits for, from its status: the pending gate
// (who may approve under the policy the run adopted, whether data loss must be accepted, the starter,
// update and signal forms) and each paused step (retry, skip when not critical, abort). None when the
// run waits for nobody.
func Answers(id string, s Status) []Answer {
	var out []Answer
	if g := s.PendingGate; g != nil {
		out = append(out, gateAnswer(id, s, g))
	}
	for _, step := range s.PausedSteps {
		out = append(out, operatorAnswer(id, s, step))
	}
	return out
}

func gateAnswer(id string, s Status, g *GateStatus) Answer {
	proven := s.Authority != nil && s.Authority.Identity == policy.IdentitySTS
	a := Answer{Title: fmt.Sprintf("approve gate `%s`", g.Name), Context: lines(g.Summary),
		ContextTitle: fmt.Sprintf("what gate `%s` asks", g.Name)}
	switch {
	case len(g.Approvers) > 0 && proven:
		a.Facts = append(a.Facts, "who may approve: an IAM principal proven by STS that matches "+codeList(g.Approvers))
	case len(g.Approvers) > 0:
		a.Facts = append(a.Facts, "who may approve (typed names, unproven): "+codeList(g.Approvers))
	default:
		a.Facts = append(a.Facts, "who may approve: anyone named in `approver` (the run has no policy)")
	}
	if au := s.Authority; g.TwoPerson && au != nil {
		if au.Initiator != "" && (au.InitiatorProven || !proven) {
			a.Facts = append(a.Facts, fmt.Sprintf("two-person rule: `%s` started the run and may not approve", au.Initiator))
		} else {
			a.Facts = append(a.Facts, "two-person rule: the initiator is unproven, so whoever decided another gate of this run may not decide this one")
		}
	}
	if g.Required > 1 {
		a.Facts = append(a.Facts, fmt.Sprintf("approvals: %d of %d distinct approvers so far", g.Approved, g.Required))
	}
	if g.RequireDataLossAck {
		a.Facts = append(a.Facts, "data loss: the RPO estimate exceeds the objective; an approval must accept it (`--accept-data-loss`, `\"acceptDataLoss\": true`)")
	} else {
		a.Facts = append(a.Facts, "data loss: not to be accepted (the RPO estimate is within the objective)")
	}
	if len(g.Options) > 0 {
		a.Facts = append(a.Facts, "choices for `value`: "+codeList(g.Options))
	}
	flags := fmt.Sprintf("--workflow-id %s --gate %s", id, g.Name)
	approve := "starter approve " + flags
	if g.RequireDataLossAck {
		approve += " --accept-data-loss"
	}
	if !proven {
		approve += " --approver NAME"
	}
	a.Commands = append(a.Commands,
		AnswerCommand{"approve", approve},
		AnswerCommand{"reject (the run stops safely)", "starter approve " + flags + " --reject --comment WHY" + map[bool]string{true: "", false: " --approver NAME"}[proven]})
	payload := fmt.Sprintf("'%s'", approvalJSON(g))
	if proven {
		// A proven approval carries a token only starter approve can make with the approver's credentials.
		payload = fmt.Sprintf(`"$(%s --print-token)"`, approve)
	}
	a.Commands = append(a.Commands,
		AnswerCommand{"the same with the temporal CLI (the update answers with a refusal, if any)",
			fmt.Sprintf("temporal workflow update execute --workflow-id %s --name %s --input %s", id, UpdateApprove, payload)},
		AnswerCommand{"or the signal (a refusal shows only under refused signals here)",
			fmt.Sprintf("temporal workflow signal --workflow-id %s --name %s --input %s", id, SignalApprove, payload)})
	if proven {
		a.Facts = append(a.Facts, "payload to paste in the UI: the JSON `starter approve "+flags+" --print-token` prints, sent within 5 minutes, once")
	} else {
		a.Facts = append(a.Facts, "payload to paste in the UI: `"+approvalJSON(g)+"`")
	}
	return a
}

// approvalJSON is the payload of a typed-name approval of g.
func approvalJSON(g *GateStatus) string {
	ap := Approval{Gate: g.Name, Decision: "approve", Approver: "NAME", AcceptDataLoss: g.RequireDataLossAck}
	b, _ := json.Marshal(ap)
	return string(b)
}

func operatorAnswer(id string, s Status, step string) Answer {
	a := Answer{Title: fmt.Sprintf("answer step `%s`, paused for an operator", step)}
	actions := "retry|skip|abort"
	if rec := s.Step(step); rec != nil {
		a.Context, a.ContextTitle = lines(rec.Error), fmt.Sprintf("why step `%s` paused", step)
		if rec.Critical {
			actions = "retry|abort"
			a.Facts = append(a.Facts, "the step is critical: `retry` or `abort`, never `skip`")
		} else {
			a.Facts = append(a.Facts, "`retry`, `skip` (the step is not critical) or `abort`")
		}
	}
	payload, _ := json.Marshal(OperatorAction{Action: "retry", Step: step, Operator: "NAME"})
	a.Commands = []AnswerCommand{
		{"answer", fmt.Sprintf("starter operator --workflow-id %s --step %s --action %s --operator NAME", id, step, actions)},
		{"the same with the temporal CLI (the update answers with a refusal, if any)",
			fmt.Sprintf("temporal workflow update execute --workflow-id %s --name %s --input '%s'", id, UpdateOperator, payload)},
		{"or the signal", fmt.Sprintf("temporal workflow signal --workflow-id %s --name %s --input '%s'", id, SignalOperator, payload)},
	}
	a.Facts = append(a.Facts, "payload to paste in the UI: `"+string(payload)+"` (`action`: "+strings.ReplaceAll(actions, "|", ", ")+")")
	return a
}

// lines are the non-blank lines of s: a summary written one check per line stays one per line.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func codeList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "`" + x + "`"
	}
	return strings.Join(q, ", ")
}

// RecentRefusals is the latest n refused signals and updates, newest last, and how many older ones exist.
func RecentRefusals(s Status, n int) ([]string, int) {
	ig := s.Ignored
	older := s.IgnoredDropped
	if len(ig) > n {
		older += len(ig) - n
		ig = ig[len(ig)-n:]
	}
	return ig, older
}
