package starter

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/roadcall/dr/workflows"
)

// readinessCmd: starter readiness --topology FILE [--wait=false]
func readinessCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "readiness")
	wait := f.Bool("wait", true, "watch the run and print the report; --wait=false only starts it")
	sf := f.starting("who starts the check (recorded in the run)")
	if err := f.parse(args); err != nil {
		return err
	}
	topo, cm, err := sf.common()
	if err != nil {
		return err
	}
	req := workflows.ReadinessRequest{Common: cm}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := e.start(ctx, c, e.runID("readiness", topo), "DR readiness check for "+topo.ID(), workflows.ReadinessCheck, req)
	if err != nil {
		return err
	}
	if !*wait {
		return nil
	}
	var rep workflows.ReadinessReport
	if err := e.await(ctx, c, run, &rep); err != nil {
		return err
	}
	fmt.Fprintln(e.Out)
	printReadiness(e.Out, topo.ID(), run.GetID(), rep)
	if rep.Fail > 0 {
		return failed("%d readiness check(s) failed for %s", rep.Fail, topo.ID())
	}
	return nil
}

// printReadiness prints the report as a table, then the reason of every row that is not a pass, so the
// reasons stay readable instead of breaking the columns.
func printReadiness(w io.Writer, platform, id string, rep workflows.ReadinessReport) {
	fmt.Fprintf(w, "DR readiness for %s: %s  (%d pass, %d warn, %d fail)  workflow %s\n\n",
		platform, strings.ToUpper(rep.Overall), rep.Pass, rep.Warn, rep.Fail, id)
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
