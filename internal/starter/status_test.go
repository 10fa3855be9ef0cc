package starter

import (
	"bytes"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/roadcall/dr/workflows"
)

// The status view's timeline is the shared step table with the columns an operator needs while a run is
// going on: the step names that `starter operator --step` takes, when each started, its attempts.
func TestPrintStatusShowsTheStepTableWithNames(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	st := workflows.Status{Workflow: "RegionFailover", Phase: workflows.PhaseAwaitingOperator, CurrentStep: "activate", PausedSteps: []string{"activate"},
		Steps: []workflows.StepRecord{
			{Name: "assess", Title: "1. Assess the situation", Started: t0, Ended: t0.Add(7 * time.Minute), Outcome: workflows.OutcomeOK, Budget: 5 * time.Minute, Attempts: 1, Detail: "primary down"},
			{Name: "activate", Title: "5. Activate services in us-west-2", Started: t0.Add(7 * time.Minute), Outcome: workflows.OutcomeRunning, Budget: 20 * time.Minute, Attempts: 2, Error: "AccessDenied"},
		}}
	var out bytes.Buffer
	printStatus(&out, "failover-roadcall-prod", st)
	s := out.String()
	for _, want := range []string{
		"PAUSED   step activate: AccessDenied",
		"starter operator --workflow-id failover-roadcall-prod --step activate",
		"  NAME      STEP",
		"assess    1. Assess the situation",
		"7m0s  5m0s OVER",
		"primary down",
		"activate  5. Activate services in us-west-2",
		"AccessDenied",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("status lacks %q:\n%s", want, s)
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "5. Activate") && (!strings.Contains(line, " -  ") || !strings.Contains(line, " 2 ")) {
			t.Errorf("the running step has taken - so far and shows its 2 attempts: %q", line)
		}
	}
}

// A run the server terminated still has the status it last published, gate pending and all: starter
// status says TERMINATED with the last known step, and offers no approve command.
func TestPrintStatusOfATerminatedRunNeverOffersToApprove(t *testing.T) {
	st := workflows.Status{Workflow: "RegionFailover", Phase: workflows.PhaseAwaitingApproval, CurrentStep: "gate",
		PendingGate: &workflows.GateStatus{Name: "failover", Summary: "fail over?"}, PausedSteps: []string{"dns"}}
	x := execution{status: enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, closed: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	st, note := x.ended(st)
	var out bytes.Buffer
	printEnded(&out, "failover-roadcall-prod", st, note)
	s := out.String()
	if !strings.Contains(s, "phase    TERMINATED at ") || !strings.Contains(s, "last known: awaiting-approval, step gate") {
		t.Errorf("status does not say the run was terminated, and where:\n%s", s)
	}
	for _, never := range []string{"WAITING", "approve", "PAUSED", "starter operator"} {
		if strings.Contains(s, never) {
			t.Errorf("a terminated run's status offers %q:\n%s", never, s)
		}
	}
	if _, note := (execution{status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}).ended(st); note != "" {
		t.Errorf("a running run is not ended: %q", note)
	}
}
