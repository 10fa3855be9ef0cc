package render

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/workflows"
)

// htmlFailover is a failover with a gate answered after 4 minutes, database and activate in parallel
// (activate the longer, and over its budget after an operator retry), then DNS and verify.
func htmlFailover() workflows.FailoverReport {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	steps := []workflows.StepRecord{
		{Name: "assess", Title: "1. Assess the situation", Started: m(0), Ended: m(2), Outcome: workflows.OutcomeOK, Budget: 5 * time.Minute, Attempts: 1},
		{Name: "notify", Title: "2. Activate the incident response team", Started: m(2), Ended: m(3), Outcome: workflows.OutcomeOK, Budget: 5 * time.Minute, Attempts: 1},
		{Name: "database", Title: "3. Fail Aurora over to us-west-2", Started: m(7), Ended: m(12), Outcome: workflows.OutcomeOK, Budget: 10 * time.Minute, Attempts: 1},
		{Name: "activate", Title: "5. Activate services <in> us-west-2", Started: m(7), Ended: m(30), Outcome: workflows.OutcomeOK, Budget: 20 * time.Minute, Attempts: 2},
		{Name: "dns", Title: "4. Cut DNS over to us-west-2", Started: m(30), Ended: m(32), Outcome: workflows.OutcomeOK, Budget: 5 * time.Minute, Attempts: 1},
		{Name: "verify", Title: "6. Verify services in us-west-2", Started: m(32), Ended: m(34), Outcome: workflows.OutcomeOK, Budget: 10 * time.Minute, Attempts: 1},
	}
	return workflows.FailoverReport{PrimaryRegion: "us-east-1", DRRegion: "us-west-2",
		RunSummary: workflows.RunSummary{Outcome: workflows.PhaseCompleted, StartedAt: t0, DetectedAt: t0, EndedAt: m(35), Steps: steps,
			Approvals: []workflows.Approval{{Gate: "failover", Decision: "approve", Approver: "arn:aws:iam::123456789012:user/alice", Proven: true, At: m(7), AcceptDataLoss: true}}},
		Recovery: workflows.Recovery{RTO: 34 * time.Minute, RTOObjective: time.Hour, RTOMet: true, RPO: 2 * time.Second, RPOKnown: true, RPOObjective: time.Minute, RPOMet: true,
			Checklist: []workflows.ChecklistItem{{Section: "Data", Item: "Aurora writer in us-west-2", Status: workflows.Pass, Evidence: "<b>writer</b> roadcall-aurora-prod-replica"}}},
		Actions: []string{"RDS FailoverGlobalCluster roadcall-global → roadcall-aurora-prod-replica --allow-data-loss"}}
}

func TestFailoverReviewHTMLHasChartChecklistApproversAndActions(t *testing.T) {
	page, err := FailoverReviewHTML(ReviewMeta{WorkflowType: "RegionFailover", WorkflowID: "failover-roadcall-prod", RunID: "r1", Platform: "roadcall-prod"}, htmlFailover())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	require.NotContains(t, page, "<script", "self-contained and inert")
	require.NotContains(t, page, "src=\"http", "nothing fetched")
	require.Contains(t, page, `<td id="rto">34m0s</td><td>1h0m0s</td><td class="met">met</td>`)
	require.Contains(t, page, `<td id="rpo">2s</td><td>1m0s</td><td class="met">met</td>`)
	require.Contains(t, page, "arn:aws:iam::123456789012:user/alice</td><td>proven by STS</td>")
	require.Contains(t, page, "approve (accepting data loss)")
	require.Contains(t, page, "RDS FailoverGlobalCluster roadcall-global → roadcall-aurora-prod-replica --allow-data-loss")
	require.Contains(t, page, "&lt;b&gt;writer&lt;/b&gt;", "AWS text is escaped, not markup")
	require.Contains(t, page, "5. Activate services &lt;in&gt; us-west-2")
	require.Contains(t, page, `class="over">20m0s OVER`)

	// The chart is well-formed SVG with a row per step, the gate's wait shaded and the retried step hatched.
	i, j := strings.Index(page, "<svg"), strings.Index(page, "</svg>")
	require.True(t, i > 0 && j > i)
	svg := page[i : j+len("</svg>")]
	d := xml.NewDecoder(strings.NewReader(svg))
	rows, gates, hatched := 0, 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the SVG parses as XML")
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				switch {
				case a.Name.Local == "class" && strings.HasPrefix(a.Value, "row "):
					rows++
				case a.Name.Local == "class" && a.Value == "gate":
					gates++
				case a.Name.Local == "fill" && a.Value == "url(#hatch)":
					hatched++
				}
			}
		}
	}
	require.Equal(t, 6, rows)
	require.Equal(t, 1, gates)
	require.Equal(t, 1, hatched)
	require.Contains(t, svg, "gate failover: approve by arn:aws:iam::123456789012:user/alice after 4m0s")
	require.Contains(t, svg, "115% of 20m0s")
}

// The critical path is the chain the RTO waited on: the parallel database step, shorter than activate, is
// not on it; every other step before validation is.
func TestCriticalPathSkipsTheShorterParallelStep(t *testing.T) {
	rep := htmlFailover()
	v := failoverReview(ReviewMeta{}, rep)
	on := criticalPath(v.rows, rep.DetectedAt, rep.DetectedAt.Add(rep.RTO))
	var names []string
	for i, r := range v.rows {
		if on[i] {
			names = append(names, r.Name)
		}
	}
	require.Equal(t, []string{"assess", "notify", "activate", "dns", "verify"}, names)
}
