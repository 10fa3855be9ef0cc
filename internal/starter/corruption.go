package starter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/workflows"
)

// corruptionCmd: starter corruption --topology FILE --corruption-started-at RFC3339 [--tables a,b]
// [--skip-aurora] [--region R] [--auto-approve] [--follow]
func corruptionCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "corruption")
	started := f.String("corruption-started-at", "", "when the bad writes began, RFC 3339 (e.g. 2025-06-01T14:30:00Z); the restore point proposed is this minus corruption.restoreMargin")
	tables := f.String("tables", "", "comma-separated tables to restore (default: every table of the topology)")
	skipAurora := f.Bool("skip-aurora", false, "leave the Aurora cluster alone (only DynamoDB data is corrupted)")
	region := f.String("region", "", "region the application serves from (default: the topology's primaryRegion)")
	auto := f.Bool("auto-approve", false, "approve restore-point and cutover as \"auto\" (drills); resume-writes after an abort is never automatic")
	follow := f.Bool("follow", false, "watch the run until it ends and print the report")
	sf := f.starting("who starts the recovery (recorded; may not approve it under the two-person rule)")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := require("corruption-started-at", *started); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(*started))
	if err != nil {
		return badInput("--corruption-started-at %q is not an RFC 3339 time such as 2025-06-01T14:30:00Z", *started)
	}
	topo, cm, err := sf.common()
	if err != nil {
		return err
	}
	cm.AutoApprove = *auto
	req := workflows.CorruptionRequest{Common: cm, CorruptionStartedAt: &at, SkipAurora: *skipAurora, Region: *region}
	for _, tb := range strings.Split(*tables, ",") {
		if tb = strings.TrimSpace(tb); tb != "" {
			req.Tables = append(req.Tables, tb)
		}
	}
	// The workflow's own first check, run here so a bad request never starts anything.
	if err := req.PrepareAt(e.Now()); err != nil {
		return badInput("%v", err)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	id := workflows.WorkflowID("corruption", topo)
	run, err := e.start(ctx, c, id, "data corruption recovery for "+topo.ID(), workflows.DataCorruptionRecovery, &req)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Writes are being stopped now (%s). Gates: %s (approve with --value RFC3339 to pick another time), %s.\n",
		topo.Corruption.WriteStop, workflows.GateRestorePoint, workflows.GateCutover)
	if !*follow {
		return nil
	}
	var rep workflows.CorruptionReport
	if err := e.await(ctx, c, run, &rep); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "\n%s", render.CorruptionReport(rep))
	if rep.Outcome != workflows.PhaseCompleted {
		return failed("%s", rep.Message)
	}
	return nil
}
