package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/workflows"
)

// CorruptionReport renders a DataCorruptionRecovery result for terminals: whether writes are still
// stopped comes first after the outcome, since that is what someone has to act on.
func CorruptionReport(r workflows.CorruptionReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "DataCorruptionRecovery: %s\n%s\n\n", strings.ToUpper(r.Outcome), r.Message)
	restored := "nothing (no restore point was agreed)"
	if !r.RestoreTime.IsZero() {
		restored = r.RestoreTime.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(&b, "corruption started %s, proposed restore point %s, restored to %s\n", r.CorruptionStartedAt.Format(time.RFC3339),
		r.ProposedRestoreTime.Format(time.RFC3339), restored)
	fmt.Fprintf(&b, "writes (%s): stopped at the end = %v\n", r.WriteStopMode, r.WritesStopped)
	for _, ws := range r.WriteStops {
		fmt.Fprintf(&b, "  %-40s previous %-30s resumed %v\n", ws.Resource, ws.Previous(), ws.Resumed)
		if a := ws.Alias; a != nil {
			// Through an alias, what the traffic runs is the alias's version, not $LATEST.
			now := "version " + a.Serving
			if a.Resumed != nil {
				now = a.Resumed.String()
			}
			fmt.Fprintf(&b, "  %-40s alias %s: was %s, now %s\n", "", a.Name, a.Prior, now)
		}
	}
	for _, res := range r.Restored {
		if res.Requested {
			fmt.Fprintf(&b, "restored %-16s %s -> %s (%s)\n", res.Kind, res.Source, res.Target, res.Status)
		}
	}
	for _, d := range r.Differences {
		fmt.Fprintf(&b, "difference: %s\n", d)
	}
	for _, p := range r.CutoverPlan {
		fmt.Fprintf(&b, "cutover: %s\n", p)
	}
	b.WriteString("\n")
	Steps(&b, r.Steps)
	Approvals(&b, r.RunSummary)
	Notes(&b, r.Notes)
	return b.String()
}
