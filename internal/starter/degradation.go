package starter

import (
	"context"
	"fmt"
	"strconv"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/workflows"
)

// degradationCmd: starter degradation --topology FILE [--region R] [--auto-approve] [--follow]
// [--reserved-concurrency N] [--read-capacity N] [--write-capacity N] [--initiator WHO]
func degradationCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "degradation")
	region := f.String("region", "", "region to examine and scale (default: the topology's degradation.region, else its primary region)")
	auto := f.Bool("auto-approve", false, "approve the plan as \"auto\" and revert after the stable period without asking (drills)")
	follow := f.Bool("follow", false, "watch the run until it ends, showing each step live, and print the report")
	sf := f.starting("who starts the run (recorded; may not approve it under the two-person rule)")
	var req workflows.DegradationRequest
	intFlag := func(name, usage string, set func(int64)) {
		f.Func(name, usage, func(s string) error {
			n, err := strconv.ParseInt(s, 10, 32)
			if err != nil {
				return fmt.Errorf("%q is not a whole number", s)
			}
			set(n)
			return nil
		})
	}
	intFlag("reserved-concurrency", "reserved concurrency per affected function (default: the topology's degradation.reservedConcurrency, 500)",
		func(n int64) { v := int32(n); req.ReservedConcurrency = &v })
	intFlag("read-capacity", "read capacity units per throttled table (default: degradation.readCapacity, 1000)", func(n int64) { req.ReadCapacity = &n })
	intFlag("write-capacity", "write capacity units per throttled table (default: degradation.writeCapacity, 500)", func(n int64) { req.WriteCapacity = &n })
	if err := f.parse(args); err != nil {
		return err
	}
	topo, cm, err := sf.common()
	if err != nil {
		return err
	}
	cm.AutoApprove = *auto
	req.Common, req.Region = cm, *region
	// The workflow's own first check, run here so that a bad request never starts anything.
	if err := req.Validate(); err != nil {
		return badInput("%v", err)
	}
	where := req.Region
	if where == "" {
		where = topo.Degradation.Region
	}
	if where == "" {
		where = topo.PrimaryRegion
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	// One run per platform, stage and region: two runs scaling and reverting the same resources would
	// each restore what the other had set.
	id := workflows.WorkflowID("degradation", topo) + "-" + where
	run, err := e.start(ctx, c, id, fmt.Sprintf("partial degradation of %s in %s", topo.ID(), where), workflows.PartialDegradation, &req)
	if err != nil {
		return err
	}
	if !*auto {
		fmt.Fprintf(e.Out, "The run identifies degraded functions and tables, then waits at gate %q with the scaling plan:\n  starter approve --workflow-id %s --gate %s --approver NAME\n"+
			"After recovery it reverts once the stable period has passed; approve gate %q to revert sooner, reject it to keep the scaled settings.\n\n",
			workflows.GateDegradationPlan, id, workflows.GateDegradationPlan, workflows.GateDegradationRevert)
	}
	if !*follow {
		return nil
	}
	var rep workflows.DegradationReport
	if err := e.await(ctx, c, run, &rep); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "\n%s", render.DegradationReport(rep))
	if rep.Outcome != workflows.PhaseCompleted || rep.Result == workflows.DegRevertIncomplete {
		return failed("the degradation run for %s in %s ended %s (%s)", topo.ID(), where, rep.Outcome, rep.Result)
	}
	return nil
}
