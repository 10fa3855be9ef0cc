package render

import (
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/workflows"
)

// A report lists the refused signals with their reasons; a terminal status shows how to answer a gate.
func TestReportListsRefusalsAndStatusSaysHowToAnswer(t *testing.T) {
	rep := workflows.FailoverReport{RunSummary: workflows.RunSummary{Outcome: workflows.PhaseCompleted, IgnoredDropped: 2,
		Ignored: []string{`approve signal ignored: token: missing; an approval counts only from a proven identity`}}}
	s := FailoverReport(rep)
	if !strings.Contains(s, "Refused signals (3, changing nothing; the oldest 2 not kept):\n- approve signal ignored: token: missing") {
		t.Errorf("report does not list the refusal:\n%s", s)
	}
	st := workflows.Status{Workflow: workflows.WorkflowRegionFailover, Authority: &workflows.Authority{Identity: "sts"},
		PendingGate: &workflows.GateStatus{Name: "failover", Summary: "Fail over.\nDynamoDB: 2/2 ACTIVE", Deadline: time.Now(), Approvers: []string{"arn:aws:iam::1:user/alice"}}}
	var b strings.Builder
	Answers(&b, "  ", "failover-x", st)
	for _, want := range []string{"  to approve gate failover:\n", "    Fail over.\n    DynamoDB: 2/2 ACTIVE\n", "arn:aws:iam::1:user/alice",
		"    starter approve --workflow-id failover-x --gate failover\n",
		`temporal workflow update execute --workflow-id failover-x --name approve --input "$(starter approve --workflow-id failover-x --gate failover --print-token)"`,
		"temporal workflow signal --workflow-id failover-x --name approve"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("how-to-answer lacks %q:\n%s", want, b.String())
		}
	}
}
