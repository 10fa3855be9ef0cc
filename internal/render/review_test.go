package render

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/workflows"
)

func TestDrillReviewHasTimelineObjectivesAndActionItemsForSlowSteps(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	steps := []workflows.StepRecord{
		{Name: "assess", Title: "1. Assess the situation", Started: t0, Ended: t0.Add(2 * time.Minute), Outcome: workflows.OutcomeOK, Budget: 5 * time.Minute, Attempts: 1},
		{Name: "activate", Title: "5. Activate services in us-west-2", Started: t0.Add(2 * time.Minute), Ended: t0.Add(27 * time.Minute), Outcome: workflows.OutcomeOK, Budget: 20 * time.Minute, Attempts: 2},
	}
	rep := workflows.DrillReport{RunSummary: workflows.RunSummary{Outcome: workflows.PhaseCompleted, StartedAt: t0, EndedAt: t0.Add(time.Hour)}, Mode: workflows.DrillInject, ModeReason: "awssim at http://127.0.0.1:4566",
		InjectedAt: t0, Recovery: workflows.Recovery{RTO: 31 * time.Minute, RTOObjective: time.Hour, RTOMet: true, RPO: 40 * time.Millisecond, RPOKnown: true, RPOObjective: 15 * time.Minute, RPOMet: true,
			Checklist: []workflows.ChecklistItem{{Section: "Performance", Item: "Database queries | perform normally", Status: "not-checked", Evidence: "no DSN"}}},
		Rows: workflows.StepRows("failover", steps), Lessons: []string{"activation is slow"},
		Failover:   &workflows.FailoverReport{Actions: []string{"route53 UPSERT api → us-west-2"}, RunSummary: workflows.RunSummary{Approvals: []workflows.Approval{{Gate: "failover", Decision: "approve", Approver: "auto", At: t0}}}},
		FailoverID: "failover-roadcall-prod"}
	md := DrillReview(ReviewMeta{WorkflowType: "DRDrill", WorkflowID: "drill-roadcall-prod", RunID: "r1", Platform: "roadcall-prod"}, rep)

	for _, h := range []string{"# Post-Incident Review: DR drill", "## 1. Timeline", "## 2. Root Cause", "## 3. Response", "## 4. Impact",
		"## 5. Lessons Learned", "## 6. Action Items", "## 7. Runbook Updates"} {
		require.Contains(t, md, h)
	}
	require.Contains(t, md, "| RTO | 31m0s | 1h0m0s | met |")
	require.Contains(t, md, "| RPO | 40ms | 15m0s | met |")
	require.Contains(t, md, "| 10:00:00.000 | failover | 1. Assess the situation | ok | 2m0s | 5m0s |")
	require.Contains(t, md, "| 10:02:00.000 | failover | 5. Activate services in us-west-2 | ok | 25m0s | 20m0s **OVER** |")
	require.Contains(t, md, `[ ] failover step "5. Activate services in us-west-2": took 25m0s against 20m0s`)
	require.NotContains(t, md, `step "1. Assess the situation": took`, "steps within budget get no action item")
	require.Contains(t, md, `Database queries \| perform normally`, "a pipe in a cell does not split the table")
	require.Contains(t, md, "[ ] Check by hand (software could not): Performance / Database queries | perform normally")
	require.Contains(t, md, "Gate `failover` approved by auto")
	require.Contains(t, md, "AWS change: failover (failover-roadcall-prod): route53 UPSERT api → us-west-2")
	require.Contains(t, md, "No customer impact: the outage was simulated.")
	require.Contains(t, md, "- activation is slow")
	require.Contains(t, md, `Budget of "5. Activate services in us-west-2": 20m0s in the runbook, 25m0s measured`)
}

func TestStatusReviewOfARefusedFailback(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	st := workflows.Status{Workflow: "Failback", Phase: workflows.PhaseRefused, StartedAt: t0, DetectedAt: t0, RTO: time.Hour,
		LastError: "verify-primary: failback of roadcall-prod refused, nothing was changed: no failover has happened",
		Steps:     []workflows.StepRecord{{Name: "verify-primary", Title: "1. Verify the primary region's health", Started: t0, Ended: t0.Add(time.Second), Outcome: workflows.OutcomeFailed, Budget: 15 * time.Minute}}}
	md := StatusReview(ReviewMeta{WorkflowType: "Failback", WorkflowID: "failback-roadcall-prod"}, st)
	require.Contains(t, md, "outcome **REFUSED**")
	require.Contains(t, md, "| RTO | not reached | 1h0m0s | — |")
	require.Contains(t, md, "no failover has happened")
	require.Contains(t, md, "The run ended refused.")
	require.Equal(t, 1, strings.Count(md, "| failback | 1. Verify the primary region's health | failed |"))
}
