package render

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/workflows"
)

func TestDegradationReportNothingToDo(t *testing.T) {
	start := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	rep := workflows.DegradationReport{Region: "us-east-1", Result: workflows.DegNothingToDo, Affected: []workflows.AffectedResource{},
		RunSummary: workflows.RunSummary{Outcome: workflows.PhaseCompleted, Notes: []string{"no function or table in us-east-1 is over its thresholds"},
			Steps: []workflows.StepRecord{{Name: "identify", Title: "1. Identify affected services", Outcome: workflows.OutcomeOK,
				Started: start, Ended: start.Add(6 * time.Minute), Budget: 5 * time.Minute, Detail: "0 affected, 0 symptoms in us-east-1: none"}}}}
	out := DegradationReport(rep)
	require.True(t, strings.HasPrefix(out, "PartialDegradation in us-east-1: NOTHING-TO-DO (completed)\n"), out)
	for _, want := range []string{"STEP", "1. Identify affected services", "5m0s OVER", "0 affected, 0 symptoms in us-east-1: none",
		"No function, table or API over its thresholds.\n", "note: no function or table in us-east-1 is over its thresholds\n"} {
		require.Contains(t, out, want)
	}
	for _, absent := range []string{"Plan:", "Watch:", "Reverted by", "Restore by hand:", "Fallback:"} {
		require.NotContains(t, out, absent)
	}
}

func TestDegradationReportKeptScaled(t *testing.T) {
	n := int32(500)
	rep := workflows.DegradationReport{Region: "us-east-1", Result: workflows.DegRecoveredKept, KeptScaled: true,
		RunSummary: workflows.RunSummary{Outcome: workflows.PhaseCompleted},
		Affected: []workflows.AffectedResource{{Kind: "function", Name: "f", Region: "us-east-1", Severity: workflows.SeverityMajor,
			Evidence: []workflows.Evidence{{Metric: "AWS/Lambda Errors", Stat: "Sum", Value: 29, Threshold: 10, Unit: "per minute", Breached: true}}}},
		Symptoms: []workflows.AffectedResource{{Kind: "api", Name: "api", Region: "us-east-1", Severity: workflows.SeverityMinor,
			Evidence: []workflows.Evidence{{Metric: "AWS/ApiGateway 5XXError", Stat: "Average", Value: 0.08, Threshold: 0.05, Unit: "rate", Breached: true}}}},
		Fallback: &workflows.FallbackCheck{State: "fallback answering (HTTP 200): degraded mode is serving"},
		Plan:     []workflows.ScalingAction{{Kind: workflows.ActionLambdaConcurrency, Resource: "f", Region: "us-east-1", Reserved: &n}},
		Previous: []workflows.ScalingAction{{Kind: workflows.ActionDynamoCapacity, Resource: "t", Region: "us-east-1",
			Capacity: &activities.TableCapacity{BillingMode: activities.BillingPayPerRequest}}},
		Applied:         []string{"Lambda f in us-east-1: reserved concurrency 500"},
		Watch:           workflows.WatchSummary{Polls: 3, HealthyStreak: 3, HealthyPeriods: 3, Recovered: true},
		RestoreCommands: []string{"aws lambda delete-function-concurrency --function-name f --region us-east-1"},
	}
	out := DegradationReport(rep)
	for _, want := range []string{
		"PartialDegradation in us-east-1: RECOVERED-KEPT (completed)\n",
		"  MAJOR function f [us-east-1]: AWS/Lambda Errors Sum 29 > 10 per minute\n  MINOR api api [us-east-1]: AWS/ApiGateway 5XXError Average 0.08 > 0.05 rate\n",
		"Fallback: fallback answering (HTTP 200): degraded mode is serving\n",
		"Plan:\n  Lambda f in us-east-1: reserved concurrency 500\n",
		"Recorded before scaling:\n  DynamoDB t in us-east-1: PAY_PER_REQUEST (on-demand)\n",
		"Applied:\n  Lambda f in us-east-1: reserved concurrency 500\n",
		"Watch: 3 polls, healthy streak 3/3, 0 escalations, recovered true\n",
		"Restore by hand:\n  aws lambda delete-function-concurrency --function-name f --region us-east-1\n",
	} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "No function, table or API")
	require.NotContains(t, out, "Reverted by")
}

func TestDegradationReportReverted(t *testing.T) {
	rep := workflows.DegradationReport{Region: "us-west-2", Result: workflows.DegReverted, Reverted: true, RevertedBy: "run cancelled",
		RunSummary:      workflows.RunSummary{Outcome: workflows.PhaseCancelled},
		RevertedActions: []string{"Lambda f in us-west-2: no reserved concurrency", "DynamoDB t in us-west-2: PAY_PER_REQUEST (on-demand)"}}
	out := DegradationReport(rep)
	require.Contains(t, out, "PartialDegradation in us-west-2: REVERTED (cancelled)\n")
	require.Contains(t, out, "Reverted by run cancelled\nRestored:\n  Lambda f in us-west-2: no reserved concurrency\n  DynamoDB t in us-west-2: PAY_PER_REQUEST (on-demand)\n")
	require.NotContains(t, out, "Restore by hand")
}
