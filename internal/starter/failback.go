package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// failbackCmd: starter failback --topology FILE [--auto-approve] [--follow] [--initiator WHO]
// [--monitor-window D] [--restore-dr-mode STACK=VALUE,...]
func failbackCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "failback")
	auto := f.Bool("auto-approve", false, "approve the failback (and rebuild) gates as \"auto\" (drills)")
	follow := f.Bool("follow", false, "watch the run until it ends, showing each step live, and print the report")
	sf := f.starting("who starts the failback (recorded; may not approve it under the two-person rule)")
	window := f.Duration("monitor-window", 0, "how long primary traffic is watched after DNS moves back (default: the topology's thresholds.monitorWindow)")
	restore := f.String("restore-dr-mode", "", "DR-mode values the DR stacks had before the failover, STACK=VALUE,... (default: every stack back to false)")
	if err := f.parse(args); err != nil {
		return err
	}
	topo, cm, err := sf.common()
	if err != nil {
		return err
	}
	cm.AutoApprove = *auto
	req := workflows.FailbackRequest{Common: cm, MonitorWindow: topology.Duration(*window)}
	if s := strings.TrimSpace(*restore); s != "" {
		req.RestoreDRMode = map[string]string{}
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" {
				return badInput("--restore-dr-mode %q: want STACK=VALUE pairs separated by commas", *restore)
			}
			req.RestoreDRMode[k] = v
		}
	}
	if err := req.Validate(); err != nil {
		return badInput("%v", err)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	id := workflows.WorkflowID("failback", topo)
	run, err := e.start(ctx, c, id, fmt.Sprintf("failback of %s from %s to %s", topo.ID(), topo.DRRegion, topo.PrimaryRegion), workflows.Failback, &req)
	if err != nil {
		return err
	}
	// The pre-check reads AWS before anything changes and decides in seconds whether there is anything to
	// fail back; it is awaited here so that a refusal reaches the operator, not only the history.
	if err := e.awaitPrecheck(ctx, c, run); err != nil {
		return err
	}
	if !*auto {
		fmt.Fprintf(e.Out, "The run checks that the data is in sync, then waits at gate %q:\n  starter approve --workflow-id %s --gate %s --approver NAME\n\n",
			workflows.GateFailback, id, workflows.GateFailback)
	}
	if !*follow {
		return nil
	}
	var rep workflows.FailbackReport
	if err := e.await(ctx, c, run, &rep); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "\n%s", render.FailbackReport(rep))
	if rep.Outcome != workflows.PhaseCompleted {
		return failed("the failback of %s ended %s", topo.ID(), rep.Outcome)
	}
	return nil
}

// precheckStep is Failback's first step: its end says whether the run goes on or was refused.
const precheckStep = "verify-primary"

// awaitPrecheck waits until the failback's pre-check has passed, or the run has ended; a refusal exits 3
// with the workflow's reason.
func (e *Env) awaitPrecheck(ctx context.Context, c client.Client, run client.WorkflowRun) error {
	done := make(chan error, 1)
	go func() { done <- run.Get(ctx, nil) }()
	tick := time.NewTicker(e.PollInterval)
	defer tick.Stop()
	hinted := false
	start := e.Now()
	for {
		select {
		case err := <-done:
			var ae *temporal.ApplicationError
			if errors.As(err, &ae) && ae.Type() == workflows.ErrFailbackRefused {
				return &exitError{ExitRefused, errors.New(ae.Message())}
			}
			if err != nil {
				if workflows.IsInvalidRequest(err) {
					return badInput("the workflow refused the request: %v", rootMessage(err))
				}
				return fmt.Errorf("workflow %s: %v", run.GetID(), rootMessage(err))
			}
			return nil
		case <-tick.C:
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			st, err := queryStatus(qctx, c, run.GetID(), run.GetRunID())
			cancel()
			if err != nil {
				if !hinted && e.Now().Sub(start) > 15*time.Second {
					hinted = true
					fmt.Fprintf(e.Out, "%s  no answer to the status query for 15s: is a worker running on task queue %s? (%v)\n",
						clock(e.Now()), workflows.TaskQueue, rootMessage(err))
				}
				continue
			}
			if s := st.Step(precheckStep); s != nil && s.Outcome == workflows.OutcomeOK {
				fmt.Fprintf(e.Out, "%s  pre-check passed: %s\n", clock(e.Now()), s.Detail)
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("stopped waiting for the pre-check of %s (the run goes on; starter status --workflow-id %s): %w", run.GetID(), run.GetID(), ctx.Err())
		}
	}
}
