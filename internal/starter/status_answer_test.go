package starter

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/workflows"
)

// starter status shows the same how-to-answer block as the Temporal UI, and the refused signals.
func TestPrintStatusShowsHowToAnswerAndRefusals(t *testing.T) {
	st := workflows.Status{Workflow: "RegionFailover", Phase: workflows.PhaseAwaitingApproval, Authority: &workflows.Authority{Identity: "names"},
		PendingGate: &workflows.GateStatus{Name: "failover", Summary: "Fail over", Deadline: time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC), RequireDataLossAck: true, Approvers: []string{"alice", "bob"}},
		Ignored:     []string{"approve signal ignored: approver: \"mallory\" is not an approver in the worker's policy (alice, bob)"}}
	var out bytes.Buffer
	printStatus(&out, "failover-roadcall-prod", st)
	s := out.String()
	for _, want := range []string{
		"WAITING  gate failover until 2026-01-01T03:00:00Z",
		"to approve gate failover:",
		"who may approve (typed names, unproven): alice, bob",
		"starter approve --workflow-id failover-roadcall-prod --gate failover --accept-data-loss --approver NAME\n",
		`temporal workflow update execute --workflow-id failover-roadcall-prod --name approve --input '{"gate":"failover","decision":"approve","approver":"NAME","acceptDataLoss":true}'`,
		`temporal workflow signal --workflow-id failover-roadcall-prod --name approve --input '{"gate":"failover"`,
		"REFUSED  1 signal(s), changing nothing:\n    - approve signal ignored: approver: \"mallory\"",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("status lacks %q:\n%s", want, s)
		}
	}
}
