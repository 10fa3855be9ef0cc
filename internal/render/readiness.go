package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/roadcall/dr/workflows"
)

// Readiness prints the readiness report as a table, then the reason of every row that is not a pass, so the
// reasons stay readable instead of breaking the columns. Platform and workflow ID head the report when given.
func Readiness(w io.Writer, platform, id string, rep workflows.ReadinessReport) {
	head := "DR readiness"
	if platform != "" {
		head += " for " + platform
	}
	fmt.Fprintf(w, "%s: %s  (%d pass, %d warn, %d fail)", head, strings.ToUpper(rep.Overall), rep.Pass, rep.Warn, rep.Fail)
	if id != "" {
		fmt.Fprintf(w, "  workflow %s", id)
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tCHECK\tRESOURCE\tOBSERVED\tTHRESHOLD")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strings.ToUpper(r.Status), r.Check, r.Resource, r.Observed, r.Threshold)
	}
	_ = tw.Flush()
	var why []string
	for _, r := range rep.Rows {
		if r.Status != workflows.Pass && r.Reason != "" {
			why = append(why, fmt.Sprintf("  %s %s %s: %s", strings.ToUpper(r.Status), r.Check, r.Resource, r.Reason))
		}
	}
	if len(why) > 0 {
		fmt.Fprintf(w, "\nWhy:\n%s\n", strings.Join(why, "\n"))
	}
	if rep.Alarmed {
		fmt.Fprintln(w, "\nThe failing checks were published to the alarm topic.")
	}
}

// ReadinessReport is Readiness as a string, for logs and test messages that have no platform or ID at hand.
func ReadinessReport(rep workflows.ReadinessReport) string {
	var b strings.Builder
	Readiness(&b, "", "", rep)
	return b.String()
}
