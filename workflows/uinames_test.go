package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// "escalation N of M": M is how many timers the gate's wait takes, the last one cut short at the deadline.
func TestEscalationsCountTheGateTimers(t *testing.T) {
	for _, c := range []struct {
		wait, interval time.Duration
		want           int
	}{
		{30 * time.Minute, 5 * time.Minute, 6},
		{31 * time.Minute, 5 * time.Minute, 7},
		{4 * time.Minute, 5 * time.Minute, 1},
		{time.Minute, 0, 1},
	} {
		require.Equal(t, c.want, escalations(c.wait, c.interval), "%s every %s", c.wait, c.interval)
	}
}

// The drill's current details link each child's UI page by workflow and run ID, one per line.
func TestChildLinesLinkEachChild(t *testing.T) {
	require.Empty(t, childLines("default", nil))
	got := childLines("default", []ChildRun{{Step: "failover", Workflow: WorkflowRegionFailover, WorkflowID: "failover-roadcall-prod", RunID: "r1"},
		{Step: "failback", Workflow: WorkflowFailback, WorkflowID: "failback-roadcall-prod", RunID: "r2"}})
	require.Equal(t, "\nChildren:\n"+
		"- RegionFailover (`failover`): [failover-roadcall-prod](/namespaces/default/workflows/failover-roadcall-prod/r1/history)\n"+
		"- Failback (`failback`): [failback-roadcall-prod](/namespaces/default/workflows/failback-roadcall-prod/r2/history)\n", got)
}
