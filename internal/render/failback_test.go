package render

import (
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/workflows"
)

func TestFailbackReport(t *testing.T) {
	rep := workflows.FailbackReport{PrimaryRegion: "us-east-1", DRRegion: "us-west-2", AuroraPath: workflows.AuroraSwitchover,
		RunSummary: workflows.RunSummary{Outcome: workflows.PhaseCompleted},
		Recovery:   workflows.Recovery{RTO: 14 * time.Minute, RTOObjective: time.Hour, RTOMet: true, RPOKnown: true, RPOObjective: 15 * time.Minute, RPOMet: true},
		Actions:    []string{"rds SwitchoverGlobalCluster: switching"}}
	s := FailbackReport(rep)
	for _, want := range []string{
		"Failback us-west-2 → us-east-1: COMPLETED\n",
		"Back in service after 14m0s (objective 1h0m0s, met)\nRPO 0s by Aurora switchover (objective 15m0s, met)\n",
		"STEP", "Changes made in AWS:\n  - rds SwitchoverGlobalCluster: switching",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}
