package render

import (
	"fmt"
	"strings"

	"github.com/roadcall/dr/workflows"
)

// DegradationReport renders a PartialDegradation report for terminals: the result, the timeline, what was
// over threshold, the plan, what was recorded, applied and restored, and the commands left to run by hand.
func DegradationReport(r workflows.DegradationReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "PartialDegradation in %s: %s (%s)\n\n", r.Region, strings.ToUpper(r.Result), r.Outcome)
	Steps(&b, r.Steps)
	if len(r.Affected)+len(r.Symptoms) == 0 {
		b.WriteString("\nNo function, table or API over its thresholds.\n")
	} else {
		b.WriteString("\n")
	}
	for _, ar := range append(append([]workflows.AffectedResource{}, r.Affected...), r.Symptoms...) {
		fmt.Fprintf(&b, "  %s\n", ar)
	}
	if r.Fallback != nil {
		fmt.Fprintf(&b, "Fallback: %s\n", r.Fallback.State)
	}
	section := func(title string, items []string) {
		if len(items) > 0 {
			fmt.Fprintf(&b, "%s:\n  %s\n", title, strings.Join(items, "\n  "))
		}
	}
	var plan, prev []string
	for _, p := range r.Plan {
		plan = append(plan, p.String())
	}
	for _, p := range r.Previous {
		prev = append(prev, p.String())
	}
	section("Plan", plan)
	section("Recorded before scaling", prev)
	section("Applied", r.Applied)
	if r.Watch.Polls > 0 {
		fmt.Fprintf(&b, "Watch: %d polls, healthy streak %d/%d, %d escalations, recovered %v\n", r.Watch.Polls, r.Watch.HealthyStreak, r.Watch.HealthyPeriods, r.Watch.Escalations, r.Watch.Recovered)
	}
	if r.Reverted {
		fmt.Fprintf(&b, "Reverted by %s\n", r.RevertedBy)
		section("Restored", r.RevertedActions)
	}
	section("Restore by hand", r.RestoreCommands)
	Approvals(&b, r.RunSummary)
	Notes(&b, r.Notes)
	return b.String()
}
