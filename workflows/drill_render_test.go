package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/workflows"
)

// The reports of real drills, rendered: the review has one timeline row per step and the measured RTO, the
// terminal report says when a failing readiness check was overridden.

func TestDrillInjectModeReviewHasARowPerStepAndTheRTO(t *testing.T) {
	rep, topo := workflows.RunDrill(t, workflows.DrillRequest{Common: workflows.Common{AutoApprove: true, Initiator: "drill-captain"}})
	require.Equal(t, workflows.PhaseCompleted, rep.Outcome, render.DrillReport(rep))
	md := render.DrillReview(render.ReviewMeta{WorkflowType: "DRDrill", WorkflowID: "drill-" + topo.ID(), Platform: topo.ID()}, rep)
	require.Equal(t, len(rep.Rows), strings.Count(md, " | ok | "), "one timeline row per step:\n%s", md)
	require.Contains(t, md, "| RTO | "+rep.RTO.Round(time.Millisecond).String()+" | 1h0m0s | met |")
	t.Log(render.DrillReport(rep))
}

func TestDrillForcedPastFailingReadinessSaysSo(t *testing.T) {
	rep, _ := workflows.RunDrill(t, workflows.DrillRequest{Common: workflows.Common{AutoApprove: true}, Force: true}, awssim.Fault{Kind: awssim.FaultStaleBackups})
	require.Equal(t, workflows.PhaseCompleted, rep.Outcome, render.DrillReport(rep))
	require.Contains(t, render.DrillReport(rep), "drill forced on")
}
