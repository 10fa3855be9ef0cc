package starter

import (
	"context"
	"fmt"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// drillCmd: starter drill --topology FILE [--auto-approve] [--force] [--mode auto|inject|planned]
// [--monitor-window D] [--wait=false]
func drillCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "drill")
	auto := f.Bool("auto-approve", false, "approve the failover and failback gates as \"auto\"; without it people approve them as in a real event")
	force := f.Bool("force", false, "run even when the readiness check fails")
	mode := f.String("mode", workflows.DrillAuto, "auto (inject an outage on awssim, planned elsewhere), inject or planned (Aurora switchover, nothing injected)")
	window := f.Duration("monitor-window", 0, "how long traffic is watched after each DNS move (default: the topology's thresholds.monitorWindow)")
	sf := f.starting("who runs the drill (recorded; may not approve it under the two-person rule)")
	wait := f.Bool("wait", true, "watch the drill and print its report; --wait=false only starts it")
	if err := f.parse(args); err != nil {
		return err
	}
	topo, cm, err := sf.common()
	if err != nil {
		return err
	}
	cm.AutoApprove, cm.Drill = *auto, true
	req := workflows.DrillRequest{Common: cm, Mode: *mode, Force: *force, MonitorWindow: topology.Duration(*window)}
	if err := req.Validate(); err != nil {
		return badInput("%v", err)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	id := workflows.WorkflowID("drill", topo)
	run, err := e.start(ctx, c, id, fmt.Sprintf("DR drill of %s (%s)", topo.ID(), *mode), workflows.DRDrill, &req)
	if err != nil {
		return err
	}
	fo, fb := workflows.WorkflowID("failover", topo), workflows.WorkflowID("failback", topo)
	fmt.Fprintf(e.Out, "The drill runs RegionFailover as %s and Failback as %s; follow them with starter status.\n", fo, fb)
	if !*auto {
		fmt.Fprintf(e.Out, "Their gates wait for people:\n  starter approve --workflow-id %s --gate %s --approver NAME\n  starter approve --workflow-id %s --gate %s --approver NAME\n",
			fo, workflows.GateFailover, fb, workflows.GateFailback)
	}
	fmt.Fprintln(e.Out)
	if !*wait {
		return nil
	}
	var rep workflows.DrillReport
	if err := e.await(ctx, c, run, &rep); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "\n%s\nPost-incident review: starter report --workflow-id %s --run-id %s\n", render.DrillReport(rep), id, run.GetRunID())
	if rep.Outcome != workflows.PhaseCompleted {
		return failed("the drill of %s ended %s", topo.ID(), rep.Outcome)
	}
	return nil
}
