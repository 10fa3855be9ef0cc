package render

import (
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/workflows"
)

func TestCorruptionReport(t *testing.T) {
	at := time.Date(2025, 6, 1, 14, 25, 0, 0, time.UTC)
	started := at.Add(5 * time.Minute)
	rep := workflows.CorruptionReport{
		RunSummary: workflows.RunSummary{Outcome: workflows.PhaseAborted, Notes: []string{"gate cutover timed out"},
			Steps: []workflows.StepRecord{{Name: "assess", Title: "Assess damage", Outcome: workflows.OutcomeOK, Started: started, Ended: started.Add(20 * time.Minute), Budget: 15 * time.Minute}}},
		Message: "Run aborted. WRITES ARE STILL STOPPED (api-throttle).", WriteStopMode: "api-throttle", WritesStopped: true,
		WriteStops:          []workflows.WriteStop{{Resource: "abc123/prod", Recorded: true, PriorThrottle: &activities.StageThrottle{Set: true, RateLimit: 10000, BurstLimit: 5000}}},
		CorruptionStartedAt: started, ProposedRestoreTime: at, RestoreTime: at,
		Restored: []workflows.RestoredResource{{Kind: "dynamodb-table", Source: "users", Target: "users-restored-202506011425", Requested: true, Status: "ACTIVE"},
			{Kind: "dynamodb-table", Source: "incidents", Target: "incidents-restored-202506011425"}},
		Differences: []string{"users: the restore has 18 items, the source 20"},
		CutoverPlan: []string{"users → users-restored-202506011425: svc.USERS_TABLE"},
	}
	out := CorruptionReport(rep)
	for _, want := range []string{
		"DataCorruptionRecovery: ABORTED\nRun aborted. WRITES ARE STILL STOPPED (api-throttle).\n\n",
		"corruption started 2025-06-01T14:30:00Z, proposed restore point 2025-06-01T14:25:00Z, restored to 2025-06-01T14:25:00Z\n",
		"writes (api-throttle): stopped at the end = true\n",
		"abc123/prod", "previous rate 10000/s burst 5000", "resumed false",
		"restored dynamodb-table   users -> users-restored-202506011425 (ACTIVE)\n",
		"difference: users: the restore has 18 items, the source 20\n",
		"cutover: users → users-restored-202506011425: svc.USERS_TABLE\n",
		"Assess damage", "15m0s OVER",
		"note: gate cutover timed out\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "incidents-restored") {
		t.Errorf("a restore that was never started is listed:\n%s", out)
	}

	rep.RestoreTime = time.Time{}
	if out := CorruptionReport(rep); !strings.Contains(out, "restored to nothing (no restore point was agreed)\n") {
		t.Errorf("no restore time:\n%s", out)
	}
}
