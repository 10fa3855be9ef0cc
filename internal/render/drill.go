package render

import (
	"fmt"
	"strings"

	"github.com/roadcall/dr/workflows"
)

// DrillReport renders a drill report for terminals: the figures, the timeline of the drill and of each
// child, the checklist and the lessons.
func DrillReport(r workflows.DrillReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "DR drill (%s, %s mode): %s\n", r.Scenario, r.Mode, strings.ToUpper(r.Outcome))
	if rs := r.Readiness; rs != nil {
		forced := ""
		if r.Forced && rs.Overall == workflows.Fail {
			forced = ", drill forced on"
		}
		fmt.Fprintf(&b, "Readiness %s (%d pass, %d warn, %d fail)%s\n", strings.ToUpper(rs.Overall), rs.Pass, rs.Warn, rs.Fail, forced)
	}
	Recovery(&b, "RTO", r.Recovery, "")
	b.WriteString("Drill steps:\n")
	Steps(&b, r.Steps)
	if fo := r.Failover; fo != nil {
		fmt.Fprintf(&b, "\nRegionFailover %s:\n", r.FailoverID)
		Preparation(&b, fo.Preparation)
		Steps(&b, fo.Steps)
	}
	if fb := r.Failback; fb != nil {
		fmt.Fprintf(&b, "\nFailback %s:\n", r.FailbackID)
		Steps(&b, fb.Steps)
	}
	Checklist(&b, r.Checklist)
	b.WriteString("\nLessons:\n")
	for _, l := range r.Lessons {
		fmt.Fprintf(&b, "  - %s\n", l)
	}
	return b.String()
}
