package starter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// schedulable maps a scenario name to the workflow and request a Schedule starts; one line per scenario.
var schedulable = map[string]func(c workflows.Common) (wf any, req any){
	"readiness": func(c workflows.Common) (any, any) {
		return workflows.ReadinessCheck, workflows.ReadinessRequest{Common: c}
	},
}

// scheduleCmd: starter schedule readiness --every 24h [--topology FILE]
func scheduleCmd(ctx context.Context, e *Env, args []string) error {
	names := make([]string, 0, len(schedulable))
	for n := range schedulable {
		names = append(names, n)
	}
	slices.Sort(names)
	// Main moves connection flags given before the command to just after its name, before the scenario.
	global, rest := splitGlobal(args)
	if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
		return badInput("say what to schedule: starter schedule %s --every 24h", strings.Join(names, "|"))
	}
	scenario := rest[0]
	args = append(append([]string{scenario}, global...), rest[1:]...)
	build, ok := schedulable[scenario]
	if !ok {
		return badInput("%q cannot be scheduled (schedulable: %s)", scenario, strings.Join(names, ", "))
	}
	f := newFlags(e, "schedule")
	every := f.Duration("every", 24*time.Hour, "interval between runs")
	cron := f.String("cron", "", "cron expression instead of --every, e.g. \"0 14 1 1,4,7,10 *\" (quarterly)")
	topoPath := f.String("topology", "examples/roadcall-local.json", "topology file (JSON)")
	paused := f.Bool("paused", false, "create the schedule paused")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	if *every < time.Minute {
		return badInput("--every %s: use at least 1m", *every)
	}
	scheduler := "schedule"
	topo, cm, err := startFlags{topology: topoPath, initiator: &scheduler}.common()
	if err != nil {
		return err
	}
	wf, req := build(cm)
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()

	id := scheduleID(scenario, topo)
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: *every}}}
	when := "every " + every.String()
	if c := strings.TrimSpace(*cron); c != "" {
		spec, when = client.ScheduleSpec{CronExpressions: []string{c}}, "cron "+strconv.Quote(c)
	}
	// The server appends the scheduled time to this ID, so runs never clash and sort by time.
	action := &client.ScheduleWorkflowAction{ID: workflows.WorkflowID(scenario, topo), Workflow: wf, Args: []any{req},
		TaskQueue: workflows.TaskQueue, StaticSummary: fmt.Sprintf("scheduled %s for %s", scenario, topo.ID())}
	h, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{ID: id, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, Paused: *paused,
		Note: fmt.Sprintf("%s %s (starter schedule)", scenario, when)})
	verb := "created"
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		verb = "updated"
		h = c.ScheduleClient().GetHandle(ctx, id)
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Action, s.Spec = action, &spec
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			// --paused pauses an existing schedule too; without it a pause set by someone else stays.
			if *paused {
				if s.State == nil {
					s.State = &client.ScheduleState{}
				}
				s.State.Paused = true
			}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("schedule %s: %w", id, err)
	}
	fmt.Fprintf(e.Out, "%s schedule %s: %s for %s %s, overlap skip\n", verb, id, scenario, topo.ID(), when)
	if d, err := h.Describe(ctx); err == nil && len(d.Info.NextActionTimes) > 0 {
		fmt.Fprintf(e.Out, "  next run %s\n", d.Info.NextActionTimes[0].Local().Format(time.RFC3339))
	}
	fmt.Fprintf(e.Out, "  inspect: temporal schedule describe --schedule-id %s\n", id)
	return nil
}

func scheduleID(scenario string, t topology.Topology) string {
	return "schedule-" + workflows.WorkflowID(scenario, t)
}
