package workflows

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"

	"github.com/roadcall/dr/internal/topology"
)

// While the gate waits, current details are refreshed at each escalation tick (an existing timer; none is
// added for the display), so the "as of" time and the elapsed time move on with the run.
func TestDetailsRefreshAtEscalationTicks(t *testing.T) {
	s := newFailoverFake(t)
	interval := s.topo.Approvals.EscalationInterval.D()
	details := func() string {
		v, err := s.env.QueryWorkflow("__temporal_workflow_metadata")
		require.NoError(t, err)
		var md sdkpb.WorkflowMetadata
		require.NoError(t, v.Get(&md))
		return md.GetCurrentDetails()
	}
	var early, late string
	s.env.RegisterDelayedCallback(func() { early = details() }, time.Minute)
	s.env.RegisterDelayedCallback(func() { late = details() }, time.Minute+2*interval+time.Second)
	s.signal(time.Minute+3*interval, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{Common: Common{Initiator: "bob"}, MonitorWindow: topology.Duration(time.Minute)})
	require.Equal(t, PhaseCompleted, rep.Outcome)

	asOf := regexp.MustCompile(`as of (\d\d:\d\d:\d\d) UTC`)
	e, l := asOf.FindStringSubmatch(early), asOf.FindStringSubmatch(late)
	require.NotNil(t, e, early)
	require.NotNil(t, l, late)
	et, _ := time.Parse("15:04:05", e[1])
	lt, _ := time.Parse("15:04:05", l[1])
	require.GreaterOrEqual(t, lt.Sub(et), 2*interval-time.Minute, "details were not refreshed while the gate waited:\n%s\n---\n%s", early, late)
	require.Contains(t, late, "To approve gate `failover`")
	require.Regexp(t, `[1-9] escalations\)`, late)
}
