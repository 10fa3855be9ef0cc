package starter

import (
	"context"
	"fmt"

	"github.com/roadcall/dr/internal/render"
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
	run, err := e.start(ctx, c, e.runID("readiness", topo), "DR readiness check for "+topo.ID(), workflows.ReadinessCheck, &req)
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
	render.Readiness(e.Out, topo.ID(), run.GetID(), rep)
	if rep.Fail > 0 {
		return failed("%d readiness check(s) failed for %s", rep.Fail, topo.ID())
	}
	return nil
}
