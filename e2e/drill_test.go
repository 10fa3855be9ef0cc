package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// assertInitialTopology checks awssim's own state, not the workflow's word: DNS and the Aurora writer in the
// primary with DR still replicating, every stack in both regions settled with DrMode=false, no fault left;
// and, against the state read before the run (initial), the same DNS, writer, clusters in the global
// database, stack parameters and table replicas (replication kept).
func assertInitialTopology(t testing.TB, env *testenv.Env, initial simState) {
	t.Helper()
	topo := env.Topology
	st := readState(t, env)
	if st.ServingRegion != topo.PrimaryRegion || st.ServingRegion != initial.ServingRegion {
		t.Errorf("DNS serves %q, want %s as before the run (%q)", st.ServingRegion, topo.PrimaryRegion, initial.ServingRegion)
	}
	if len(st.Faults) != 0 {
		t.Errorf("faults left behind: %v", st.Faults)
	}
	if got := resolveDNS(t, env); got != topo.PrimaryRegion {
		t.Errorf("GET /_sim/dns answers %q, want %s", got, topo.PrimaryRegion)
	}
	if topo.DNS.Mode == topology.DNSRoutingControl {
		// The primary's routing control back ON, the DR's OFF, as seeded.
		assertRoutingControls(t, env, topo.PrimaryRegion)
	}
	g := st.World.GlobalClusters[topo.Aurora.GlobalClusterID]
	if g.Pending != nil || len(g.Members) != 2 {
		t.Errorf("global cluster: pending %v, %d members; want settled with 2", g.Pending, len(g.Members))
	}
	for _, m := range g.Members {
		if m.IsWriter != (m.Region == topo.PrimaryRegion) || m.PendingResync {
			t.Errorf("global member in %s: writer %v, pending resync %v", m.Region, m.IsWriter, m.PendingResync)
		}
	}
	for _, r := range topo.Regions() {
		now, was := st.World.Regions[r], initial.World.Regions[r]
		for _, name := range topo.Stacks.Names {
			s := now.Stacks[name]
			if !strings.HasSuffix(s.Status, "_COMPLETE") || s.Parameters[topo.Stacks.DRModeParameter] != "false" {
				t.Errorf("stack %s in %s: %s with %s=%q, want *_COMPLETE with false", name, r, s.Status, topo.Stacks.DRModeParameter, s.Parameters[topo.Stacks.DRModeParameter])
			}
			if !reflect.DeepEqual(s.Parameters, was.Stacks[name].Parameters) {
				t.Errorf("stack %s in %s: parameters %v, before the run %v", name, r, s.Parameters, was.Stacks[name].Parameters)
			}
		}
		if len(now.Clusters) != len(was.Clusters) {
			t.Errorf("%s has %d Aurora clusters, %d before the run", r, len(now.Clusters), len(was.Clusters))
		}
		for id, c := range was.Clusters {
			n := now.Clusters[id]
			if n.Writer != c.Writer || n.GlobalClusterID != c.GlobalClusterID || n.Status != "available" {
				t.Errorf("cluster %s in %s: writer %v, global %q, %s; before the run writer %v, global %q", id, r, n.Writer, n.GlobalClusterID, n.Status, c.Writer, c.GlobalClusterID)
			}
		}
		for _, tb := range topo.Tables {
			n, w := now.Tables[tb.Name], was.Tables[tb.Name]
			if n.Status != "ACTIVE" || !reflect.DeepEqual(n.Replicas, w.Replicas) {
				t.Errorf("table %s in %s: %s, replicas %v; before the run replicas %v", tb.Name, r, n.Status, n.Replicas, w.Replicas)
			}
		}
	}
}

// assertFailedOverAndBackOnce: the journal holds the failover's and the failback's changes exactly once
// each: the Aurora failover and the switchover back, the two DNS UPSERTs and both stack updates.
func assertFailedOverAndBackOnce(t testing.TB, env *testenv.Env) {
	t.Helper()
	counts := journalCounts(env.Sim.Journal())
	want := map[string][2]int{"FailoverGlobalCluster": {1, 0}, "SwitchoverGlobalCluster": {1, 0},
		"UpdateStack": {2 * len(env.Topology.Stacks.Names), 0}}
	for op, w := range dnsCutoverOps(t, env.Topology, 2) {
		want[op] = w
	}
	if env.Topology.DNS.Mode == topology.DNSRoutingControl {
		// No record change, out and back: both cutovers went through the ARC cluster's data plane.
		want["ChangeResourceRecordSets"] = [2]int{0, 0}
	}
	for op, w := range want {
		if counts[op] != w {
			t.Errorf("journal %s: %v (changed, unchanged), want %v: each change exactly once", op, counts[op], w)
		}
	}
}

// TestDrillEndToEnd is a whole drill as an operator runs it with the starter: with auto-approval it completes against
// awssim, which is back in its initial topology afterwards; the report has RTO, RPO and a row per step;
// `starter drills` lists it, `starter report` renders it and `starter replay` replays it cleanly.
func TestDrillEndToEnd(t *testing.T) {
	start := time.Now()
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	initial := readState(t, env)
	r := runStarter(ctxT(t, 2*time.Minute), env, "drill", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("starter drill exited %d\n%s", r.code, r.output())
	}
	t.Logf("drill took %s wall time at time scale 0.002\n%s", time.Since(start).Round(time.Millisecond), r.output())
	for _, want := range []string{"DR drill (region-outage, inject mode): COMPLETED", "\nRTO ", "\nRPO ", "Lessons:"} {
		if !strings.Contains(r.output(), want) {
			t.Errorf("drill output lacks %q", want)
		}
	}
	id := workflows.WorkflowID("drill", env.Topology)
	ctx := ctxT(t, time.Minute)
	rep := runResult[workflows.DrillReport](ctx, t, env, id)
	if rep.RTO <= 0 || !rep.RPOKnown || rep.Failover == nil || rep.Failback == nil {
		t.Fatalf("report without RTO/RPO or children:\n%s", render.DrillReport(rep))
	}
	if n := len(rep.Failover.Steps) + len(rep.Failback.Steps) + len(rep.Steps); len(rep.Rows) != n || n < 20 {
		t.Errorf("%d rows for %d steps", len(rep.Rows), n)
	}
	assertInitialTopology(t, env, initial)
	assertFailedOverAndBackOnce(t, env)
	desc, err := env.Temporal.Client.DescribeWorkflow(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	sa := desc.TypedSearchAttributes
	drillSA, _ := sa.GetBool(workflows.SADrill)
	scenario, _ := sa.GetKeyword(workflows.SAScenario)
	outcome, _ := sa.GetKeyword(workflows.SAOutcome)
	rto, hasRTO := sa.GetInt64(workflows.SARTOSeconds)
	if !drillSA || scenario != workflows.DrillScenario || outcome != workflows.PhaseCompleted || !hasRTO || rto != int64(rep.RTO.Seconds()) {
		t.Errorf("search attributes DRDrill=%v DRScenario=%q DROutcome=%q DRRTOSeconds=%d (set %v); want true, %q, completed, %d",
			drillSA, scenario, outcome, rto, hasRTO, workflows.DrillScenario, int64(rep.RTO.Seconds()))
	}

	// The history: listed (visibility is eventually consistent), reviewed, replayed.
	var listed string
	waitFor(t, 30*time.Second, "the drill in starter drills", func() bool {
		listed = runStarter(ctxT(t, 30*time.Second), env, "drills").output()
		return strings.Contains(listed, id) && strings.Contains(listed, "completed")
	})
	t.Logf("starter drills:\n%s", listed)
	r = runStarter(ctxT(t, 30*time.Second), env, "report", "--workflow-id", id)
	md := r.output()
	if r.code != starter.ExitOK {
		t.Fatalf("starter report exited %d\n%s", r.code, md)
	}
	for _, want := range []string{"# Post-Incident Review: DR drill", "| RTO | " + rep.RTO.Round(time.Millisecond).String(), "## 6. Action Items", "roadcall-prod"} {
		if !strings.Contains(md, want) {
			t.Errorf("review lacks %q\n%s", want, md)
		}
	}
	for _, row := range rep.Rows {
		if !strings.Contains(md, "| "+row.Phase+" | "+row.Title+" |") {
			t.Errorf("review has no timeline row for %s %q", row.Phase, row.Title)
		}
	}
	for _, wid := range []string{id, rep.FailoverID, rep.FailbackID} {
		r := runStarter(ctxT(t, 30*time.Second), env, "replay", "--workflow-id", wid)
		if r.code != starter.ExitOK || !strings.Contains(r.output(), "deterministic: workflow "+wid) {
			t.Errorf("starter replay %s: exit %d\n%s", wid, r.code, r.output())
		}
	}
}

// TestPlannedDrillInjectsNothing runs the drill as on real AWS (--mode planned) against awssim: no fault is
// ever added, the Aurora writer moves by switchovers both ways (RPO 0, nothing failed over with data
// loss), and awssim ends in its initial topology.
func TestPlannedDrillInjectsNothing(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	initial := readState(t, env)
	r := runStarter(ctxT(t, 2*time.Minute), env, "drill", "--topology", env.TopologyFile, "--auto-approve", "--mode", "planned", "--monitor-window", "1s")
	if r.code != starter.ExitOK || !strings.Contains(r.output(), "DR drill (region-outage, planned mode): COMPLETED") {
		t.Fatalf("planned drill: exit %d\n%s", r.code, r.output())
	}
	id := workflows.WorkflowID("drill", env.Topology)
	ctx := ctxT(t, time.Minute)
	rep := runResult[workflows.DrillReport](ctx, t, env, id)
	if rep.Mode != workflows.DrillPlanned || !rep.RPOKnown || rep.RPO != 0 || rep.RTO <= 0 {
		t.Errorf("mode %s, RPO %s (known %v), RTO %s; want planned with RPO 0", rep.Mode, rep.RPO, rep.RPOKnown, rep.RTO)
	}
	for _, name := range scheduledActivities(ctx, t, env, id, "") {
		if name == "InjectRegionOutage" || name == "LiftRegionOutage" {
			t.Errorf("a planned drill scheduled %s", name)
		}
	}
	counts := journalCounts(env.Sim.Journal())
	if counts["FailoverGlobalCluster"][0] != 0 || counts["SwitchoverGlobalCluster"][0] != 2 {
		t.Errorf("journal: FailoverGlobalCluster %v, SwitchoverGlobalCluster %v (changed, unchanged); want no failover and two switchovers",
			counts["FailoverGlobalCluster"], counts["SwitchoverGlobalCluster"])
	}
	assertInitialTopology(t, env, initial)
}

// scheduleWithOverlapSkip reads back the scenario's schedule from the server and checks its overlap policy
// is skip: a scheduled run must never start while the previous one still runs.
func scheduleWithOverlapSkip(ctx context.Context, t *testing.T, env *testenv.Env, scenario string) (client.ScheduleHandle, *client.ScheduleDescription) {
	t.Helper()
	h := env.Temporal.Client.ScheduleClient().GetHandle(ctx, "schedule-"+workflows.WorkflowID(scenario, env.Topology))
	d, err := h.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Schedule.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP {
		t.Errorf("overlap %v, want skip", d.Schedule.Policy.Overlap)
	}
	return h, d
}

// triggerTwiceExpectOneSkipped triggers a schedule twice in a row: the first trigger starts a run, the
// second finds it still running and is skipped (overlap skip). It returns the started run's workflow ID.
func triggerTwiceExpectOneSkipped(t *testing.T, h client.ScheduleHandle) string {
	t.Helper()
	ctx := ctxT(t, time.Minute)
	for range 2 {
		if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var d *client.ScheduleDescription
	waitFor(t, 90*time.Second, "one scheduled run started and one skipped for overlap", func() bool {
		var err error
		if d, err = h.Describe(ctx); err != nil {
			t.Fatal(err)
		}
		return len(d.Info.RecentActions) >= 1 && d.Info.NumActionsSkippedOverlap >= 1
	})
	if len(d.Info.RecentActions) != 1 || d.Info.NumActionsSkippedOverlap != 1 || d.Info.RecentActions[0].StartWorkflowResult == nil {
		t.Fatalf("%d runs started, %d skipped for overlap; want 1 and 1", len(d.Info.RecentActions), d.Info.NumActionsSkippedOverlap)
	}
	return d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
}

// TestDrillScheduleIsCronWithOverlapSkip creates the quarterly drill schedule with `starter schedule drill
// --cron`, reads it back from the server, then triggers it twice: one drill runs (auto-approved, as a
// scheduled drill has nobody at the keyboard) and leaves awssim as it found it, the other is skipped.
func TestDrillScheduleIsCronWithOverlapSkip(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	initial := readState(t, env)
	// A scheduled drill takes the topology's monitor window (no --monitor-window): a short one here.
	topo := env.Topology
	topo.Thresholds.MonitorWindow = topology.Duration(time.Second)
	topoFile := tempFile(t, "topology.json", mustJSON(t, topo))
	cron := "0 14 1 1,4,7,10 *"
	r := runStarter(ctxT(t, 30*time.Second), env, "schedule", "drill", "--cron", cron, "--topology", topoFile)
	if r.code != starter.ExitOK || !strings.Contains(r.output(), "overlap skip") {
		t.Fatalf("schedule drill: exit %d\n%s", r.code, r.output())
	}
	ctx := ctxT(t, 2*time.Minute)
	h, d := scheduleWithOverlapSkip(ctx, t, env, "drill")
	if len(d.Schedule.Spec.Calendars)+len(d.Schedule.Spec.CronExpressions) == 0 || len(d.Schedule.Spec.Intervals) != 0 {
		t.Errorf("spec %+v: want the cron expression and no interval", d.Schedule.Spec)
	}
	if len(d.Info.NextActionTimes) == 0 {
		t.Errorf("the schedule has no next run")
	} else if next := d.Info.NextActionTimes[0].UTC(); next.Day() != 1 || next.Hour() != 14 || (next.Month()-1)%3 != 0 {
		t.Errorf("next drill %s is not 14:00 on the first day of a quarter", next)
	}

	id := triggerTwiceExpectOneSkipped(t, h)
	rep := runResult[workflows.DrillReport](ctx, t, env, id)
	if rep.Outcome != workflows.PhaseCompleted || rep.Mode != workflows.DrillInject || rep.RTO <= 0 {
		t.Fatalf("scheduled drill %s: %s in %s mode, RTO %s\n%s", id, rep.Outcome, rep.Mode, rep.RTO, render.DrillReport(rep))
	}
	assertInitialTopology(t, env, initial)

	// Again: the schedule is updated in place, not duplicated.
	if r := runStarter(ctxT(t, 30*time.Second), env, "schedule", "drill", "--cron", cron, "--topology", topoFile, "--paused"); r.code != starter.ExitOK || !strings.Contains(r.output(), "updated schedule") {
		t.Fatalf("second schedule drill: exit %d\n%s", r.code, r.output())
	}
	if d, err := h.Describe(ctx); err != nil || !d.Schedule.State.Paused {
		t.Errorf("after the update: %v, want the schedule paused", err)
	}
	_ = h.Delete(ctx)
}

// TestReadinessScheduleEveryWithOverlapSkip: `starter schedule readiness --every` makes an interval
// schedule with overlap skip; with no worker the first triggered check stays running and a second trigger
// is skipped; a worker then completes the scheduled check.
func TestReadinessScheduleEveryWithOverlapSkip(t *testing.T) {
	env := testenv.New(t, testenv.Options{NoWorker: true})
	r := runStarter(ctxT(t, 30*time.Second), env, "schedule", "readiness", "--every", "6h", "--topology", env.TopologyFile)
	if r.code != starter.ExitOK || !strings.Contains(r.output(), "created schedule") || !strings.Contains(r.output(), "overlap skip") {
		t.Fatalf("schedule readiness: exit %d\n%s", r.code, r.output())
	}
	ctx := ctxT(t, time.Minute)
	h, d := scheduleWithOverlapSkip(ctx, t, env, "readiness")
	if iv := d.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != 6*time.Hour {
		t.Errorf("intervals %+v, want every 6h", iv)
	}
	if d.Schedule.State.Paused {
		t.Errorf("the readiness schedule was created paused")
	}

	id := triggerTwiceExpectOneSkipped(t, h)
	env.StartWorker()
	rep := runResult[workflows.ReadinessReport](ctx, t, env, id)
	if rep.Overall != workflows.Pass || rep.Fail != 0 {
		t.Errorf("scheduled readiness %s: %s with %d failing", id, rep.Overall, rep.Fail)
	}
	_ = h.Delete(ctx)
}

// TestStarterReplayFileSaysWhetherDeterministic: the golden drill history replays; the same history with
// the failover child's ID edited (what a code change renaming it would meet) is called non-deterministic.
func TestStarterReplayFileSaysWhetherDeterministic(t *testing.T) {
	golden := filepath.Join(testenv.ModuleRoot(t), "workflows", "testdata", "DRDrill-completed.json")
	// No env: replaying a file needs no Temporal.
	replay := func(file string) (int, string) {
		r := runStarter(ctxT(t, time.Minute), nil, "replay", "--file", file)
		return r.code, r.output()
	}
	if code, out := replay(golden); code != starter.ExitOK || !strings.Contains(out, "deterministic: history file") {
		t.Fatalf("golden drill: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	id := workflows.WorkflowID("failover", env0Topology(t))
	if !bytes.Contains(b, []byte(`"`+id+`"`)) {
		t.Fatalf("the golden drill starts no child %s", id)
	}
	changed := filepath.Join(t.TempDir(), "changed.json")
	if err := os.WriteFile(changed, bytes.ReplaceAll(b, []byte(`"`+id+`"`), []byte(`"`+id+`-renamed"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := replay(changed); code != starter.ExitFailed || !strings.Contains(out, "is NOT deterministic") {
		t.Fatalf("edited drill history: exit %d, want %d saying it is not deterministic\n%s", code, starter.ExitFailed, out)
	}
}

func env0Topology(t *testing.T) topology.Topology {
	t.Helper()
	topo, err := topology.Load(filepath.Join(testenv.ModuleRoot(t), "examples", "roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}
