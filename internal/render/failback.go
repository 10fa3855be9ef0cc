package render

import (
	"fmt"
	"strings"

	"github.com/roadcall/dr/workflows"
)

// FailbackReport renders Failback's report for terminals: outcome, time back in service and RPO (and the
// Aurora path that vouches for it), the timeline, the changes made in AWS and the notes.
func FailbackReport(r workflows.FailbackReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Failback %s → %s: %s\n", r.DRRegion, r.PrimaryRegion, strings.ToUpper(r.Outcome))
	Recovery(&b, "Back in service after", r.Recovery, "by Aurora "+r.AuroraPath+" ")
	Steps(&b, r.Steps)
	Actions(&b, r.Actions)
	Approvals(&b, r.RunSummary)
	Notes(&b, r.Notes)
	return b.String()
}
