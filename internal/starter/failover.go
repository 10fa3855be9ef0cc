package starter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// failoverCmd: starter failover --topology FILE [--auto-approve] [--follow] [--initiator WHO]
// [--detected-at RFC3339] [--monitor-window D]
func failoverCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "failover")
	auto := f.Bool("auto-approve", false, "approve the failover gate as \"auto\" (drills); data loss over the RPO is then accepted too")
	follow := f.Bool("follow", false, "watch the run until it ends, showing each step live, and print the report")
	sf := f.starting("who starts the failover (recorded; may not approve it under the two-person rule)")
	detected := f.String("detected-at", "", "when the outage was detected, RFC 3339 (default: now); the RTO is measured from it")
	window := f.Duration("monitor-window", 0, "how long DR traffic is watched after the cutover (default: the topology's thresholds.monitorWindow)")
	prepare := f.String("prepare-before-gate", "", "true: activate the DR stacks while the gate waits (reverted if the gate does not open); false: not; default: the topology's stacks.prepareBeforeGate")
	if err := f.parse(args); err != nil {
		return err
	}
	topo, cm, err := sf.common()
	if err != nil {
		return err
	}
	cm.AutoApprove = *auto
	if s := strings.TrimSpace(*detected); s != "" {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return badInput("--detected-at %q is not an RFC 3339 time such as 2025-06-01T14:30:00Z", *detected)
		}
		if at.After(e.Now()) {
			return badInput("--detected-at %s is in the future", s)
		}
		cm.DetectedAt = &at
	}
	req := workflows.FailoverRequest{Common: cm, MonitorWindow: topology.Duration(*window)}
	switch *prepare {
	case "":
	case "true", "false":
		v := *prepare == "true"
		req.PrepareBeforeGate = &v
	default:
		return badInput("--prepare-before-gate %q is not true or false", *prepare)
	}
	// The workflow's own first check, run here so that a bad request never starts anything.
	if err := req.Validate(); err != nil {
		return badInput("%v", err)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	id := workflows.WorkflowID("failover", topo)
	run, err := e.start(ctx, c, id, fmt.Sprintf("region failover of %s from %s to %s", topo.ID(), topo.PrimaryRegion, topo.DRRegion), workflows.RegionFailover, &req)
	if err != nil {
		return err
	}
	if !*auto {
		fmt.Fprintf(e.Out, "The run assesses both regions, then waits at gate %q:\n  starter approve --workflow-id %s --gate %s --approver NAME\n\n", workflows.GateFailover, id, workflows.GateFailover)
	}
	if !*follow {
		return nil
	}
	var rep workflows.FailoverReport
	if err := e.await(ctx, c, run, &rep); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "\n%s", render.FailoverReport(rep))
	if rep.Outcome != workflows.PhaseCompleted {
		return failed("the failover of %s ended %s", topo.ID(), rep.Outcome)
	}
	return nil
}
