package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/drworker"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// scaledTopologyFile is the local topology with tables and functions added up to the counts given (the
// local ones first, so every test's table and function names stay), written to a file for testenv, which
// seeds awssim with every one of them.
func scaledTopologyFile(tb testing.TB, tables, functions int) string {
	tb.Helper()
	topo, err := topology.Load(testenv.ModuleRoot(tb) + "/examples/roadcall-local.json")
	if err != nil {
		tb.Fatal(err)
	}
	for i := len(topo.Tables); i < tables; i++ {
		topo.Tables = append(topo.Tables, topology.Table{Name: fmt.Sprintf("roadcall-scale-%04d-prod", i)})
	}
	topo.Tables = topo.Tables[:tables]
	for i := len(topo.Functions); i < functions; i++ {
		topo.Functions = append(topo.Functions, topology.Function{Name: fmt.Sprintf("roadcall-scale-%03d-svc-prod", i)})
	}
	topo.Functions = topo.Functions[:functions]
	return tempFile(tb, "topology.json", mustJSON(tb, topo))
}

// scaleEnv is benchEnv's environment (time scale 0, an in-process worker polling every 5 ms, here with
// the environment's policy) seeded with a topology of that many tables and functions.
func scaleEnv(tb testing.TB, tables, functions int) *testenv.Env {
	tb.Helper()
	env := testenv.New(tb, testenv.Options{TimeScale: 0, NoWorker: true, Topology: scaledTopologyFile(tb, tables, functions)})
	acts, err := drworker.Activities(context.Background(), awsclient.Static(env.Sim.URL))
	if err != nil {
		tb.Fatal(err)
	}
	acts.PollInterval = 5 * time.Millisecond
	p, err := policy.Load(env.PolicyFile)
	if err != nil {
		tb.Fatal(err)
	}
	acts.Policy, acts.PolicySource = &p, env.PolicyFile
	w := drworker.New(env.Temporal.Client, acts, 0)
	if err := w.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Stop)
	return env
}

// historySize is what a run's history weighs: its events, their bytes (as the server stores them), the
// largest event, and the largest workflow task completion, measured as the bytes of the events its
// commands became (those after a WorkflowTaskCompleted up to the next workflow task).
type historySize struct {
	events, bytes, largestEvent, largestTask int
}

func measureHistory(events []*historypb.HistoryEvent) historySize {
	var s historySize
	task, inTask := 0, false
	for _, e := range events {
		n := proto.Size(e)
		s.events++
		s.bytes += n
		s.largestEvent = max(s.largestEvent, n)
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			task, inTask = 0, true
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			inTask = false
		default:
			if inTask {
				task += n
				s.largestTask = max(s.largestTask, task)
			}
		}
	}
	return s
}

// scaledFailover runs an auto-approved RegionFailover with us-east-1 out and a 1 ms monitoring window to
// its end, and returns its report, its wall time and its history's size.
func scaledFailover(tb testing.TB, env *testenv.Env) (workflows.FailoverReport, time.Duration, historySize) {
	tb.Helper()
	env.Sim.Reset()
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	id := workflows.WorkflowID("failover", env.Topology)
	req := workflows.FailoverRequest{Common: workflows.Common{Topology: env.Topology, AutoApprove: true, Initiator: "scale"},
		MonitorWindow: topology.Duration(time.Millisecond)}
	start := time.Now()
	run, err := env.Temporal.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.RegionFailover, req)
	if err != nil {
		tb.Fatal(err)
	}
	var rep workflows.FailoverReport
	if err := run.Get(ctx, &rep); err != nil {
		tb.Fatal(err)
	}
	wall := time.Since(start)
	if rep.Outcome != workflows.PhaseCompleted {
		tb.Fatalf("outcome %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
	return rep, wall, measureHistory(workflowHistory(ctx, tb, env, id, run.GetRunID()))
}

// Temporal's own limits the scaled runs must stay well inside: a fifth of the 51,200 events a history may
// hold, and a quarter of gRPC's 4 MB message for a workflow task's completion.
const (
	maxScaledEvents   = 51200 / 5
	maxScaledTaskSize = 1 << 20
)

// TestFailoverAtScale fails over a topology of the supported size, 2,000 tables and 500 functions, at
// time scale 0 on the dev server (issue 13's acceptance; about 20 s here): it completes, awssim is failed
// over, every table is read and summarized, and the history is far inside Temporal's limits.
func TestFailoverAtScale(t *testing.T) {
	const tables, functions = topology.MaxTables, topology.MaxFunctions
	env := scaleEnv(t, tables, functions)
	rep, wall, h := scaledFailover(t, env)
	assertFailedOver(t, env)
	assertExactlyOnce(t, env)
	as := rep.Assessment
	if as.Tables == nil || as.Tables.Tables != tables || as.Tables.Check(0).OK != tables || as.Tables.Check(1).OK != tables {
		t.Errorf("assessment tables: %+v", as.Tables)
	}
	if len(as.Replicas) != 0 || len(as.Reads) != 0 {
		t.Errorf("batched assessment echoed %d replicas and %d reads", len(as.Replicas), len(as.Reads))
	}
	if v := rep.Verify; v.TableReads == nil || v.TableReads.Check(0).OK != tables || len(v.Scans) != 0 {
		t.Errorf("verify tables: %+v, %d scans", v.TableReads, len(v.Scans))
	}
	if v := rep.Verify; v.Functions == nil || len(v.Functions.Found) != functions {
		t.Errorf("verify found %v functions, want %d", v.Functions, functions)
	}
	if h.events > maxScaledEvents || h.largestTask > maxScaledTaskSize {
		t.Errorf("history %d events (limit %d), largest task completion %d bytes (limit %d)", h.events, maxScaledEvents, h.largestTask, maxScaledTaskSize)
	}
	t.Logf("%d tables, %d functions: %s, %d events, %d history bytes, largest event %d, largest task completion %d",
		tables, functions, wall.Round(time.Millisecond), h.events, h.bytes, h.largestEvent, h.largestTask)
}

// TestDrillAtScale runs a whole drill of 500 tables and 500 functions at time scale 0 (about 30 s here;
// BenchmarkDrillTables runs 2,000 tables, about 1.5 min): the readiness check, the failover and the
// failback (its data sync reads every table both ways) each complete and awssim ends in its initial
// topology, with every change made once.
func TestDrillAtScale(t *testing.T) {
	env := scaleEnv(t, 500, topology.MaxFunctions)
	rep, wall := scaledDrill(t, env)
	for _, r := range rep.Rows {
		t.Logf("%-8s %-16s %10s  %s", r.Phase, r.Name, r.Took.Round(time.Millisecond), r.Outcome)
	}
	t.Logf("drill of %d tables, %d functions: %s", len(env.Topology.Tables), len(env.Topology.Functions), wall.Round(time.Millisecond))
}

// scaledDrill runs an auto-approved drill to its end, checks awssim is back in its initial topology with
// each change made once and every run's history inside Temporal's limits, and returns the report and its
// wall time.
func scaledDrill(tb testing.TB, env *testenv.Env) (workflows.DrillReport, time.Duration) {
	tb.Helper()
	env.Sim.Reset()
	initial := readState(tb, env)
	ctx := ctxT(tb, 10*time.Minute)
	id := workflows.WorkflowID("drill", env.Topology)
	req := workflows.DrillRequest{Common: workflows.Common{Topology: env.Topology, AutoApprove: true, Initiator: "scale"}, MonitorWindow: topology.Duration(time.Millisecond)}
	start := time.Now()
	run, err := env.Temporal.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.DRDrill, req)
	if err != nil {
		tb.Fatal(err)
	}
	var rep workflows.DrillReport
	if err := run.Get(ctx, &rep); err != nil {
		tb.Fatal(err)
	}
	wall := time.Since(start)
	if rep.Outcome != workflows.PhaseCompleted || rep.Failover == nil || rep.Failback == nil {
		tb.Fatalf("drill %s\n%s", rep.Outcome, render.DrillReport(rep))
	}
	n := len(env.Topology.Tables)
	if s := rep.Failback.Sync; s == nil || s.TableReads == nil || s.TableReads.Tables != n || len(s.Tables) != 0 {
		tb.Errorf("failback sync: %+v", s)
	}
	assertInitialTopology(tb, env, initial)
	assertFailedOverAndBackOnce(tb, env)
	for _, wid := range []struct{ id, run string }{{id, run.GetRunID()}, {rep.FailoverID, ""}, {rep.FailbackID, ""}} {
		h := measureHistory(workflowHistory(ctx, tb, env, wid.id, wid.run))
		if h.events > maxScaledEvents || h.largestTask > maxScaledTaskSize {
			tb.Errorf("%s: %d events, largest task completion %d bytes", wid.id, h.events, h.largestTask)
		}
		tb.Logf("%s: %d events, %d history bytes, largest task completion %d", wid.id, h.events, h.bytes, h.largestTask)
	}
	return rep, wall
}

// A topology over the supported size is refused at once naming the limit: by the starter before it dials
// Temporal (100,000 tables: a request that large would not even fit Temporal's 2 MB payload limit), and
// by the workflow itself with InvalidRequest (2,001 tables, from a client that skips the starter's checks).
func TestFailoverOverTheTableLimitIsRefused(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0})
	ctx := ctxT(t, 2*time.Minute)
	over := func(n int) topology.Topology {
		topo := env.Topology
		topo.Tables = append([]topology.Table{}, topo.Tables...)
		for i := len(topo.Tables); i < n; i++ {
			topo.Tables = append(topo.Tables, topology.Table{Name: fmt.Sprintf("t-%06d", i)})
		}
		return topo
	}
	file := tempFile(t, "huge.json", mustJSON(t, over(100000)))
	start := time.Now()
	r := runStarter(ctx, nil, "failover", "--topology", file)
	if r.code != starter.ExitBadInput || r.dialed || !strings.Contains(r.output(), "100000 tables, over the supported 2000") {
		t.Fatalf("starter: exit %d, dialed %v\n%s", r.code, r.dialed, r.output())
	}
	t.Logf("starter refused 100,000 tables in %s", time.Since(start).Round(time.Millisecond))

	req := workflows.FailoverRequest{Common: workflows.Common{Topology: over(topology.MaxTables + 1), AutoApprove: true, Initiator: "scale"}}
	run, err := env.Temporal.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "scale-refused", TaskQueue: workflows.TaskQueue}, workflows.RegionFailover, req)
	if err != nil {
		t.Fatal(err)
	}
	err = run.Get(ctx, nil)
	if !workflows.IsInvalidRequest(err) || !strings.Contains(err.Error(), "2001 tables, over the supported 2000") {
		t.Fatalf("workflow: %v", err)
	}
	if acts := scheduledActivities(ctx, t, env, "scale-refused", run.GetRunID()); len(acts) != 0 {
		t.Errorf("refused run scheduled %v", acts)
	}
}
