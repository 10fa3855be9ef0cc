package starter

import (
	"context"
	"fmt"
	"time"

	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// outageCmd: starter watch --topology FILE [--every 30s] [--threshold 3] [--cooldown 1h]
//
// (watch.go is the starter's follower of runs; this is the outage watch workflow.)
func outageCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "watch")
	every := f.Duration("every", workflows.DefaultWatchEvery, "how often the primary region is evaluated from the DR side (at least 1s)")
	threshold := f.Int("threshold", workflows.DefaultWatchThreshold, "consecutive failing evaluations that page and start the failover (at least 1)")
	cooldown := f.Duration("cooldown", workflows.DefaultWatchCooldown, "least time between two failovers the watch starts (at least --every)")
	probe := f.Duration("probe-timeout", 0, "bound of each reachability probe (default half of --every, at most 5s)")
	window := f.Duration("failover-monitor-window", 0, "monitorWindow of the failover the watch starts (default: the topology's)")
	sf := f.starting("who starts the watch (recorded; the failovers it starts name outage-watch as their initiator)")
	if err := f.parse(args); err != nil {
		return err
	}
	topo, cm, err := sf.common()
	if err != nil {
		return err
	}
	ev, cd := topology.Duration(*every), topology.Duration(*cooldown)
	req := workflows.WatchRequest{Common: cm, Every: &ev, Threshold: threshold, Cooldown: &cd,
		ProbeTimeout: topology.Duration(*probe), FailoverMonitorWindow: topology.Duration(*window)}
	// The workflow's own first check, run here so that a bad request never starts anything.
	if err := req.Validate(); err != nil {
		return badInput("%v", err)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	id := workflows.WorkflowID(workflows.ScenarioWatch, topo)
	if _, err := e.start(ctx, c, id, fmt.Sprintf("outage watch of %s (primary %s)", topo.ID(), topo.PrimaryRegion), workflows.OutageWatch, &req); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Every %s it evaluates %s from %s; after %d failing evaluations in a row it pages and starts %s,\n"+
		"which waits at gate %q for people (no failover within %s of the last one).\n"+
		"  status:  temporal workflow query --workflow-id %s --name %s\n"+
		"  pause:   temporal workflow signal --workflow-id %s --name %s --input '{\"by\":\"NAME\",\"reason\":\"...\"}'\n"+
		"  resume:  temporal workflow signal --workflow-id %s --name %s\n"+
		"  stop:    temporal workflow cancel --workflow-id %s (changes nothing in AWS)\n",
		time.Duration(ev), topo.PrimaryRegion, topo.DRRegion, *threshold, workflows.WorkflowID(workflows.ScenarioFailover, topo),
		workflows.GateFailover, time.Duration(cd), id, workflows.QueryStatus, id, workflows.SignalPause, id, workflows.SignalResume, id)
	return nil
}
