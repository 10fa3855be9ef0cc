package render

import (
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/workflows"
)

func TestFailoverReport(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 14, 0, 0, 0, time.UTC)
	rep := workflows.FailoverReport{PrimaryRegion: "us-east-1", DRRegion: "us-west-2",
		RunSummary: workflows.RunSummary{Outcome: workflows.PhaseCompleted, Notes: []string{"AWS: route53 UPSERT", "gate approved"},
			Steps: []workflows.StepRecord{
				{Name: "activate", Title: "5. Activate services in us-west-2", Outcome: workflows.OutcomeOK, Started: t0, Ended: t0.Add(25 * time.Minute), Budget: 20 * time.Minute, Detail: "4 stacks"},
				{Name: "communicate", Title: "8. Communicate status", Outcome: workflows.OutcomeOK, Started: t0, Ended: t0.Add(time.Second)},
			}},
		Recovery: workflows.Recovery{RTO: 28 * time.Minute, RTOObjective: time.Hour, RTOMet: true,
			RPO: 40 * time.Millisecond, RPOKnown: true, RPOObjective: 15 * time.Minute, RPOMet: true,
			Checklist: []workflows.ChecklistItem{{Section: "Functional Tests", Item: "API endpoints respond correctly", Status: workflows.Pass, Evidence: "GET → 200"}}},
		Actions: []string{"route53 UPSERT api → us-west-2"}}
	s := FailoverReport(rep)
	for _, want := range []string{
		"RegionFailover us-east-1 → us-west-2: COMPLETED\n",
		// RegionFailover's RTO of 28 minutes against the 1 h objective (the workflow test's run).
		"RTO 28m0s (objective 1h0m0s, met)\nRPO 40ms estimated (objective 15m0s, met)\n",
		"STEP", "20m0s OVER", "Changes made in AWS:\n  - route53 UPSERT api → us-west-2",
		"[pass] Functional Tests / API endpoints respond correctly — GET → 200", "note: gate approved",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "note: AWS:") {
		t.Errorf("AWS notes are listed as changes, not notes:\n%s", s)
	}
	rep.Recovery = workflows.Recovery{}
	if s := FailoverReport(rep); !strings.Contains(s, "RTO not reached\nRPO unknown\n") {
		t.Errorf("a run that never validated:\n%s", s)
	}
}

func TestFailoverReportShowsThePreparation(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 14, 0, 0, 0, time.UTC)
	rep := workflows.FailoverReport{Preparation: &workflows.Preparation{Started: t0, Ready: t0.Add(20 * time.Minute), GateWait: 10 * time.Minute, Overlap: 10 * time.Minute}}
	if s := FailoverReport(rep); !strings.Contains(s, "Prepared before the gate: activation took 20m0s; 10m0s of it overlapped the 10m0s gate wait\n") {
		t.Errorf("overlap missing:\n%s", s)
	}
	rep.Preparation.Reverted, rep.Preparation.RevertReason = true, "gate failover rejected"
	if s := FailoverReport(rep); !strings.Contains(s, "Preparation reverted (gate failover rejected): the DR stacks are back as they were\n") {
		t.Errorf("revert missing:\n%s", s)
	}
	rep.Preparation = &workflows.Preparation{NotPrepared: "the assessment did not find us-west-2 healthy"}
	if s := FailoverReport(rep); !strings.Contains(s, "Prepared before the gate: no, the assessment did not find us-west-2 healthy\n") {
		t.Errorf("not prepared missing:\n%s", s)
	}
}
