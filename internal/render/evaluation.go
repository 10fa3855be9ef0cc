package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/roadcall/dr/workflows"
)

// Evaluation prints a PlanEvaluation report: the rows as Readiness prints them, then what changed since the
// previous evaluation and whether it paged.
func Evaluation(w io.Writer, platform, id string, rep workflows.EvaluationReport) {
	Readiness(w, "", "", workflows.ReadinessReport{Overall: rep.Overall, Rows: rep.Rows, Pass: rep.Pass, Warn: rep.Warn, Fail: rep.Fail})
	fmt.Fprintf(w, "\nPlan evaluation for %s, workflow %s; IAM simulated for %s\n", platform, id, orDash(rep.Principal))
	prev := rep.PreviousSource
	if rep.Previous != nil && rep.Previous.WorkflowID != "" {
		prev += " (" + rep.Previous.WorkflowID + ")"
	}
	fmt.Fprintf(w, "Compared with the previous evaluation: %s\n", prev)
	if len(rep.Changes) == 0 {
		fmt.Fprintln(w, "No change since then: nothing paged.")
	} else {
		fmt.Fprintf(w, "Changes (%d):\n", len(rep.Changes))
		for _, c := range rep.Changes {
			from := c.From
			if from == "" {
				from = "none"
			}
			fmt.Fprintf(w, "  %s %s: %s -> %s\n", c.Check, c.Resource, strings.ToUpper(from), strings.ToUpper(c.To))
		}
		if rep.Paged {
			fmt.Fprintln(w, "The changes were published to the alarm topic.")
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
