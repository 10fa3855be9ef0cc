package render

import (
	"fmt"
	"strings"

	"github.com/roadcall/dr/workflows"
)

// FailoverReport renders RegionFailover's report for terminals: outcome, RTO and RPO, the timeline, the
// changes made in AWS, the checklist and the notes.
func FailoverReport(r workflows.FailoverReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "RegionFailover %s → %s: %s\n", r.PrimaryRegion, r.DRRegion, strings.ToUpper(r.Outcome))
	Recovery(&b, "RTO", r.Recovery, "estimated ")
	Preparation(&b, r.Preparation)
	Steps(&b, r.Steps)
	Actions(&b, r.Actions)
	Checklist(&b, r.Checklist)
	Approvals(&b, r.RunSummary)
	Notes(&b, r.Notes)
	return b.String()
}
